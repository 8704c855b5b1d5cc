#include "integrations/slack/rate_limiter.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "tests/support/fake_clock.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;

struct Poster {
  RateLimiter& limiter;
  test::FakeClock& clock;
  std::vector<std::chrono::system_clock::time_point>& sent;
  Task<> post(std::string key) {
    auto turn = co_await limiter.acquire(std::move(key));
    sent.push_back(clock.now());
  }
};

// Holds its turn (the call "in flight") for `answer_after` of fake time.
struct SlowPoster {
  RateLimiter& limiter;
  test::FakeClock& clock;
  std::vector<std::chrono::system_clock::time_point>& sent;
  std::chrono::milliseconds answer_after;
  Task<> post(std::string key) {
    auto turn = co_await limiter.acquire(std::move(key));
    sent.push_back(clock.now());
    co_await clock.sleep_for(answer_after);
  }
};

void drive(boost::asio::io_context& io, test::FakeClock& clock, std::size_t expected,
           const std::vector<std::chrono::system_clock::time_point>& sent) {
  for (int i = 0; i < 100000 && sent.size() < expected; ++i) {
    io.poll();
    if (sent.size() < expected) {
      clock.advance(100ms);
    }
  }
  io.poll();
}

TEST(RateLimiter, ABurstOf200PostsToOneChannelIsPacedNeverRejected) {
  boost::asio::io_context io;
  test::FakeClock clock;
  RateLimiter limiter(clock);
  std::vector<std::chrono::system_clock::time_point> sent;
  Poster p{limiter, clock, sent};
  const auto start = clock.now();
  for (int i = 0; i < 200; ++i) {
    spawn(io.get_executor(), p.post(RateLimiter::key_for("chat.postMessage", "C1")), null_logger(), "post");
  }
  drive(io, clock, 200, sent);
  ASSERT_EQ(sent.size(), 200u);
  // A little under one per second per channel, no burst: 199 gaps of 60/55 s.
  EXPECT_GE(sent.back() - start, 215s);
  EXPECT_LE(sent.back() - start, 219s);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    EXPECT_GE(sent[i] - sent[i - 1], 1s) << i;
  }
}

// Slack's tier figures are calls per minute; the emulator (like Slack) counts them in a sliding
// 60 s window. Pace plus burst must never put more than that many calls into any window.
TEST(RateLimiter, NoSixtySecondWindowHoldsMoreCallsThanTheTierAllows) {
  const std::vector<std::pair<std::string, int>> methods{
      {"conversations.create", 20}, {"chat.update", 50}, {"users.info", 100}};
  for (const auto& [method, per_minute] : methods) {
    boost::asio::io_context io;
    test::FakeClock clock;
    RateLimiter limiter(clock);
    std::vector<std::chrono::system_clock::time_point> sent;
    Poster p{limiter, clock, sent};
    const std::size_t calls = static_cast<std::size_t>(per_minute) * 4;
    for (std::size_t i = 0; i < calls; ++i) {
      spawn(io.get_executor(), p.post(RateLimiter::key_for(method, "C1")), null_logger(), "post");
    }
    drive(io, clock, calls, sent);
    ASSERT_EQ(sent.size(), calls) << method;
    std::size_t most = 0;
    for (std::size_t first = 0, last = 0; last < sent.size(); ++last) {
      while (sent[last] - sent[first] >= 60s) {
        ++first;
      }
      most = std::max(most, last - first + 1);
    }
    EXPECT_LT(most, static_cast<std::size_t>(per_minute)) << method;
    // And not far below it: the pacing is there to stay under the limit, not to waste it.
    EXPECT_GE(most, static_cast<std::size_t>(per_minute * 0.8)) << method;
  }
}

// A call whose answer is slow (a busy loop, a connection queue) holds up the next call on its key,
// so two calls never reach Slack closer together than they were let out; a post to a channel
// leaves a whole interval after the previous post's answer.
TEST(RateLimiter, TheNextCallOnAKeyWaitsForThePreviousAnswer) {
  for (const std::string method : {"chat.postMessage", "chat.update"}) {
    boost::asio::io_context io;
    test::FakeClock clock;
    RateLimiter limiter(clock);
    std::vector<std::chrono::system_clock::time_point> sent;
    SlowPoster p{limiter, clock, sent, 3s};
    const auto start = clock.now();
    for (int i = 0; i < 3; ++i) {
      spawn(io.get_executor(), p.post(RateLimiter::key_for(method, "C1")), null_logger(), "post");
    }
    drive(io, clock, 3, sent);
    ASSERT_EQ(sent.size(), 3u) << method;
    EXPECT_EQ(sent[0], start) << method;
    if (method == "chat.postMessage") {
      EXPECT_GE(sent[1] - sent[0], 3s + 1090ms) << method;
      EXPECT_LE(sent[1] - sent[0], 3s + 1300ms) << method;
      EXPECT_GE(sent[2] - sent[1], 3s + 1090ms) << method;
    } else {
      // chat.update has a burst: only the answer is waited for.
      EXPECT_GE(sent[1] - sent[0], 3s) << method;
      EXPECT_LE(sent[1] - sent[0], 3100ms) << method;
      EXPECT_GE(sent[2] - sent[1], 3s) << method;
    }
  }
}

TEST(RateLimiter, ChannelsAreIndependentAndA429SuspendsOnlyItsKey) {
  boost::asio::io_context io;
  test::FakeClock clock;
  RateLimiter limiter(clock);
  std::vector<std::chrono::system_clock::time_point> sent_a, sent_b;
  Poster a{limiter, clock, sent_a};
  Poster b{limiter, clock, sent_b};
  limiter.suspend("chat.postMessage:C1", 30s);
  const auto start = clock.now();
  spawn(io.get_executor(), a.post(RateLimiter::key_for("chat.postMessage", "C1")), null_logger(), "a");
  spawn(io.get_executor(), b.post(RateLimiter::key_for("chat.postMessage", "C2")), null_logger(), "b");
  io.poll();
  ASSERT_EQ(sent_b.size(), 1u) << "another channel is not held up";
  EXPECT_EQ(sent_a.size(), 0u);
  drive(io, clock, 1, sent_a);
  ASSERT_EQ(sent_a.size(), 1u);
  EXPECT_GE(sent_a[0] - start, 30s);
}

TEST(RateLimiter, TiersAndKeys) {
  EXPECT_EQ(tier_of("chat.update"), Tier::Tier3);
  EXPECT_EQ(tier_of("users.info"), Tier::Tier4);
  EXPECT_EQ(tier_of("chat.postMessage"), Tier::PostMessagePerChannel);
  EXPECT_EQ(RateLimiter::key_for("chat.postMessage", "C9"), "chat.postMessage:C9");
  EXPECT_EQ(RateLimiter::key_for("chat.update", "C9"), "chat.update");
}

}  // namespace
}  // namespace vigil::slack
