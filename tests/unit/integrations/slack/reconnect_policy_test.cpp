// The Socket Mode reconnect decisions, without sockets or time: what a connection slot does after
// each thing that happens to it.
#include "integrations/slack/reconnect_policy.h"

#include <gtest/gtest.h>

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using Do = ReconnectAction::Kind;
using Kind = ReconnectEvent::Kind;

// The defaults of SocketModeOptions: 500 ms doubling to 30 s; too_many_websockets from 5 s to 2 min.
ReconnectState fresh_state() {
  return initial_reconnect_state(500ms, 30'000ms, 5'000ms);
}

ReconnectEvent event(Kind kind) {
  return ReconnectEvent::of(kind);
}

const Error kNetworkDown(Errc::Unavailable, "connection refused");

// With a draw of 0 the delay is the lower end of the jitter range: half the current cap.
TEST(ReconnectPolicy, FailuresBackOffExponentiallyAndAFreshHelloResetsTheBackOff) {
  auto state = fresh_state();
  std::vector<long long> delays;
  for (int i = 0; i < 4; ++i) {
    const auto a = next_action(state, ReconnectEvent::connect_failed(kNetworkDown), 0.0);
    ASSERT_EQ(a.kind, Do::ConnectAfter);
    delays.push_back(a.delay.count());
  }
  EXPECT_EQ(delays, (std::vector<long long>{250, 500, 1000, 2000}));
  EXPECT_EQ(next_action(state, event(Kind::Connected), 0.0).kind, Do::Read);
  EXPECT_EQ(next_action(state, ReconnectEvent::connect_failed(kNetworkDown), 0.0).delay, 250ms)
      << "back to the first step after a hello";
}

TEST(ReconnectPolicy, DelaysHaveJitterButStayBetweenHalfTheCapAndTheCap) {
  auto state = fresh_state();
  std::chrono::milliseconds last{0};
  for (int i = 0; i < 30; ++i) {
    last = next_action(state, ReconnectEvent::connect_failed(kNetworkDown), 0.999).delay;
    EXPECT_LE(last, 30'000ms);
  }
  EXPECT_GE(last, 29'000ms) << "capped at backoff_max, near the top with a high draw";
  auto other = fresh_state();
  EXPECT_EQ(next_action(other, ReconnectEvent::connect_failed(kNetworkDown), 0.5).delay, 375ms);
}

TEST(ReconnectPolicy, ARefusedAppTokenGivesUpSayingWhatToFix) {
  auto state = fresh_state();
  const auto a = next_action(state, ReconnectEvent::connect_failed(Error(Errc::SlackApi, "invalid_auth")), 0.0);
  ASSERT_EQ(a.kind, Do::GiveUp);
  EXPECT_EQ(a.message,
            "apps.connections.open refused the app token (invalid_auth): check SLACK_APP_TOKEN and its "
            "connections:write scope");
  EXPECT_EQ(state.backoff.attempt, 0) << "no back-off spent on a failure that retrying cannot fix";
}

TEST(ReconnectPolicy, OnlySlacksOwnRefusalsAreFatal) {
  EXPECT_EQ(classify_connect_failure(Error(Errc::SlackApi, "missing_scope")), ConnectFailure::Refused);
  EXPECT_EQ(classify_connect_failure(Error(Errc::SlackApi, "token_revoked")), ConnectFailure::Refused);
  EXPECT_EQ(classify_connect_failure(Error(Errc::SlackApi, "ratelimited")), ConnectFailure::Other);
  EXPECT_EQ(classify_connect_failure(Error(Errc::Unavailable, "invalid_auth")), ConnectFailure::Other)
      << "the word in a network error is not Slack's answer";
  EXPECT_EQ(classify_connect_failure(Error(Errc::Unavailable, "too_many_websockets")),
            ConnectFailure::TooManyWebsockets);
}

TEST(ReconnectPolicy, TooManyWebsocketsWaitsOnItsOwnLongerBackOff) {
  auto state = fresh_state();
  const Error crowded(Errc::Unavailable, "too_many_websockets");
  EXPECT_EQ(next_action(state, ReconnectEvent::connect_failed(crowded), 0.0).delay, 2'500ms);
  const auto live = next_action(state, event(Kind::TooManyWebsockets), 0.0);
  EXPECT_EQ(live.kind, Do::CloseThenConnectAfter) << "a live socket Slack finds one too many is closed first";
  EXPECT_EQ(live.delay, 5'000ms);
  EXPECT_EQ(state.backoff.attempt, 0) << "the ordinary back-off is untouched";
  for (int i = 0; i < 10; ++i) {
    (void)next_action(state, event(Kind::TooManyWebsockets), 0.999);
  }
  EXPECT_LE(next_action(state, event(Kind::TooManyWebsockets), 0.999).delay, 120'000ms) << "capped at 2 minutes";
}

TEST(ReconnectPolicy, ALostConnectionThatLivedAMinuteEndsTheCrowdedSpell) {
  auto state = fresh_state();
  (void)next_action(state, event(Kind::TooManyWebsockets), 0.0);
  (void)next_action(state, event(Kind::TooManyWebsockets), 0.0);
  const auto short_lived = next_action(state, ReconnectEvent::lost(30s), 0.0);
  EXPECT_EQ(short_lived.kind, Do::ConnectAfter);
  EXPECT_EQ(short_lived.delay, 250ms);
  EXPECT_EQ(state.crowded.attempt, 2) << "30 s is not long enough to call the crowding over";
  (void)next_action(state, ReconnectEvent::lost(61s), 0.0);
  EXPECT_EQ(state.crowded.attempt, 0);
  EXPECT_EQ(next_action(state, event(Kind::TooManyWebsockets), 0.0).delay, 2'500ms);
}

TEST(ReconnectPolicy, RefreshRequestedOpensTheReplacementBeforeClosingTheOldOne) {
  auto state = fresh_state();
  const auto a = next_action(state, event(Kind::RefreshRequested), 0.0);
  EXPECT_EQ(a.kind, Do::Replace);
  EXPECT_EQ(a.delay, 0ms);
  const auto failed = next_action(state, ReconnectEvent::replacement_failed(kNetworkDown), 0.0);
  EXPECT_EQ(failed.kind, Do::ReplaceAfter);
  EXPECT_EQ(failed.delay, 250ms);
  EXPECT_EQ(next_action(state, event(Kind::Replaced), 0.0).kind, Do::Read);
  EXPECT_EQ(state.backoff.attempt, 1) << "a replacement's hello leaves the back-off as it was";
  const auto refusal = ReconnectEvent::replacement_failed(Error(Errc::SlackApi, "invalid_auth"));
  const auto refused = next_action(state, refusal, 0.0);
  EXPECT_EQ(refused.kind, Do::GiveUp);
  EXPECT_EQ(refused.message, "apps.connections.open: invalid_auth");
}

TEST(ReconnectPolicy, LinkDisabledGivesUpWithItsMessage) {
  auto state = fresh_state();
  auto e = event(Kind::LinkDisabled);
  e.detail = "Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on in the app settings";
  const auto a = next_action(state, e, 0.0);
  EXPECT_EQ(a.kind, Do::GiveUp);
  EXPECT_EQ(a.message, e.detail);
}

TEST(ReconnectPolicy, AReplacedSocketIsClosedOnceQuietOrAtTheLatestAfterDrainMax) {
  const std::chrono::system_clock::time_point t0(std::chrono::seconds(1'800'000'000));
  EXPECT_FALSE(drain_done(t0 + 100ms, t0, t0 + 50ms, 200ms, 3'000ms)) << "a frame 50 ms ago";
  EXPECT_TRUE(drain_done(t0 + 250ms, t0, t0 + 50ms, 200ms, 3'000ms)) << "quiet for 200 ms";
  EXPECT_FALSE(drain_done(t0 + 2'900ms, t0, t0 + 2'850ms, 200ms, 3'000ms)) << "still busy";
  EXPECT_TRUE(drain_done(t0 + 3'000ms, t0, t0 + 2'950ms, 200ms, 3'000ms)) << "busy, but drain_max is up";
}

}  // namespace
}  // namespace vigil::slack
