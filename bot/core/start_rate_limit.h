#pragma once

// How often people may start runs (issue 21): a token bucket per person and per channel for agent
// runs (and runbook runs when configured), decided by pure functions over the time handed in.

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "bot/core/config.h"

namespace vigil {

using TimePoint = std::chrono::system_clock::time_point;

/// A token bucket kept as the time it is full again (GCRA's "theoretical arrival time"): `burst`
/// takes at once, then one more every `every`.
struct TokenBucket {
  TimePoint full_at{};
};

/// Takes one from the bucket when there is one; false (and the bucket unchanged) otherwise.
bool try_take(TokenBucket& bucket, const RateLimit& limit, TimePoint now);
/// How many takes the bucket has left now (0 to burst).
int tokens_left(const TokenBucket& bucket, const RateLimit& limit, TimePoint now);
/// When the next take succeeds (now when it would already).
TimePoint next_token_at(const TokenBucket& bucket, const RateLimit& limit, TimePoint now);

/// The kinds of run with limits.
enum class LimitedRun { Agent, Runbook };

/// The answer for one start: allowed, or limited with whose bucket is empty and when to try again.
struct RateDecision {
  bool allowed = true;
  bool by_channel = false;  // the channel's bucket was empty (else the person's)
  TimePoint retry_at{};
};

/// "4m 10s", "45s", "1h 5m".
std::string format_wait(std::chrono::seconds wait);

/// The private reply to a limited start: whose limit, and when it can go again.
std::string rate_limited_text(const RateDecision& decision, LimitedRun run, const RateLimit& limit, TimePoint now);

/// The buckets of every person and channel. A start takes from both the person's and the channel's
/// bucket, or from neither.
class StartRateLimiter {
 public:
  explicit StartRateLimiter(const StartConfig& config) : agent_(config.agent), runbook_(config.runbook) {}

  RateDecision take(LimitedRun run, const std::string& user, const std::string& channel, TimePoint now);
  /// The limits on `run` and what is left for `user` and `channel`, for `/triage status`.
  std::string standing(LimitedRun run, const std::string& user, const std::string& channel, TimePoint now) const;
  const StartLimits& limits(LimitedRun run) const { return run == LimitedRun::Agent ? agent_ : runbook_; }

 private:
  using Key = std::pair<LimitedRun, std::string>;
  TokenBucket bucket(const std::map<Key, TokenBucket>& buckets, const Key& key) const;
  void forget_full(TimePoint now);

  StartLimits agent_;
  StartLimits runbook_;
  std::map<Key, TokenBucket> users_;
  std::map<Key, TokenBucket> channels_;
};

}  // namespace vigil
