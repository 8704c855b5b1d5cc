#include "integrations/slack/rate_limiter.h"

#include <algorithm>

#include <boost/asio/this_coro.hpp>

namespace vigil::slack {

RateLimit limit_for(Tier t) {
  switch (t) {
    // Slack counts calls per method per minute (Tier 1: 1+, Tier 2: 20+, Tier 3: 50+, Tier 4:
    // 100+). A pace of r a minute with a burst of b lets r + b - 1 calls into one 60 s window, so
    // each pace is set so that sum stays below the tier's figure, with a call to spare for
    // network jitter: a burst never buys a 429.
    case Tier::Tier1:
      return {1, 1};
    case Tier::Tier2:
      return {17, 2};
    case Tier::Tier3:
      return {45, 4};
    case Tier::Tier4:
      return {92, 7};
    // Slack: about one message per second per channel. Bursts are sometimes tolerated, but a burst
    // is exactly what starts a 429 loop in an alert storm, so Vigil never bursts, and it paces a
    // little under 1/s so network jitter cannot make two posts arrive less than a second apart.
    case Tier::PostMessagePerChannel:
      return {55, 1};
  }
  return limit_for(Tier::Tier3);
}

Tier tier_of(const std::string& method) {
  static const std::map<std::string, Tier> kTiers{
      {"chat.postMessage", Tier::PostMessagePerChannel},
      {"chat.update", Tier::Tier3},
      {"chat.delete", Tier::Tier3},
      {"chat.postEphemeral", Tier::Tier4},
      {"reactions.add", Tier::Tier3},
      {"views.open", Tier::Tier4},
      {"views.update", Tier::Tier4},
      {"views.push", Tier::Tier4},
      {"conversations.info", Tier::Tier3},
      {"conversations.create", Tier::Tier2},
      {"conversations.invite", Tier::Tier3},
      {"conversations.replies", Tier::Tier3},
      {"users.info", Tier::Tier4},
      {"users.lookupByEmail", Tier::Tier3},
      {"usergroups.users.list", Tier::Tier2},
      {"apps.connections.open", Tier::Tier3},
      {"auth.test", Tier::Tier4},
  };
  const auto it = kTiers.find(method);
  return it == kTiers.end() ? Tier::Tier3 : it->second;
}

std::string RateLimiter::key_for(const std::string& method, const std::string& channel) {
  if (method == "chat.postMessage" && !channel.empty()) {
    return method + ":" + channel;
  }
  return method;
}

void RateLimiter::set_limit(const std::string& prefix, RateLimit limit) {
  overrides_[prefix] = limit;
}

RateLimit RateLimiter::limit_of(const std::string& key) const {
  const RateLimit* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [prefix, limit] : overrides_) {
    if (key.rfind(prefix, 0) == 0 && prefix.size() >= best_len) {
      best = &limit;
      best_len = prefix.size();
    }
  }
  if (best) {
    return *best;
  }
  return limit_for(tier_of(key.substr(0, key.find(':'))));
}

RateLimiter::Turn& RateLimiter::Turn::operator=(Turn&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = other.limiter_;
    alive_ = std::move(other.alive_);
    key_ = std::move(other.key_);
    other.limiter_ = nullptr;
  }
  return *this;
}

void RateLimiter::Turn::release() {
  if (limiter_ != nullptr) {
    auto* limiter = limiter_;
    limiter_ = nullptr;
    if (alive_ && *alive_) {
      limiter->release(key_);
    }
  }
}

void RateLimiter::release(const std::string& key) {
  auto& b = buckets_[key];
  const auto limit = limit_of(key);
  if (pacing_ && limit.burst <= 1 && limit.per_minute > 0) {
    const auto interval = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(60.0 / limit.per_minute));
    b.tat = std::max(b.tat, clock_.now() + interval);
  }
  if (b.waiters.empty()) {
    b.in_flight = false;
    return;
  }
  // Handed straight to the first waiter: a caller arriving meanwhile cannot overtake it.
  auto* next = b.waiters.front();
  b.waiters.pop_front();
  next->granted = true;
  next->wake->cancel();
}

Task<RateLimiter::Turn> RateLimiter::acquire(std::string key) {
  if (buckets_[key].in_flight) {
    auto ex = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer wake(ex, std::chrono::steady_clock::now() + kMaxInFlightWait);
    Waiter me{&wake, false};
    buckets_[key].waiters.push_back(&me);
    // Leaves the queue however the wait ends (granted, timed out, or the coroutine destroyed).
    struct Leave {
      std::deque<Waiter*>& q;
      Waiter* w;
      std::shared_ptr<const bool> alive;
      ~Leave() {
        if (*alive) {
          std::erase(q, w);
        }
      }
    } leave{buckets_[key].waiters, &me, alive_};
    while (!me.granted) {
      auto [ec] = co_await wake.async_wait(kToken);
      if (!ec) {
        break;  // the call in flight is stuck: go anyway
      }
    }
  }
  auto& bucket = buckets_[key];
  bucket.in_flight = true;
  Turn turn(this, key);
  const auto limit = limit_of(key);
  if (pacing_ && limit.per_minute > 0) {
    // GCRA: reserve a slot first (so concurrent callers queue in order), then sleep until it.
    const auto interval = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(60.0 / limit.per_minute));
    const auto tolerance = interval * std::max(0, limit.burst - 1);
    const auto now = clock_.now();
    bucket.tat = std::max(bucket.tat, now);
    const auto allowed_at = bucket.tat - tolerance;
    bucket.tat += interval;
    if (allowed_at > now) {
      co_await clock_.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(allowed_at - now));
    }
  }
  // A 429 may have arrived while we waited; honour it before going out.
  for (int i = 0; i < 100; ++i) {
    const auto now = clock_.now();
    auto& b = buckets_[key];
    if (b.suspended_until <= now) {
      break;
    }
    if (!co_await clock_.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(b.suspended_until - now))) {
      break;  // cancelled
    }
  }
  co_return turn;
}

void RateLimiter::suspend(const std::string& key, std::chrono::milliseconds retry_after) {
  auto& b = buckets_[key];
  b.suspended_until = std::max(b.suspended_until, clock_.now() + retry_after);
}

}  // namespace vigil::slack
