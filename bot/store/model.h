#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skills/step_state.h"

namespace vigil {

/// DESIGN.md §3: queued → running → awaiting_approval ⇄ running → succeeded | failed | timed_out |
/// cancelled, plus interrupted for work caught by a crash.
enum class RunState {
  Queued,
  Running,
  AwaitingApproval,
  Succeeded,
  Failed,
  TimedOut,
  Cancelled,
  Interrupted,
};

std::string_view to_string(RunState s);
std::optional<RunState> parse_run_state(std::string_view s);
bool is_terminal(RunState s);

/// What a finished run came to, as people read it: the run's state says how its work ended, this
/// says what it did. Shown (with its icon) wherever a finished run is shown: the root message and
/// summary in Slack, `vigil runs list|show`, `/triage list`, the timeline and the runs metric.
enum class RunResult {
  Fixed,        // an approved change ran (and verified, when the skill verifies)
  Diagnosed,    // the diagnosis ran; no change was made (none offered, or a dry run)
  Denied,       // the change was offered and a person denied it (or its approval expired)
  NothingToDo,  // nothing matched: no runbook for this incident, nothing was run
  Skipped,      // automatic triage is paused: this alert was not triaged
  NeedsInput,   // a required parameter could not be filled: asked for in the thread
  Failed,       // a step, the agent or Vigil itself failed
  Cancelled,
  TimedOut,
  Interrupted,
};

std::string_view to_string(RunResult r);
std::optional<RunResult> parse_run_result(std::string_view s);
/// One short phrase for people: "fixed", "diagnosed, no change made", "fix denied", …
std::string_view label_of(RunResult r);
/// The Slack emoji shown beside it (":white_check_mark:", …).
std::string_view icon_of(RunResult r);
/// The result a terminal state implies when none was recorded (rows written before results
/// existed): failed, cancelled, timed out, interrupted; none for succeeded (it could be anything).
std::optional<RunResult> default_result_for(RunState terminal_state);

// StepState (skills/step_state.h): declared by the skills engine, persisted here by name.

enum class ApprovalState { Pending, Approved, Denied, Expired, Cancelled };

std::string_view to_string(ApprovalState s);
std::optional<ApprovalState> parse_approval_state(std::string_view s);

enum class Decision { Approve, Deny };

struct IncidentRecord {
  std::string id;
  std::string title;
  std::string severity;  // sev1..sev4, or as the alert source says
  std::string state = "open";
  std::string source;       // slack, alertmanager, pagerduty, opsgenie, grafana
  std::string fingerprint;  // dedup key from the source, empty when declared by hand
  std::string channel;
  std::string thread_ts;
  std::string declared_by;
  long long created_at = 0;
  std::optional<long long> resolved_at;
  int alert_count = 0;
};

/// One row of an incident's own timeline: declared, alert_fired, alert_repeat, alert_resolved,
/// alert_note, channel_created, resolved, reopened.
struct IncidentEvent {
  std::int64_t id = 0;
  std::string incident_id;
  long long at_ms = 0;
  std::string kind;
  std::string actor;
  std::string text;
};

struct RunRecord {
  std::string id;  // UUID
  std::string incident_id;
  std::string trigger_kind;  // slash_command, alert, mention, webhook, cli, runbook
  std::string trigger_key;   // unique: a redelivered trigger finds the same run
  std::string requester;     // Slack user id (or "cli:<user>")
  std::string text;
  std::string backend;
  std::string skill;  // set when started as a runbook
  RunState state = RunState::Queued;
  std::string channel;
  std::string thread_ts;
  long long created_at = 0;
  std::optional<long long> started_at;
  std::optional<long long> finished_at;
  std::string summary;
  std::string error;
  int repeat_count = 1;
  std::optional<RunResult> result;  // set when the run finished

  /// The result to show: the recorded one, else the one its terminal state implies.
  std::optional<RunResult> shown_result() const;
  /// One phrase for a list: the result's label once finished ("fix denied, no change made"), else
  /// the state ("running", "awaiting_approval"; "succeeded" only for rows older than results).
  std::string shown_status() const;
};

struct RunEvent {
  std::int64_t id = 0;
  std::string run_id;
  long long at_ms = 0;
  std::string kind;  // created, state, started, tool_call, finding, text, proposal, step_started, …
  std::string actor;
  std::string text;
  std::string data;  // JSON, may be empty
};

/// One turn of an agent CLI (a run's investigation, its retry, a follow-up): how long it ran and,
/// where the CLI's stream said, the tokens and the cost (unset: not reported).
struct AgentTurnRecord {
  std::string run_id;
  std::string backend;
  long long started_at_ms = 0;
  long long duration_ms = 0;
  std::string status;  // succeeded, failed, timed_out, cancelled, killed
  bool retry = false;  // the second attempt after a transient failure
  std::optional<long long> input_tokens;
  std::optional<long long> output_tokens;
  std::optional<double> cost_usd;
};

/// Agent turns summed (a run's, an incident's). Tokens and cost stay unset when no turn reported them.
struct AgentUsageTotals {
  int turns = 0;
  int runs = 0;
  long long duration_ms = 0;
  std::optional<long long> input_tokens;
  std::optional<long long> output_tokens;
  std::optional<double> cost_usd;
};

struct StepRecord {
  std::int64_t id = 0;
  std::string run_id;
  std::string skill;
  std::string step;
  int seq = 0;
  std::vector<std::string> argv;
  std::string argv_hash;
  bool mutating = false;
  StepState state = StepState::Pending;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string output;  // capped
  bool output_truncated = false;
  std::string output_path;  // the full output on disk
  std::optional<long long> started_at;
  std::optional<long long> finished_at;
};

struct ApprovalRecord {
  std::string token;  // opaque, random 128-bit, hex
  std::string run_id;
  std::optional<std::int64_t> step_id;
  std::string argv_hash;
  std::string requester;
  std::string policy;  // JSON: users, groups, oncall, allow_self_approval
  std::string risk;    // low, medium, high
  int required_approvals = 1;
  ApprovalState state = ApprovalState::Pending;
  long long created_at = 0;
  long long expires_at = 0;
  std::string decided_by;  // comma-separated when two approvers were needed
  std::optional<long long> decided_at;
  std::string reason;
  std::string channel;
  std::string message_ts;
  std::string cluster;  // the cluster the change runs against; empty: only one is configured
};

/// Automatic triage for a backend or a skill, paused after repeated failures.
struct AutoTriagePause {
  std::string key;  // "backend:<name>" or "skill:<id>"
  long long paused_at = 0;
  long long resume_at = 0;
  std::string reason;
  std::string resumed_by;
  std::optional<long long> resumed_at;
  bool active(long long now) const { return !resumed_at && now < resume_at; }
};

struct AuditEntry {
  std::int64_t id = 0;
  long long at_ms = 0;
  std::string actor;   // Slack user id, "system", "cli:<user>"
  std::string action;  // approval.requested, approval.click, approval.refused, step.executed, …
  std::string run_id;
  std::string approval_token;
  std::string detail;
};

}  // namespace vigil
