#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::skills {

/// Where something was written in its YAML file (1-based; 0 when unknown).
struct SourceMark {
  int line = 0;
  int column = 0;
};

enum class Risk { Low, Medium, High };
enum class OnFailure { Stop, Continue, Rollback };

std::string_view to_string(Risk r);
std::string_view to_string(OnFailure f);

/// A typed input. A value is checked against `pattern` (a full match, ECMAScript syntax) or
/// `enum_values` before it is substituted; integer and boolean types carry their own pattern.
struct Parameter {
  std::string name;
  std::string type = "string";  // string, integer, boolean
  std::string pattern;
  std::vector<std::string> enum_values;
  std::optional<std::string> default_value;
  bool required = false;
  std::string description;
  /// Filled from the incident when not given: "labels.namespace", "alertname", "title", …
  std::string from_incident;
  SourceMark mark;

  /// The pattern the value must match in full, including the implicit ones of integer and
  /// boolean; empty when the parameter is checked by its enum only (or not at all).
  std::string effective_pattern() const;
};

/// A value pulled out of a step's standard output by a regular expression (group 1 when the
/// expression has one, else the whole match), then checked against `pattern` (full match).
struct Capture {
  std::string name;
  std::string regex;
  std::string pattern;  // empty: kSafeValuePattern
  SourceMark mark;
};

/// A capture of an earlier step, written `step.capture` in a skill.
struct CaptureRef {
  std::string step;
  std::string name;
  bool operator==(const CaptureRef&) const = default;
};

/// `began_within: {after: S.c, at_most: D}` (skills/condition_values.h).
struct TimeWindow {
  CaptureRef after;
  std::chrono::seconds at_most{0};
  bool operator==(const TimeWindow&) const = default;
};

/// A condition on an earlier step's result; every field that is set must hold.
struct Condition {
  std::string step;    // an earlier step id
  std::string status;  // succeeded, failed, skipped (empty: any)
  std::string output_contains;
  std::string output_not_contains;
  std::string output_matches;  // a regular expression searched in the output
  /// The output, a whole number, is below this parameter's value (scale out only, never in).
  std::string output_below_param;
  SourceMark mark;
  /// The earliest time in the output falls in a window after a captured time (a crash that began
  /// with the latest rollout).
  std::optional<TimeWindow> began_within;
  /// The output, trimmed, is this capture (the crashing pod runs the deployment's latest revision).
  std::optional<CaptureRef> same_as;
  bool empty() const { return step.empty(); }
};

struct Step {
  std::string id;
  std::string title;
  std::vector<std::string> run;      // argv template
  std::vector<std::string> dry_run;  // argv template run before asking the gate; may be empty
  std::chrono::seconds timeout{60};
  bool mutating = false;
  bool requires_approval = false;  // forced on for mutating steps
  Risk risk = Risk::Low;
  std::vector<std::string> approvers;  // Slack user ids / group ids; empty: the configured ones
  bool allow_self_approval = false;
  std::vector<Capture> captures;
  std::vector<Condition> when;  // every one must hold, else the step is skipped
  OnFailure on_failure = OnFailure::Stop;
  Condition expect;  // verify steps only: extra checks on the output (step field unused)
  SourceMark mark;

  bool is_gated() const { return mutating || requires_approval; }
};

/// Verification after a remediation: every step must succeed within `attempts` polls.
struct Verify {
  int attempts = 1;
  std::chrono::seconds interval{30};
  std::vector<Step> steps;
  SourceMark mark;
};

/// A value a finding pulls out of a step's output for its sentence: group 1 of `regex` (else the
/// whole match) in `step`'s output, the first occurrence or, with `last`, the last one.
struct FindingCapture {
  std::string name;
  std::string step;
  std::string regex;
  bool last = false;
  std::string default_value = "unknown";  // when the step did not run or nothing matched
  SourceMark mark;
};

/// Lines quoted as the evidence of a finding: every line of `step`'s output that `regex` matches.
struct EvidencePattern {
  std::string step;
  std::string regex;
  SourceMark mark;
};

/// A rule over the steps' outputs that says in one line what is wrong (skills/README.md,
/// "Findings"). It holds when every condition in `when` holds; its sentence is `say` with
/// `{{ findings.<capture> }}`, `{{ params.x }}`, `{{ steps.<id>.<capture> }}` and
/// `{{ incident.x }}` filled in. The first finding that holds is the run's diagnosis.
struct Finding {
  std::string id;
  std::vector<Condition> when;
  std::vector<FindingCapture> captures;
  std::string say;
  std::vector<EvidencePattern> evidence;
  SourceMark mark;
};

struct Triggers {
  std::vector<std::string> alertnames;        // exact alert names
  std::map<std::string, std::string> labels;  // every one must equal the incident's label
  std::vector<std::string> text;              // case-insensitive regexes on title and text
  bool empty() const { return alertnames.empty() && labels.empty() && text.empty(); }
};

/// Who may start a skill with `/runbook run` (or its parameters form): Slack users (U…) and user
/// groups (S…), on top of the channel's and the global `start.runbook`. Neither set: everyone.
struct SkillStartRule {
  std::vector<std::string> users;
  std::vector<std::string> groups;
  bool restricted() const { return !users.empty() || !groups.empty(); }
};

struct Skill {
  std::string id;
  std::string title;
  std::string description;
  std::string file;
  Triggers triggers;
  std::vector<Parameter> parameters;
  std::vector<Step> steps;
  Verify verify;
  std::vector<Step> rollback;
  std::vector<Finding> findings;
  bool requires_kubernetes = false;
  SkillStartRule start;

  const Parameter* find_parameter(std::string_view name) const;
  const Step* find_step(std::string_view id) const;
  bool has_remediation() const;
};

/// Captures and incident values have no declared pattern; they must look like a name, a number or
/// a path: no spaces, no shell characters, no leading dash.
inline constexpr std::string_view kSafeValuePattern = "[A-Za-z0-9_][A-Za-z0-9_.:/@=+,-]{0,252}";

}  // namespace vigil::skills
