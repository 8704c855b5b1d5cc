// The circuit breaker's decisions, without a store: which finished runs count against automatic
// triage, when the breaker opens, which alerts it skips, and what people read about it.
#include "bot/core/circuit_breaker.h"

#include <gtest/gtest.h>

#include "bot/cli/cli.h"
#include "bot/cli/triage_command.h"

namespace vigil {
namespace {

using W = BreakerWeight;

TEST(CircuitBreakerDecisions, OnlyAutomaticSystemFailuresCount) {
  EXPECT_EQ(breaker_weight(true, RunResult::Failed), W::SystemFailure);
  EXPECT_EQ(breaker_weight(true, RunResult::TimedOut), W::SystemFailure);
  // A person's request never counts, whatever it came to.
  for (auto r : {RunResult::Failed, RunResult::TimedOut, RunResult::Fixed, RunResult::NothingToDo,
                 RunResult::NeedsInput, RunResult::Denied}) {
    EXPECT_EQ(breaker_weight(false, r), W::Ignored) << to_string(r);
  }
  // Automatic runs that say nothing about the system.
  for (auto r : {RunResult::NothingToDo, RunResult::NeedsInput, RunResult::Skipped, RunResult::Cancelled,
                 RunResult::Interrupted}) {
    EXPECT_EQ(breaker_weight(true, r), W::Ignored) << to_string(r);
  }
  // Automatic runs that show it working, a denied fix included (a person decided, the system worked).
  for (auto r : {RunResult::Fixed, RunResult::Diagnosed, RunResult::Denied}) {
    EXPECT_EQ(breaker_weight(true, r), W::Healthy) << to_string(r);
  }
}

TEST(CircuitBreakerDecisions, OnlyAlertsAndWebhooksAreAutomatic) {
  EXPECT_TRUE(is_automatic_trigger_kind("alert"));
  EXPECT_TRUE(is_automatic_trigger_kind("webhook"));
  for (const char* kind : {"slash_command", "mention", "runbook", "cli", "proposal", ""}) {
    EXPECT_FALSE(is_automatic_trigger_kind(kind)) << kind;
  }
}

TEST(CircuitBreakerDecisions, OpensOnThresholdFailuresInARowIgnoringPeoplesRuns) {
  EXPECT_TRUE(breaker_should_open({W::SystemFailure, W::SystemFailure, W::SystemFailure}, 3));
  EXPECT_FALSE(breaker_should_open({W::SystemFailure, W::SystemFailure}, 3)) << "not enough yet";
  EXPECT_FALSE(breaker_should_open({W::SystemFailure, W::SystemFailure, W::Healthy, W::SystemFailure}, 3))
      << "a healthy automatic run ends the streak";
  EXPECT_TRUE(breaker_should_open(
      {W::SystemFailure, W::Ignored, W::Ignored, W::SystemFailure, W::Ignored, W::SystemFailure, W::Healthy}, 3))
      << "people's runs between the failures neither count nor break the streak";
  EXPECT_FALSE(breaker_should_open({W::Ignored, W::Ignored, W::Ignored, W::Ignored}, 3))
      << "three failed /triage texts are not a system failure";
  EXPECT_FALSE(breaker_should_open({}, 3));
  EXPECT_FALSE(breaker_should_open({W::SystemFailure}, 0)) << "a threshold of 0 never opens";
}

TEST(CircuitBreakerDecisions, SkipsOnlyAutomaticTriggersWhilePaused) {
  const AutoTriagePause pause{"skill:disk-check", 1000, 4600, "3 automatic runs in a row failed", "", std::nullopt};
  EXPECT_TRUE(skips_for_pause(true, pause, 2000));
  EXPECT_FALSE(skips_for_pause(false, pause, 2000)) << "a person's request always runs";
  EXPECT_FALSE(skips_for_pause(true, pause, 4600)) << "the pause is over";
  EXPECT_FALSE(skips_for_pause(true, std::nullopt, 2000));
  auto resumed = pause;
  resumed.resumed_at = 1500;
  resumed.resumed_by = "U1";
  EXPECT_FALSE(skips_for_pause(true, resumed, 2000)) << "a person resumed it";
}

TEST(CircuitBreakerDecisions, TextsSayWhatWhySinceUntilAndHowToResume) {
  // 2026-11-22 03:00 UTC, paused for an hour.
  const long long at = 1'795'316'400;
  const AutoTriagePause pause{
      "skill:disk-check", at, at + 3600, "3 automatic runs in a row failed: run 6f1c2d3e (a step failed)", "",
      std::nullopt};
  const auto skipped = skipped_text(pause);
  EXPECT_EQ(skipped,
            "automatic triage with skill:disk-check is paused since 2026-11-22 03:00 UTC (3 automatic runs in a "
            "row failed: run 6f1c2d3e (a step failed)); nothing was run for this alert. It resumes by itself at "
            "2026-11-22 04:00 UTC, or resume it now with `/triage resume-auto skill:disk-check`.");
  const auto announced = pause_announcement(pause);
  EXPECT_EQ(announced.rfind("Automatic triage with skill:disk-check is paused until 2026-11-22 04:00 UTC: 3 "
                            "automatic runs in a row failed: run 6f1c2d3e (a step failed).",
                            0),
            0u)
      << announced;
  EXPECT_NE(announced.find("`/triage resume-auto skill:disk-check`"), std::string::npos) << announced;
}

TEST(TriageExitCode, SaysWhatTheRunCameTo) {
  EXPECT_EQ(triage_exit_code(RunResult::Fixed), kExitOk);
  EXPECT_EQ(triage_exit_code(RunResult::Diagnosed), kExitOk);
  for (auto r : {RunResult::Denied, RunResult::NothingToDo, RunResult::NeedsInput, RunResult::Skipped}) {
    EXPECT_EQ(triage_exit_code(r), kExitNoChange) << to_string(r);
  }
  EXPECT_EQ(triage_exit_code(RunResult::Cancelled), 130);
  for (auto r : {RunResult::Failed, RunResult::TimedOut, RunResult::Interrupted}) {
    EXPECT_EQ(triage_exit_code(r), kExitFailure) << to_string(r);
  }
  EXPECT_EQ(triage_exit_code(std::nullopt), kExitFailure);
}

}  // namespace
}  // namespace vigil
