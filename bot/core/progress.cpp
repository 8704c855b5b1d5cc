#include "bot/core/progress.h"

namespace vigil {

std::string_view to_string(ProgressKind k) {
  switch (k) {
    case ProgressKind::Queued:
      return "queued";
    case ProgressKind::Started:
      return "started";
    case ProgressKind::ToolCall:
      return "tool_call";
    case ProgressKind::ToolResult:
      return "tool_result";
    case ProgressKind::Finding:
      return "finding";
    case ProgressKind::Text:
      return "text";
    case ProgressKind::Proposal:
      return "proposal";
    case ProgressKind::ProposalRejected:
      return "proposal_rejected";
    case ProgressKind::StepStarted:
      return "step_started";
    case ProgressKind::StepFinished:
      return "step_finished";
    case ProgressKind::WaitingForApproval:
      return "waiting_for_approval";
    case ProgressKind::Decision:
      return "decision";
    case ProgressKind::Note:
      return "note";
    case ProgressKind::FollowUp:
      return "follow_up";
    case ProgressKind::AutoTriagePaused:
      return "auto_triage_paused";
    case ProgressKind::Repeat:
      return "repeat";
    case ProgressKind::Finished:
      return "finished";
  }
  return "note";
}

}  // namespace vigil
