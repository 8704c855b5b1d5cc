#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/core/run_trigger.h"
#include "bot/store/model.h"
#include "skills/free_text.h"
#include "skills/parameter_input.h"
#include "skills/skill.h"
#include "skills/skill_catalog.h"

namespace vigil {

class Store;

/// The timeline row kind a run that could not fill its parameters writes, with a ParameterNeed.
inline constexpr const char* kNeedsInputEvent = "needs_input";
/// What a run needed and did not have: the skill, the values it found (given, from the alert, from
/// the text), the required ones still missing, the refused ones, and names that fit several objects.
struct ParameterNeed {
  std::string skill;
  std::map<std::string, std::string> found;
  std::vector<std::string> missing;
  std::vector<std::string> problems;  // "pod: 'X' is not a pod name (…)", missing ones included
  std::map<std::string, std::vector<std::string>> candidates;
  std::string note;  // why the alert's labels could not be read, when that is the cause

  /// "pod-crashloop needs namespace and pod" (or "… needs valid pod" when only refused values).
  std::string sentence() const;
  nlohmann::json to_json() const;
  static ParameterNeed from_json(const nlohmann::json& j);
};

ParameterNeed parameter_need(const skills::Skill& skill, const skills::ParameterCheck& check,
                             const skills::TextParameters& from_text, const std::string& labels_note);
/// The run's ParameterNeed, from its timeline; nullopt when it has none.
std::optional<ParameterNeed> find_parameter_need(Store& store, const std::string& run_id);

/// A run waiting for a person to give the parameters it could not fill (the Give parameters button
/// and its form): the run, what it needs, its skill, and the trigger it was started with (the run
/// the form starts inherits its incident).
struct ParameterRequest {
  RunRecord run;
  ParameterNeed need;
  const skills::Skill* skill = nullptr;  // from the catalogue, never null here
  RunTrigger trigger;
};
/// The run `run_id` while it still waits for parameters: its result is NeedsInput, its timeline
/// holds the need, and the catalogue has the skill. nullopt otherwise, and for an id no run has
/// (empty or longer than 64 characters: a forged button value).
std::optional<ParameterRequest> waiting_for_parameters(Store& store, const skills::SkillCatalog& catalog,
                                                       const std::string& run_id);

}  // namespace vigil
