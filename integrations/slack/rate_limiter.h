#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

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
///
/// One call per key is in flight at a time: the next waits until the previous one's answer is in
/// (its Turn is released), so calls reach Slack in the order and at the spacing they were let out,
/// however long one waited for a connection on a busy loop. For a key without burst
/// (chat.postMessage per channel) the next call also leaves a whole interval after that answer.
class RateLimiter {
 public:
  /// The right to have one call on a key in flight; released by release() or the destructor.
  class Turn {
   public:
    Turn() = default;
    Turn(RateLimiter* limiter, std::string key) : limiter_(limiter), alive_(limiter->alive_), key_(std::move(key)) {}
    Turn(Turn&& other) noexcept
        : limiter_(other.limiter_), alive_(std::move(other.alive_)), key_(std::move(other.key_)) {
      other.limiter_ = nullptr;
    }
    Turn& operator=(Turn&& other) noexcept;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn() { release(); }
    void release();

   private:
    RateLimiter* limiter_ = nullptr;
    std::shared_ptr<const bool> alive_;  // false once the limiter is gone (a coroutine frame
                                         // destroyed with its io_context at exit outlives it)
    std::string key_;
  };

  /// A call still in flight after this long no longer holds up the next one on its key.
  static constexpr std::chrono::seconds kMaxInFlightWait{10};

  explicit RateLimiter(Clock& clock) : clock_(clock) {}
  ~RateLimiter() { *alive_ = false; }
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  /// "chat.postMessage:C123" for posts, else the method name.
  static std::string key_for(const std::string& method, const std::string& channel);

  /// Waits until a call on `key` may go out; hold the Turn until its answer is in.
  Task<Turn> acquire(std::string key);
  /// A 429 was seen on `key`: nothing on it goes out before now + retry_after.
  void suspend(const std::string& key, std::chrono::milliseconds retry_after);

  /// Overrides the pace for keys starting with `prefix` (config, tests).
  void set_limit(const std::string& prefix, RateLimit limit);
  /// Turns pacing off (429s still suspend).
  void set_pacing(bool on) { pacing_ = on; }

 private:
  RateLimit limit_of(const std::string& key) const;
  void release(const std::string& key);

  struct Waiter {
    boost::asio::steady_timer* wake = nullptr;
    bool granted = false;
  };
  struct Bucket {
    std::chrono::system_clock::time_point tat{};  // theoretical arrival time
    std::chrono::system_clock::time_point suspended_until{};
    bool in_flight = false;
    std::deque<Waiter*> waiters;  // first come, first served
  };
  Clock& clock_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool pacing_ = true;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, RateLimit> overrides_;
};

}  // namespace vigil::slack
