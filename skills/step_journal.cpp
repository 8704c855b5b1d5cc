#include "skills/step_journal.h"

namespace vigil::skills {

StepEnd StepEnd::without_running(StepState state, std::string note) {
  StepEnd o;
  o.state = state;
  o.output = std::move(note);
  return o;
}

std::string_view to_string(StepEventKind kind) {
  switch (kind) {
    case StepEventKind::SkillStarted:
      return "skill_started";
    case StepEventKind::SkillResumed:
      return "skill_resumed";
    case StepEventKind::SkillRefused:
      return "skill_refused";
    case StepEventKind::SkillFinished:
      return "skill_finished";
    case StepEventKind::StepStarted:
      return "step_started";
    case StepEventKind::StepFinished:
      return "step_finished";
    case StepEventKind::StepInterruptedReapproval:
      return "step_interrupted_reapproval";
    case StepEventKind::ApprovalRequested:
      return "approval_requested";
    case StepEventKind::ApprovalApproved:
      return "approval_approved";
    case StepEventKind::ApprovalDenied:
      return "approval_denied";
    case StepEventKind::ApprovalExpired:
      return "approval_expired";
    case StepEventKind::ApprovalCancelled:
      return "approval_cancelled";
    case StepEventKind::Verified:
      return "verified";
    case StepEventKind::NotVerified:
      return "not_verified";
    case StepEventKind::RollbackOffered:
      return "rollback_offered";
  }
  return "step_finished";
}

StepEventKind decision_event(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::Approved:
      return StepEventKind::ApprovalApproved;
    case GateOutcome::Denied:
      return StepEventKind::ApprovalDenied;
    case GateOutcome::Expired:
      return StepEventKind::ApprovalExpired;
    case GateOutcome::Cancelled:
      return StepEventKind::ApprovalCancelled;
  }
  return StepEventKind::ApprovalCancelled;
}

}  // namespace vigil::skills
