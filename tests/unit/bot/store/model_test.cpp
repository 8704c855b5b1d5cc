#include "bot/store/model.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Model, RunStatesRoundTrip) {
  for (auto s : {RunState::Queued, RunState::Running, RunState::AwaitingApproval, RunState::Succeeded, RunState::Failed,
                 RunState::TimedOut, RunState::Cancelled, RunState::Interrupted}) {
    EXPECT_EQ(parse_run_state(to_string(s)), s);
  }
  EXPECT_FALSE(parse_run_state("done"));
  EXPECT_TRUE(is_terminal(RunState::TimedOut));
  EXPECT_FALSE(is_terminal(RunState::AwaitingApproval));
}

TEST(Model, StepAndApprovalStatesRoundTrip) {
  EXPECT_EQ(parse_step_state("awaiting_approval"), StepState::AwaitingApproval);
  EXPECT_EQ(to_string(StepState::Interrupted), "interrupted");
  EXPECT_EQ(parse_approval_state("expired"), ApprovalState::Expired);
  EXPECT_FALSE(parse_approval_state("maybe"));
}

TEST(RunResult, EveryResultHasANameALabelAndAnIconAndParsesBack) {
  for (auto r :
       {RunResult::Fixed, RunResult::Diagnosed, RunResult::Denied, RunResult::NothingToDo, RunResult::Skipped,
        RunResult::NeedsInput, RunResult::Failed, RunResult::Cancelled, RunResult::TimedOut, RunResult::Interrupted}) {
    EXPECT_EQ(parse_run_result(to_string(r)), r);
    EXPECT_NE(label_of(r), "unknown");
    EXPECT_EQ(icon_of(r).front(), ':');
  }
  EXPECT_FALSE(parse_run_result("succeeded"));
  EXPECT_EQ(label_of(RunResult::Denied), "fix denied, no change made");
}

TEST(RunResult, ARunShowsItsRecordedResultElseTheOneItsStateImplies) {
  RunRecord run;
  run.state = RunState::Running;
  run.result = RunResult::Fixed;
  EXPECT_FALSE(run.shown_result()) << "a run still working has no result yet";
  run.state = RunState::Succeeded;
  EXPECT_EQ(run.shown_result(), RunResult::Fixed);
  run.result.reset();
  EXPECT_FALSE(run.shown_result()) << "an old succeeded row could be anything";
  run.state = RunState::Interrupted;
  EXPECT_EQ(run.shown_result(), RunResult::Interrupted);
}

TEST(RunResult, AListShowsTheResultsLabelOnceFinishedElseTheState) {
  RunRecord run;
  run.state = RunState::AwaitingApproval;
  EXPECT_EQ(run.shown_status(), "awaiting_approval");
  run.state = RunState::Succeeded;
  run.result = RunResult::Denied;
  EXPECT_EQ(run.shown_status(), "fix denied, no change made");
  run.result = RunResult::NothingToDo;
  EXPECT_EQ(run.shown_status(), "nothing to do");
  run.result.reset();
  EXPECT_EQ(run.shown_status(), "succeeded") << "a row older than results";
}

}  // namespace
}  // namespace vigil
