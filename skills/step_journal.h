#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skills/approval_gate.h"
#include "skills/step_state.h"

namespace vigil::skills {

/// One step of a run as the executor sees it: a row of the run's step journal.
struct StepEntry {
  std::int64_t id = 0;  // given by the journal when the step is added
  std::string run_id;
  std::string skill;
  /// The step's name in the run: "<id>", "<id>.dry-run", "verify.<id>.<n>", "rollback.<id>".
  std::string key;
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
};

/// How a step ended: its final state and what it wrote. A step that never ran (skipped, refused,
/// denied) has no exit code and its note as output.
struct StepEnd {
  StepState state = StepState::Failed;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string output;
  bool truncated = false;
  std::string output_path;

  /// A step that ended without running: `note` says why.
  static StepEnd without_running(StepState state, std::string note);
};

/// What the executor tells the run's timeline.
enum class StepEventKind {
  SkillStarted,
  SkillResumed,
  SkillRefused,
  SkillFinished,
  StepStarted,
  StepFinished,
  StepInterruptedReapproval,  // a gated step caught by a crash or a cancel asks again
  ApprovalRequested,
  ApprovalApproved,
  ApprovalDenied,
  ApprovalExpired,
  ApprovalCancelled,
  Verified,
  NotVerified,
  RollbackOffered,
};

/// The timeline's name of the kind: "skill_started", "approval_denied", "not_verified", …
std::string_view to_string(StepEventKind kind);
/// The event that records a gate's decision: approval_approved, approval_denied, …
StepEventKind decision_event(GateOutcome outcome);

/// One row of a run's timeline written by the executor.
struct StepEvent {
  std::string run_id;
  StepEventKind kind = StepEventKind::StepStarted;
  std::string text;
  std::string actor = "system";
};

/// An approved gated step ran: the audit log's record of the change (not of its approval, which
/// the gate records).
struct ExecutionRecord {
  std::string run_id;
  std::string key;        // the step's name in the run
  std::string argv_hash;  // the approved argv
  std::string approved_by;
  StepState state = StepState::Failed;  // how it ended
};

/// Where the step executor keeps a run's steps, so that a run paused at a gate survives a restart.
/// Declared here, by its consumer; the store implements it (bot/store/store_step_journal.h). The
/// executor never touches the run itself: the run's state belongs to its owner (the run manager).
/// Every time is the journal's own clock.
class StepJournal {
 public:
  virtual ~StepJournal() = default;

  /// Whether the run is recorded (the executor works only for a recorded run).
  virtual bool has_run(const std::string& run_id) = 0;
  /// Every step recorded for the run, oldest first (a resumed run reuses the finished ones).
  virtual std::vector<StepEntry> steps(const std::string& run_id) = 0;
  /// Records a new step as given (pending); returns it with its id.
  virtual StepEntry add_step(StepEntry step) = 0;
  /// One conditional update: moves the step from `from` to `to`; false (and nothing changes) when
  /// it was not in `from`. Of two resumers racing for a step exactly one wins.
  virtual bool transition(const StepEntry& step, StepState from, StepState to) = 0;
  /// The step's end.
  virtual void finish(const StepEntry& step, const StepEnd& outcome) = 0;
  /// A row of the run's timeline.
  virtual void record(const StepEvent& event) = 0;
  /// An approved gated step ran (the audit log's step.executed).
  virtual void record_execution(const ExecutionRecord& execution) = 0;
};

}  // namespace vigil::skills
