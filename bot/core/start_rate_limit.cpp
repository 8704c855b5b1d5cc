#include "bot/core/start_rate_limit.h"

#include <algorithm>

namespace vigil {
namespace {

constexpr std::size_t kForgetAbove = 1024;  // buckets kept before full ones are dropped

std::string plural(LimitedRun run) {
  return run == LimitedRun::Agent ? "agent runs" : "runbook runs";
}

std::string one_line(const char* whose, int left, const RateLimit& limit) {
  return std::string(whose) + " " + std::to_string(left) + " of " + std::to_string(limit.burst) +
         " left (one more every " + format_wait(limit.every) + ")";
}

}  // namespace

bool try_take(TokenBucket& bucket, const RateLimit& limit, TimePoint now) {
  if (!limit.enabled()) {
    return true;
  }
  if (tokens_left(bucket, limit, now) < 1) {
    return false;
  }
  bucket.full_at = std::max(bucket.full_at, now) + limit.every;
  return true;
}

int tokens_left(const TokenBucket& bucket, const RateLimit& limit, TimePoint now) {
  if (bucket.full_at <= now) {
    return limit.burst;
  }
  const auto owed = bucket.full_at - now;
  // Tokens still missing: owed / every, rounded up.
  const auto missing = (owed + limit.every - std::chrono::system_clock::duration(1)) / limit.every;
  return std::max(0, limit.burst - static_cast<int>(missing));
}

TimePoint next_token_at(const TokenBucket& bucket, const RateLimit& limit, TimePoint now) {
  if (!limit.enabled() || tokens_left(bucket, limit, now) > 0) {
    return now;
  }
  return bucket.full_at - (limit.burst - 1) * limit.every;
}

std::string format_wait(std::chrono::seconds wait) {
  const long long s = std::max<long long>(0, wait.count());
  const long long h = s / 3600;
  const long long m = (s % 3600) / 60;
  const long long sec = s % 60;
  if (h > 0) {
    return std::to_string(h) + "h" + (m > 0 ? " " + std::to_string(m) + "m" : "");
  }
  if (m > 0) {
    return std::to_string(m) + "m" + (sec > 0 ? " " + std::to_string(sec) + "s" : "");
  }
  return std::to_string(sec) + "s";
}

std::string rate_limited_text(const RateDecision& decision, LimitedRun run, const RateLimit& limit, TimePoint now) {
  const auto wait = std::chrono::ceil<std::chrono::seconds>(decision.retry_at - now);
  const std::string whose = decision.by_channel ? "This channel has" : "You have";
  return ":hourglass_flowing_sand: " + whose + " reached the limit on " + plural(run) + " (" +
         std::to_string(limit.burst) + " at once, then one more every " + format_wait(limit.every) +
         "). Try again in " + format_wait(wait) + ". Nothing was started.";
}

TokenBucket StartRateLimiter::bucket(const std::map<Key, TokenBucket>& buckets, const Key& key) const {
  const auto it = buckets.find(key);
  return it == buckets.end() ? TokenBucket{} : it->second;
}

RateDecision StartRateLimiter::take(LimitedRun run, const std::string& user, const std::string& channel,
                                    TimePoint now) {
  const auto& l = limits(run);
  auto mine = bucket(users_, {run, user});
  auto here = bucket(channels_, {run, channel});
  RateDecision d;
  if (l.per_user.enabled() && tokens_left(mine, l.per_user, now) < 1) {
    return {false, false, next_token_at(mine, l.per_user, now)};
  }
  if (l.per_channel.enabled() && tokens_left(here, l.per_channel, now) < 1) {
    return {false, true, next_token_at(here, l.per_channel, now)};
  }
  forget_full(now);
  if (l.per_user.enabled()) {
    try_take(mine, l.per_user, now);
    users_[{run, user}] = mine;
  }
  if (l.per_channel.enabled()) {
    try_take(here, l.per_channel, now);
    channels_[{run, channel}] = here;
  }
  return d;
}

std::string StartRateLimiter::standing(LimitedRun run, const std::string& user, const std::string& channel,
                                       TimePoint now) const {
  const auto& l = limits(run);
  if (!l.per_user.enabled() && !l.per_channel.enabled()) {
    return "*Limits on " + plural(run) + "*: none.";
  }
  std::string text = "*Limits on " + plural(run) + "*: ";
  if (l.per_user.enabled()) {
    text += one_line("you", tokens_left(bucket(users_, {run, user}), l.per_user, now), l.per_user);
  }
  if (l.per_channel.enabled()) {
    text += l.per_user.enabled() ? "; " : "";
    text += one_line("this channel", tokens_left(bucket(channels_, {run, channel}), l.per_channel, now), l.per_channel);
  }
  return text + ".";
}

// A full bucket is the same as none: dropped once there are many, so memory stays bounded.
void StartRateLimiter::forget_full(TimePoint now) {
  for (auto* buckets : {&users_, &channels_}) {
    if (buckets->size() < kForgetAbove) {
      continue;
    }
    std::erase_if(*buckets, [now](const auto& entry) { return entry.second.full_at <= now; });
  }
}

}  // namespace vigil
