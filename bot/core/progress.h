#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bot/store/model.h"

namespace vigil {

/// What happened in a run, as the Slack layer and the terminal render it. Each is also a row of the
/// run's timeline (run_events).
enum class ProgressKind {
  Queued,
  Started,
  ToolCall,
  ToolResult,
  Finding,
  Text,
  Proposal,
  ProposalRejected,
  StepStarted,
  StepFinished,
  WaitingForApproval,
  Decision,
  Note,
  FollowUp,
  AutoTriagePaused,
  Repeat,  // the same alert came again; the root shows the count
  Finished,
};

std::string_view to_string(ProgressKind k);

struct ProgressEvent {
  ProgressKind kind = ProgressKind::Note;
  std::string run_id;
  std::string text;                    // one line for people (already redacted)
  std::string detail;                  // longer text: tool output, step output, summary (already redacted)
  std::string actor;                   // who: a Slack user id, "agent", "system"
  RunState state = RunState::Running;  // the run's state after this event
  long long at_ms = 0;
  /// A step's output in `detail`: its step row (its full output can be shared), and whether
  /// `detail` is only part of it.
  std::int64_t output_step = 0;
  bool output_cut = false;
};

/// Receives every progress event of every run, in order, on the io thread. Must not block.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_progress(const RunRecord& run, const ProgressEvent& event) = 0;
};

}  // namespace vigil
