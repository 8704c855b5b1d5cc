#pragma once

#include <map>
#include <string>

namespace vigil::slack {

/// Remembers which Slack inputs were already handled, so a redelivery (retry_attempt ≥ 1, a
/// reconnect, a restart) never starts a second run. Keys come from dedup_key().
class ProcessedEvents {
 public:
  virtual ~ProcessedEvents() = default;
  /// True the first time `key` is seen (and remembers it at `now`, unix seconds); false after.
  virtual bool first_time(const std::string& key, const std::string& kind, long long now) = 0;
  /// Forgets keys seen before `before`; returns how many.
  virtual int forget_before(long long before) = 0;
};

/// In memory (tests, benchmarks). The durable one is backed by the Store (bot/).
class MemoryProcessedEvents final : public ProcessedEvents {
 public:
  bool first_time(const std::string& key, const std::string&, long long now) override {
    return seen_.emplace(key, now).second;
  }
  int forget_before(long long before) override {
    int n = 0;
    for (auto it = seen_.begin(); it != seen_.end();) {
      if (it->second < before) {
        it = seen_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }
  std::size_t size() const { return seen_.size(); }

 private:
  std::map<std::string, long long> seen_;
};

}  // namespace vigil::slack
