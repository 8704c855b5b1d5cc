#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "integrations/kubernetes/object_names.h"
#include "skills/skill.h"

namespace vigil::skills {

/// How well free text ("investigate checkout errors") fits a skill by its words: the skill's id,
/// title and trigger words (alert names split at capitals, the words of its text patterns) count
/// 3 each, words of its description 1 each; each text word counts once, common words not at all.
/// Words are compared lowercased, with a plural 's' and an '-ing'/'-ed' ending taken off.
struct WordScore {
  int score = 0;
  std::vector<std::string> words;  // the text's words that counted, in order
};
WordScore word_score(const Skill& skill, std::string_view text);
/// A word match picks a skill only at this score or above.
inline constexpr int kMinWordScore = 3;

/// The lowercase words of a text (letters and digits; '-', '.', '_' and '/' inside a word kept).
std::vector<std::string> text_words(std::string_view text);

/// Parameter values read from free text, and names that fit several objects (listed, never guessed).
struct TextParameters {
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> ambiguous;  // parameter → candidates (at most 10)
};

/// Reads the skill's parameters from text: "namespace=demo", "in namespace demo", "-n demo",
/// "--namespace demo", "pod checkout-1", "demo/checkout-1" (namespace/pod, or
/// namespace/deployment when the skill has no pod), "deployment/checkout", and words that name
/// objects that exist (`known`): a namespace, a pod or a deployment by its full name, or a pod by
/// the start of its name ("checkout" → "checkout-7d9f8b6c5-x2x9k" when exactly one pod starts so;
/// when several do, they are listed and their namespace is filled if they share it). Only values
/// that pass the parameter's own checks are kept.
TextParameters extract_parameters(const Skill& skill, std::string_view text, const kubernetes::ClusterObjects& known);

}  // namespace vigil::skills
