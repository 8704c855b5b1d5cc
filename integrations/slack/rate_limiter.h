#pragma once

#include <chrono>
#include <map>
#include <string>

#include "bot/base/clock.h"
#include "bot/base/task.h"

namespace vigil::slack {

/// A pace for one key: `per_minute` sustained, `burst` calls allowed back to back.
struct RateLimit {
  double per_minute = 60;
  int burst = 1;
};

/// Slack's tiers (api.slack.com/apis/rate-limits), per method, per workspace.
enum class Tier { Tier1, Tier2, Tier3, Tier4, PostMessagePerChannel };
RateLimit limit_for(Tier t);
/// The tier Slack documents for `method` (unknown methods: Tier 3).
Tier tier_of(const std::string& method);

/// Paces Web API calls by key: the method, and for chat.postMessage the method plus channel
/// (~1 message per second per channel). Calls wait their turn (GCRA: first come, first served);
/// nothing is ever rejected. A 429 suspends its key for Retry-After. Waits go through Clock.
/// One executor only.
class RateLimiter {
 public:
  explicit RateLimiter(Clock& clock) : clock_(clock) {}

  /// "chat.postMessage:C123" for posts, else the method name.
  static std::string key_for(const std::string& method, const std::string& channel);

  /// Waits until a call on `key` may go out.
  Task<void> acquire(std::string key);
  /// A 429 was seen on `key`: nothing on it goes out before now + retry_after.
  void suspend(const std::string& key, std::chrono::milliseconds retry_after);

  /// Overrides the pace for keys starting with `prefix` (config, tests).
  void set_limit(const std::string& prefix, RateLimit limit);
  /// Turns pacing off (429s still suspend).
  void set_pacing(bool on) { pacing_ = on; }

 private:
  RateLimit limit_of(const std::string& key) const;

  struct Bucket {
    std::chrono::system_clock::time_point tat{};  // theoretical arrival time
    std::chrono::system_clock::time_point suspended_until{};
  };
  Clock& clock_;
  bool pacing_ = true;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, RateLimit> overrides_;
};

}  // namespace vigil::slack
