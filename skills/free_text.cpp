#include "skills/free_text.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "skills/template.h"

namespace vigil::skills {
namespace {

const std::set<std::string>& stopwords() {
  static const std::set<std::string> kWords = {
      "a",       "an",    "and",    "are",   "as",          "at",    "be",    "by",        "can",
      "check",   "could", "do",     "does",  "for",         "from",  "get",   "has",       "have",
      "help",    "how",   "i",      "in",    "investigate", "is",    "issue", "it",        "its",
      "look",    "looks", "me",     "my",    "of",          "on",    "or",    "our",       "please",
      "problem", "see",   "since",  "so",    "some",        "that",  "the",   "their",     "them",
      "then",    "there", "this",   "to",    "up",          "us",    "vigil", "was",       "we",
      "what",    "when",  "where",  "which", "while",       "who",   "why",   "with",      "you",
      "your",    "after", "before", "into",  "offers",      "shows", "than",  "namespace", "namespaces",
      "ns",      "wrong", "going",  "on",    "again",       "still", "just",  "any",       "all"};
  return kWords;
}

std::string stem(std::string w) {
  if (w.size() > 5 && w.ends_with("ing")) {
    w.resize(w.size() - 3);
  } else if (w.size() > 4 && w.ends_with("ed")) {
    w.resize(w.size() - 2);
  } else if (w.size() > 3 && w.ends_with('s') && !w.ends_with("ss")) {
    w.pop_back();
  }
  return w;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

/// Words of plain text, lowercased: runs of letters and digits.
std::vector<std::string> plain_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (word_char(c)) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    out.push_back(std::move(cur));
  }
  return out;
}

/// "KubePodCrashLooping" → kube, pod, crash, looping.
std::vector<std::string> camel_words(std::string_view name) {
  std::string spaced;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(name[i])) &&
        std::islower(static_cast<unsigned char>(name[i - 1]))) {
      spaced += ' ';
    }
    spaced += name[i];
  }
  return plain_words(spaced);
}

/// The literal words of a regular expression: runs of three or more letters.
std::vector<std::string> regex_words(std::string_view pattern) {
  std::vector<std::string> out;
  std::string cur;
  const auto flush = [&] {
    if (cur.size() >= 3) {
      for (auto& w : camel_words(cur)) {
        out.push_back(std::move(w));
      }
    }
    cur.clear();
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      flush();
      ++i;  // \s, \d, … are not letters of a word
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      cur += c;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

bool counts(const std::string& w) {
  return w.size() >= 3 && !stopwords().count(w);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// Whitespace-separated tokens with surrounding quotes and punctuation taken off.
std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    const auto start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string t(text.substr(start, i - start));
    const std::string_view strip = "\"'`()[]{}<>,;:!?*_";
    while (!t.empty() && strip.find(t.back()) != std::string_view::npos) {
      t.pop_back();
    }
    while (!t.empty() && t.back() == '.') {
      t.pop_back();
    }
    std::size_t lead = 0;
    while (lead < t.size() && strip.find(t[lead]) != std::string_view::npos) {
      ++lead;
    }
    t = t.substr(lead);
    if (!t.empty()) {
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string parameter_alias(const std::string& word) {
  static const std::map<std::string, std::string> kAliases = {{"ns", "namespace"},      {"namespace", "namespace"},
                                                              {"pod", "pod"},           {"po", "pod"},
                                                              {"pods", "pod"},          {"deployment", "deployment"},
                                                              {"deploy", "deployment"}, {"deployments", "deployment"},
                                                              {"node", "node"},         {"nodes", "node"},
                                                              {"no", "node"},           {"replicas", "replicas"}};
  const auto it = kAliases.find(word);
  return it == kAliases.end() ? word : it->second;
}

class Reader {
 public:
  Reader(const Skill& skill, TextParameters& out) : skill_(skill), out_(out) {}

  bool has(const std::string& name) const { return skill_.find_parameter(name) != nullptr; }
  bool unset(const std::string& name) const { return has(name) && !out_.values.count(name); }

  /// Sets the value when the skill has the parameter, it is not set yet and the value passes.
  bool set(const std::string& name, const std::string& value) {
    const auto* p = skill_.find_parameter(name);
    if (!p || out_.values.count(name) || !check_parameter_value(*p, value)) {
      return false;
    }
    out_.values[name] = value;
    out_.ambiguous.erase(name);
    return true;
  }
  void ambiguous(const std::string& name, std::vector<std::string> candidates) {
    if (!unset(name) || out_.ambiguous.count(name)) {
      return;
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    if (candidates.size() > 10) {
      candidates.resize(10);
    }
    out_.ambiguous[name] = std::move(candidates);
  }
  /// "demo/checkout-1", "pod/checkout-1", "deployment/checkout".
  void slashed(const std::string& token) {
    const auto slash = token.find('/');
    if (slash == std::string::npos || token.find('/', slash + 1) != std::string::npos) {
      return;
    }
    const auto left = lower(token.substr(0, slash));
    const auto right = token.substr(slash + 1);
    const auto kind = parameter_alias(left);
    if (kind == "pod" || kind == "deployment" || kind == "node" || kind == "namespace") {
      set(kind, right);
      return;
    }
    if (!has("namespace")) {
      return;
    }
    const std::string object = has("pod") ? "pod" : "deployment";
    if (has(object) && unset(object) && unset("namespace")) {
      const auto* p = skill_.find_parameter("namespace");
      const auto* o = skill_.find_parameter(object);
      if (check_parameter_value(*p, left) && check_parameter_value(*o, right)) {
        set("namespace", left);
        set(object, right);
      }
    }
  }

 private:
  const Skill& skill_;
  TextParameters& out_;
};

std::vector<std::string> names_of(const std::vector<kubernetes::NamespacedName>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) {
    out.push_back(o.name);
  }
  return out;
}

std::set<std::string> namespaces_of(const std::vector<kubernetes::NamespacedName>& objects) {
  std::set<std::string> out;
  for (const auto& o : objects) {
    out.insert(o.ns);
  }
  return out;
}

bool is_known(const kubernetes::ClusterObjects& known, const std::string& name) {
  const auto named = [&](const auto& o) { return o.name == name; };
  return std::find(known.namespaces.begin(), known.namespaces.end(), name) != known.namespaces.end() ||
         std::any_of(known.pods.begin(), known.pods.end(), named) ||
         std::any_of(known.deployments.begin(), known.deployments.end(), named);
}

// key=value, -n/--namespace NAME, a parameter's name followed by a value, and kind/name or
// namespace/name.
void read_explicit_forms(Reader& r, const std::vector<std::string>& toks, const kubernetes::ClusterObjects& known) {
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    const auto word = lower(t);
    const bool has_next = i + 1 < toks.size();
    if (const auto eq = t.find('='); eq != std::string::npos && eq > 0) {
      auto key = lower(t.substr(0, eq));
      key.erase(0, key.find_first_not_of('-'));
      r.set(parameter_alias(key), t.substr(eq + 1));
      continue;
    }
    if ((word == "-n" || word == "--namespace") && has_next) {
      r.set("namespace", toks[i + 1]);
      ++i;
      continue;
    }
    const auto alias = parameter_alias(word);
    if (has_next && word != "pods" && word != "nodes" && word != "deployments" && word != "no" && r.has(alias)) {
      const auto next = lower(toks[i + 1]);
      // "namespace demo" is a name; "pod keeps restarting" is not: other kinds need a name-shaped
      // word (a digit, '-' or '.') or one that exists.
      const bool name_shaped =
          alias == "namespace" || next.find_first_of("0123456789-.") != std::string::npos || is_known(known, next);
      if (name_shaped && !stopwords().count(next) && r.set(alias, toks[i + 1])) {
        ++i;
        continue;
      }
    }
    if (t.find('/') != std::string::npos) {
      r.slashed(t);
    }
  }
}

bool in_namespace(const kubernetes::NamespacedName& o, const std::string& ns_filter) {
  return ns_filter.empty() || o.ns == ns_filter;
}

// The pod named `w` (or, when none is, the pods whose name is `w` followed by '-'); more than one is
// ambiguous, though their one namespace is still set.
void match_pod(Reader& r, const std::string& w, const kubernetes::ClusterObjects& known, const std::string& ns_filter) {
  std::vector<kubernetes::NamespacedName> exact;
  std::vector<kubernetes::NamespacedName> prefixed;
  for (const auto& p : known.pods) {
    if (!in_namespace(p, ns_filter)) {
      continue;
    }
    if (p.name == w) {
      exact.push_back(p);
    } else if (p.name.size() > w.size() && p.name.starts_with(w) && p.name[w.size()] == '-') {
      prefixed.push_back(p);
    }
  }
  const auto& found = exact.empty() ? prefixed : exact;
  if (found.size() == 1) {
    r.set("namespace", found[0].ns);
    r.set("pod", found[0].name);
  } else if (found.size() > 1) {
    const auto namespaces = namespaces_of(found);
    if (namespaces.size() == 1) {
      r.set("namespace", *namespaces.begin());
    }
    r.ambiguous("pod", names_of(found));
  }
}

// The deployment named `w`; found in several namespaces, the namespace is ambiguous.
void match_deployment(Reader& r, const std::string& w, const kubernetes::ClusterObjects& known,
                      const std::string& ns_filter) {
  std::vector<kubernetes::NamespacedName> exact;
  for (const auto& d : known.deployments) {
    if (d.name == w && in_namespace(d, ns_filter)) {
      exact.push_back(d);
    }
  }
  if (!exact.empty()) {
    const auto namespaces = namespaces_of(exact);
    if (namespaces.size() == 1) {
      r.set("namespace", *namespaces.begin());
    } else {
      r.ambiguous("namespace", std::vector<std::string>(namespaces.begin(), namespaces.end()));
    }
    r.set("deployment", w);
  }
}

// Words that name objects that exist, within the namespace once one is known.
void read_known_names(Reader& r, const TextParameters& out, const std::vector<std::string>& toks,
                      const kubernetes::ClusterObjects& known) {
  std::string ns_filter = out.values.count("namespace") ? out.values.at("namespace") : std::string();
  for (const auto& t : toks) {
    const auto w = lower(t);
    if (w.size() < 3 || stopwords().count(w) || w.find('=') != std::string::npos) {
      continue;
    }
    if (r.unset("pod")) {
      match_pod(r, w, known, ns_filter);
    }
    if (r.unset("deployment")) {
      match_deployment(r, w, known, ns_filter);
    }
    if (r.unset("namespace") &&
        std::find(known.namespaces.begin(), known.namespaces.end(), w) != known.namespaces.end()) {
      r.set("namespace", w);
    }
    if (out.values.count("namespace")) {
      ns_filter = out.values.at("namespace");
    }
  }
}

}  // namespace

std::vector<std::string> text_words(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& t : tokens(text)) {
    out.push_back(lower(t));
  }
  return out;
}

WordScore word_score(const Skill& skill, std::string_view text) {
  std::map<std::string, int> weight;  // stem → weight
  const auto add = [&](const std::vector<std::string>& words, int w) {
    for (const auto& word : words) {
      if (counts(word)) {
        auto& slot = weight[stem(word)];
        slot = std::max(slot, w);
      }
    }
  };
  add(plain_words(skill.description), 1);
  add(plain_words(skill.id), 3);
  add(plain_words(skill.title), 3);
  for (const auto& a : skill.triggers.alertnames) {
    add(camel_words(a), 3);
  }
  for (const auto& t : skill.triggers.text) {
    add(regex_words(t), 3);
  }
  WordScore out;
  std::set<std::string> seen;
  for (const auto& word : plain_words(text)) {
    if (!counts(word)) {
      continue;
    }
    const auto s = stem(word);
    if (!seen.insert(s).second) {
      continue;
    }
    if (const auto it = weight.find(s); it != weight.end()) {
      out.score += it->second;
      out.words.push_back(word);
    }
  }
  return out;
}

TextParameters extract_parameters(const Skill& skill, std::string_view text, const kubernetes::ClusterObjects& known) {
  TextParameters out;
  Reader r(skill, out);
  const auto toks = tokens(text.substr(0, 4000));
  // Explicit forms first: they win over names found in the cluster.
  read_explicit_forms(r, toks, known);
  read_known_names(r, out, toks, known);
  return out;
}

}  // namespace vigil::skills
