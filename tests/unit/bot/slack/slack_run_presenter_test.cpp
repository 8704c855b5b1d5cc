// The presenter's decisions, without Slack: when a root is shown again, and which thread lines get a
// Full output button.
#include "bot/slack/slack_run_presenter.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

TEST(RootRefresh, AnUnfinishedRunIsShownAgainAtThePace) {
  const TimePoint last(std::chrono::seconds(1'800'000'000));
  EXPECT_EQ(root_refresh_due_in(RunState::AwaitingApproval, last, last + 10s, 60s), std::optional(50'000ms));
  EXPECT_EQ(root_refresh_due_in(RunState::Running, last, last + 60s, 60s), std::optional(0ms));
  EXPECT_EQ(root_refresh_due_in(RunState::Queued, last, last + 17min, 60s), std::optional(0ms));
  // A clock that went back waits a whole pace, never more.
  EXPECT_EQ(root_refresh_due_in(RunState::Running, last, last - 5s, 60s), std::optional(60'000ms));
}

TEST(RootRefresh, AFinishedRunIsNotRefreshed) {
  const TimePoint last(std::chrono::seconds(1'800'000'000));
  for (const auto s :
       {RunState::Succeeded, RunState::Failed, RunState::Cancelled, RunState::TimedOut, RunState::Interrupted}) {
    EXPECT_EQ(root_refresh_due_in(s, last, last + 1h, 60s), std::nullopt) << to_string(s);
  }
  EXPECT_EQ(root_refresh_due_in(RunState::Running, last, last + 1h, 0ms), std::nullopt) << "pace 0: off";
}

TEST(FullOutputButton, OnlyForAStepOutputTheThreadCuts) {
  ProgressEvent e;
  e.kind = ProgressKind::Finding;
  e.detail = "short";
  EXPECT_FALSE(offers_full_output(e)) << "not a step's output";
  e.output_step = 7;
  EXPECT_FALSE(offers_full_output(e)) << "all of it is shown";
  e.output_cut = true;
  EXPECT_TRUE(offers_full_output(e));
  e.output_cut = false;
  e.detail = std::string(1600, 'x');  // longer than a thread line's code block
  EXPECT_TRUE(offers_full_output(e));
}

}  // namespace
}  // namespace vigil
