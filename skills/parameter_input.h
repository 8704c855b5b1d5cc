#pragma once

#include <map>
#include <string>
#include <vector>

#include "skills/skill.h"

namespace vigil::skills {

/// One parameter that cannot be used as it stands, in words a person can act on.
struct ParameterProblem {
  std::string name;      // the parameter ("pod"), or the unknown name that was given
  std::string message;   // "pod: 'Bad_Pod!' is not a pod name (lowercase letters, digits, '-' and '.')"
  bool missing = false;  // a required parameter with no value at all
};

/// The parameter values a run would get, and what stops it.
struct ParameterCheck {
  std::map<std::string, std::string> values;  // every value that passed its checks
  std::vector<ParameterProblem> problems;     // in the skill's parameter order, unknown names first
  bool ok() const { return problems.empty(); }
  /// Names of the required parameters that have no value, in the skill's order.
  std::vector<std::string> missing() const;
};

/// The same checks as the executor's (resolve_parameters: given values, then `from_incident`, then
/// defaults; shape, pattern, enum), as data: nothing runs and nothing is refused half-way.
ParameterCheck validate_parameters(const Skill& skill, const std::map<std::string, std::string>& given,
                                   const std::map<std::string, std::string>& incident);

/// What a value of the parameter looks like, for people: "lowercase letters, digits, '-' and '.'",
/// "a whole number", "one of a, b"; empty when nothing is known beyond the pattern.
std::string expected_form(const Parameter& p);
/// An example value: the default, the first enum value, or a typical one for well-known names.
std::string example_value(const Parameter& p);
/// `/runbook run pod-crashloop namespace=<namespace> pod=<pod>` (optional ones in brackets).
std::string usage_line(const Skill& skill);
/// The usage line, then one line per parameter: required or not, description, form, example.
std::string usage_text(const Skill& skill);
/// "namespace and pod", "a, b and c".
std::string join_words(const std::vector<std::string>& words);

}  // namespace vigil::skills
