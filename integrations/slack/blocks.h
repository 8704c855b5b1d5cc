#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::slack::blocks {

/// Every Slack message Vigil posts is built here, and every Block Kit limit
/// (slack-protocol.md §4) is enforced here: long text is cut cleanly with a note, so Slack never
/// answers invalid_blocks or msg_too_long. Buttons carry only an opaque token in `value`.

inline constexpr std::size_t kMaxBlocks = 50;
inline constexpr std::size_t kMaxSectionText = 3000;
inline constexpr std::size_t kMaxHeaderText = 150;
inline constexpr std::size_t kMaxButtonText = 75;
inline constexpr std::size_t kMaxValue = 2000;
inline constexpr std::size_t kMaxId = 255;
inline constexpr std::size_t kMaxContextElements = 10;
inline constexpr std::size_t kMaxFallbackText = 3000;  // well below the 40,000 truncation

// Action ids the Router matches on (prefix before the dot).
inline constexpr const char* kActionCancelRun = "run.cancel";
inline constexpr const char* kActionApprove = "approval.approve";
inline constexpr const char* kActionDeny = "approval.deny";
// The alert buttons on the root of a run started by an alert (value: the run id).
inline constexpr const char* kActionAlertAck = "alert.ack";
inline constexpr const char* kActionAlertSilence = "alert.silence";
inline constexpr const char* kActionAlertSnooze = "alert.snooze";
inline constexpr const char* kActionAlertResolve = "alert.resolve";
inline constexpr const char* kActionAlertSource = "alert.source";  // a link button: Slack still reports the click
/// "step.full_output:<step row>" (action ids are unique per message; the value says which step).
inline constexpr const char* kActionFullOutput = "step.full_output";

/// A built message: notification fallback text plus the blocks array.
struct Message {
  std::string text;
  nlohmann::json blocks = nlohmann::json::array();
};

/// The alert buttons of a run's root and what was done with them ("Acknowledged by <@U…>").
struct AlertActionsView {
  std::string token;  // the run id: the only thing in the buttons
  bool acknowledge = false;
  bool silence = false;  // Alertmanager's silence for 1 h
  bool snooze = false;   // Vigil's own snooze for 1 h
  bool resolve = false;
  std::string source_url;                // http(s) only; empty: no link button
  std::string source_name;               // "Alertmanager", "Grafana", …: the link button says "Open in <name>"
  std::vector<std::string> status = {};  // mrkdwn lines, already escaped
};

struct RunView {
  std::string run_id;     // shown short (first 8 characters)
  std::string status;     // queued, running, awaiting_approval, succeeded, …
  std::string title;      // what was asked / the alert
  std::string incident;   // incident id or name, may be empty
  std::string requester;  // Slack user id (U…), or a source such as "alertmanager"
  std::chrono::seconds elapsed{0};
  std::string cancel_token;             // empty: no Cancel button (finished runs)
  int repeats = 1;                      // how often the trigger came (an alert storm shows one count)
  std::vector<std::string> steps = {};  // "step: state" lines
  // A finished run: what it came to, shown instead of its state (":no_entry_sign:", "Fix denied, no
  // change made"). Empty while it runs.
  std::string result_icon = {};
  std::string result_label = {};
  std::optional<AlertActionsView> alert = {};  // a run started by an alert
  std::string diagnosis = {};                  // one line: what is wrong (a skill's first finding); shown first
};

struct Finding {
  std::string severity;  // info, warning, critical
  std::string title;
  std::string detail;  // tool output excerpt etc.; shown as a code block
};

/// Who is on call, on a card whose approvers include the person on call in PagerDuty or OpsGenie.
struct OnCallView {
  std::string service;             // PagerDuty, OpsGenie
  std::vector<std::string> users;  // U… on call now
  std::string as_of;               // human time of an older answer (the lookup is failing); empty when fresh
  bool unavailable = false;        // the lookup failed: only configured approvers can approve now
};

/// Why an approval card proposes its fix.
struct WhyView {
  std::string diagnosis;               // one line; empty: no finding of the runbook matched
  std::vector<std::string> evidence;   // lines of step output behind it
  std::vector<std::string> also = {};  // further findings, one line each
  std::string full_output;             // where the whole output is, e.g. "`vigil runs show 1a2b3c4d`"
};

struct ApprovalView {
  std::string run_id;
  std::string step;                        // skill step id / title
  std::vector<std::string> argv;           // the exact command that will run
  std::string dry_run_output;              // may be empty
  bool dry_run_ok = true;                  // false: the dry run could not run (its output says why)
  std::string risk;                        // low, medium, high
  std::string requester;                   // U…
  std::string expires_at;                  // human time, e.g. "2026-11-22 03:41 UTC"
  std::string token;                       // opaque approval token: the only thing in the buttons
  std::string status = {};                 // e.g. "approved by @x; 1 more needed" (may be empty)
  std::optional<OnCallView> on_call = {};  // when the on-call person may approve
  /// "Why this fix": the diagnosis and the evidence lines that chose it. Absent: not known (a card
  /// redrawn after a restart); present with an empty diagnosis: no finding matched.
  std::optional<WhyView> why = {};
  /// The cluster the command runs against; empty when only one is configured (not named then).
  std::string cluster = {};
};

struct DecisionView {
  bool approved = false;
  std::string step;
  std::vector<std::string> argv;
  std::string by;            // U…
  std::string at;            // human time
  std::string reason;        // optional
  std::string cluster = {};  // as ApprovalView::cluster
};

struct IncidentView {
  std::string id;  // shown short
  std::string title;
  std::string severity;     // sev1…sev4 or the source's word; may be empty
  std::string state;        // open, resolved
  std::string declared_by;  // U… or a source
  std::string opened_at;    // human time
  std::string resolved_by;  // U… or a source; empty while open
  std::string resolved_at;  // human time; empty while open
  std::string duration;     // "1h 2m" once resolved
  std::string channel;      // the incident's own channel (C…), may be empty
};

Message run_root(const RunView& run);
/// How the fallback text of every run_root for `run_id` begins ("Triage run 1a2b3c4d: "): finds a
/// root in a channel's history whose post was never answered.
std::string run_root_text_prefix(const std::string& run_id);
/// The root message of a declared incident (its thread collects what happens to it).
Message incident_root(const IncidentView& incident);
/// A long plain-text document (a Markdown timeline) as fenced code sections split on line breaks,
/// so it stays copyable; what does not fit in one message is cut with a pointer to `more`.
Message document(const std::string& title, const std::string& body, const std::string& more);
Message progress(const std::string& line);
Message findings(const std::string& run_id, const std::vector<Finding>& items);
Message approval_card(const ApprovalView& approval);
/// The "Why this fix" section of an approval card (mrkdwn; the diagnosis and evidence escaped).
std::string why_text(const WhyView& why);
/// The block_id of an approval card's buttons: finds a card whose post was never answered.
std::string approval_card_block_id(const std::string& token);
/// The one-line mrkdwn about who is on call on an approval card.
std::string on_call_line(const OnCallView& on_call);
Message decision(const DecisionView& decision);
Message error(const std::string& title, const std::string& detail);
/// A card that can no longer be decided (expired, cancelled): no buttons, the reason.
Message approval_closed(const std::string& step, const std::vector<std::string>& argv, const std::string& status);
/// Thread replies and private answers whose text is already Slack mrkdwn (callers escape whatever
/// came from outside): split into sections within the limits.
Message text(const std::string& mrkdwn);
/// A "Full output" button under thread lines that cut a step's output.
struct FullOutputButton {
  std::string step;  // the step's name, on the button
  std::string run_id;
  long long step_row = 0;
};
/// `mrkdwn` as text() does, then one "Full output: <step>" button per entry (at most 25).
Message text_with_full_output(const std::string& mrkdwn, const std::vector<FullOutputButton>& buttons);
/// The value of a Full output button, and back (nullopt for anything not made by it).
std::string full_output_value(const std::string& run_id, long long step_row);
std::optional<std::pair<std::string, long long>> parse_full_output_value(std::string_view value);

/// The modal asking for an optional reason when someone denies (callback_id, token in
/// private_metadata).
nlohmann::json deny_reason_modal(const std::string& callback_id, const std::string& token);

// ---- the limit helpers (used above; public for tests) ----

/// A Slack user id (U… or W…, letters and digits): safe to put in a <@…> mention.
bool is_user_id(std::string_view who);
/// Escapes &, <, > for mrkdwn (log excerpts, user text).
std::string escape(std::string_view text);
/// Why a dry run could not run, in one line: its first line that names an error (kubectl's
/// "Error from server (Forbidden): …"), else its first non-empty line, at most 300 characters.
std::string dry_run_failure_line(std::string_view output);
/// At most `limit` bytes (never more characters than that), cut on a UTF-8 boundary, preferably at
/// a line break, never inside an &entity;, with `note` appended when something was cut.
std::string truncate(std::string_view text, std::size_t limit, std::string_view note = "\n…(truncated)");
/// ```text``` within `limit`, text escaped and cut so the fence stays closed.
std::string code_block(std::string_view text, std::size_t limit = kMaxSectionText);
/// Joins argv for display, quoting elements with spaces or quotes.
std::string display_argv(const std::vector<std::string>& argv);
/// At most 50 blocks: the last kept block says how many were left out.
nlohmann::json cap_blocks(nlohmann::json blocks);

}  // namespace vigil::slack::blocks
