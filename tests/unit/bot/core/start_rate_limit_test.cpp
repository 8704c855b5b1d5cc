// The rate limits on starting runs: token buckets per person and per channel, on a fake timeline.
#include "bot/core/start_rate_limit.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = TimePoint(std::chrono::hours(24 * 365 * 50));

StartConfig limits(RateLimit per_user, RateLimit per_channel) {
  StartConfig c;
  c.agent = {per_user, per_channel};
  return c;
}

TEST(TokenBucket, ABurstAtOnceThenOneMorePerInterval) {
  const RateLimit limit{3, minutes(5)};
  TokenBucket b;
  EXPECT_EQ(tokens_left(b, limit, kT0), 3);
  EXPECT_TRUE(try_take(b, limit, kT0));
  EXPECT_TRUE(try_take(b, limit, kT0));
  EXPECT_TRUE(try_take(b, limit, kT0));
  EXPECT_EQ(tokens_left(b, limit, kT0), 0);
  EXPECT_FALSE(try_take(b, limit, kT0 + minutes(4)));
  EXPECT_EQ(next_token_at(b, limit, kT0 + minutes(4)), kT0 + minutes(5));
  EXPECT_TRUE(try_take(b, limit, kT0 + minutes(5)));
  EXPECT_FALSE(try_take(b, limit, kT0 + minutes(5)));
  // Idle long enough, the bucket is full again, never fuller.
  EXPECT_EQ(tokens_left(b, limit, kT0 + minutes(60)), 3);
}

TEST(TokenBucket, NoLimitWithoutABurst) {
  TokenBucket b;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(try_take(b, RateLimit{}, kT0));
  }
}

TEST(StartRateLimiter, EachPersonHasTheirOwnBucket) {
  StartRateLimiter l(limits({2, minutes(10)}, {}));
  EXPECT_TRUE(l.take(LimitedRun::Agent, "U1", "C1", kT0).allowed);
  EXPECT_TRUE(l.take(LimitedRun::Agent, "U1", "C2", kT0).allowed);
  const auto limited = l.take(LimitedRun::Agent, "U1", "C1", kT0 + seconds(30));
  EXPECT_FALSE(limited.allowed);
  EXPECT_FALSE(limited.by_channel);
  EXPECT_EQ(limited.retry_at, kT0 + minutes(10));
  EXPECT_TRUE(l.take(LimitedRun::Agent, "U2", "C1", kT0).allowed) << "another person";
  EXPECT_TRUE(l.take(LimitedRun::Runbook, "U1", "C1", kT0).allowed) << "runbook runs: no limit by default";
}

TEST(StartRateLimiter, AChannelLimitStopsEveryoneThereAndTakesNothingFromAPersonRefused) {
  StartRateLimiter l(limits({2, minutes(10)}, {1, minutes(2)}));
  EXPECT_TRUE(l.take(LimitedRun::Agent, "U1", "C1", kT0).allowed);
  const auto limited = l.take(LimitedRun::Agent, "U2", "C1", kT0 + seconds(20));
  EXPECT_FALSE(limited.allowed);
  EXPECT_TRUE(limited.by_channel);
  EXPECT_EQ(limited.retry_at, kT0 + minutes(2));
  // U2's own bucket was not touched by the refusal.
  EXPECT_EQ(l.standing(LimitedRun::Agent, "U2", "C1", kT0 + seconds(20)),
            "*Limits on agent runs*: you 2 of 2 left (one more every 10m); this channel 0 of 1 left (one more every "
            "2m).");
}

TEST(StartRateLimiter, TheLimitedReplySaysWhoseLimitAndWhen) {
  StartRateLimiter l(limits({1, minutes(5)}, {}));
  l.take(LimitedRun::Agent, "U1", "C1", kT0);
  const auto now = kT0 + seconds(50);
  const auto limited = l.take(LimitedRun::Agent, "U1", "C1", now);
  EXPECT_EQ(rate_limited_text(limited, LimitedRun::Agent, l.limits(LimitedRun::Agent).per_user, now),
            ":hourglass_flowing_sand: You have reached the limit on agent runs (1 at once, then one more every "
            "5m). Try again in 4m 10s. Nothing was started.");
}

TEST(StartRateLimiter, StandingWithoutLimitsSaysNone) {
  StartRateLimiter l(StartConfig{});
  EXPECT_EQ(l.standing(LimitedRun::Runbook, "U1", "C1", kT0), "*Limits on runbook runs*: none.");
  EXPECT_EQ(l.standing(LimitedRun::Agent, "U1", "C1", kT0),
            "*Limits on agent runs*: you 5 of 5 left (one more every 5m); this channel 10 of 10 left (one more every "
            "2m).")
      << "the defaults";
}

TEST(FormatWait, HoursMinutesSeconds) {
  EXPECT_EQ(format_wait(seconds(45)), "45s");
  EXPECT_EQ(format_wait(seconds(250)), "4m 10s");
  EXPECT_EQ(format_wait(minutes(5)), "5m");
  EXPECT_EQ(format_wait(minutes(65)), "1h 5m");
}

}  // namespace
}  // namespace vigil
