#pragma once

#include <map>
#include <string>
#include <vector>

#include "skills/skill.h"
#include "skills/template.h"

namespace vigil::skills {

/// What a step came to, as findings read it.
struct StepOutcome {
  std::string status;  // succeeded, failed, skipped
  std::string output;  // stdout, then "\n[stderr]\n" and stderr when there was any
};

/// Everything findings are evaluated over: the steps that have run so far (by step id) and the
/// values a template may use (parameters, captures, incident).
struct FindingInputs {
  std::map<std::string, StepOutcome> steps;
  TemplateValues values;
};

/// A finding that holds: its one-line sentence and the lines of output behind it.
struct FindingResult {
  std::string id;
  std::string text;
  std::vector<std::string> evidence;  // quoted lines of output, trimmed, at most kMaxEvidenceLines
  std::string step;                   // the step of its first condition
  bool operator==(const FindingResult&) const = default;
};

inline constexpr std::size_t kMaxEvidenceLines = 6;
inline constexpr std::size_t kMaxEvidenceLineBytes = 200;
inline constexpr std::size_t kMaxFindingValueBytes = 300;
inline constexpr std::size_t kMaxFindingTextBytes = 500;

/// The findings that hold, in the skill's order (the first is the diagnosis); a finding whose
/// sentence equals an earlier one's is left out. A step that has not run makes every condition on
/// it false. Regular expressions run through skills/skill_regex.h (bounded); one that fails on this
/// output makes its condition false or its capture take the default, and is described in `problems`.
/// Pure: no I/O.
std::vector<FindingResult> evaluate_findings(const std::vector<Finding>& findings, const FindingInputs& inputs,
                                             std::vector<std::string>* problems = nullptr);

/// The names a finding's sentence uses: "findings.x", "params.x", "steps.s.x", "incident.x"; an
/// error names the first placeholder that is none of these (or is not closed).
Result<std::vector<std::string>> finding_placeholders(const std::string& say);

/// "(diagnosis) + evidence" as text lines for people: the sentence, then each evidence line
/// indented by "  > ".
std::string describe_finding(const FindingResult& finding);

}  // namespace vigil::skills
