// The step journal port's typed values: the timeline names of the executor's event kinds (the rows
// people and the run manager read), a gate decision's event, a step that never ran.
#include "skills/step_journal.h"

#include <gtest/gtest.h>

namespace vigil::skills {
namespace {

TEST(StepEventKind, EachKindKeepsItsTimelineName) {
  const std::vector<std::pair<StepEventKind, std::string_view>> names = {
      {StepEventKind::SkillStarted, "skill_started"},
      {StepEventKind::SkillResumed, "skill_resumed"},
      {StepEventKind::SkillRefused, "skill_refused"},
      {StepEventKind::SkillFinished, "skill_finished"},
      {StepEventKind::StepStarted, "step_started"},
      {StepEventKind::StepFinished, "step_finished"},
      {StepEventKind::StepInterruptedReapproval, "step_interrupted_reapproval"},
      {StepEventKind::ApprovalRequested, "approval_requested"},
      {StepEventKind::ApprovalApproved, "approval_approved"},
      {StepEventKind::ApprovalDenied, "approval_denied"},
      {StepEventKind::ApprovalExpired, "approval_expired"},
      {StepEventKind::ApprovalCancelled, "approval_cancelled"},
      {StepEventKind::Verified, "verified"},
      {StepEventKind::NotVerified, "not_verified"},
      {StepEventKind::RollbackOffered, "rollback_offered"},
  };
  for (const auto& [kind, name] : names) {
    EXPECT_EQ(to_string(kind), name);
  }
}

TEST(StepEventKind, AGateDecisionIsRecordedAsApprovalAndItsOutcome) {
  for (const auto outcome :
       {GateOutcome::Approved, GateOutcome::Denied, GateOutcome::Expired, GateOutcome::Cancelled}) {
    EXPECT_EQ(to_string(decision_event(outcome)), "approval_" + std::string(to_string(outcome)));
  }
}

TEST(StepEnd, AStepThatNeverRanHasItsNoteAsOutputAndNoExit) {
  const auto o = StepEnd::without_running(StepState::Skipped, "condition not met: when describe_pod ...");
  EXPECT_EQ(o.state, StepState::Skipped);
  EXPECT_EQ(o.output, "condition not met: when describe_pod ...");
  EXPECT_FALSE(o.exit_code);
  EXPECT_FALSE(o.signal);
  EXPECT_FALSE(o.truncated);
  EXPECT_TRUE(o.output_path.empty());
}

TEST(StepState, NamesRoundTrip) {
  for (const auto s : {StepState::Pending, StepState::AwaitingApproval, StepState::Running, StepState::Succeeded,
                       StepState::Failed, StepState::Skipped, StepState::Denied, StepState::Expired,
                       StepState::TimedOut, StepState::Cancelled, StepState::Interrupted}) {
    EXPECT_EQ(parse_step_state(to_string(s)), s);
  }
  EXPECT_EQ(to_string(StepState::AwaitingApproval), "awaiting_approval");
  EXPECT_EQ(to_string(StepState::TimedOut), "timed_out");
  EXPECT_FALSE(parse_step_state("paused"));
}

TEST(ApprovalGate, ARefusedBindingSaysWhichHashWasApprovedAndWhichWouldRun) {
  GateRequest request;
  request.step_key = "rollback.undo";
  request.argv_hash = "sha256:1111";
  GateDecision decision;
  decision.argv_hash = "sha256:0000";
  EXPECT_EQ(binding_refusal_detail(request, decision), "rollback.undo approved sha256:0000 but argv is sha256:1111");
}

}  // namespace
}  // namespace vigil::skills
