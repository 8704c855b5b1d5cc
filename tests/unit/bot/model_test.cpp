#include "bot/model.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Model, RunStatesRoundTrip) {
  for (auto s : {RunState::Queued, RunState::Running, RunState::AwaitingApproval, RunState::Succeeded,
                 RunState::Failed, RunState::TimedOut, RunState::Cancelled, RunState::Interrupted}) {
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

}  // namespace
}  // namespace vigil
