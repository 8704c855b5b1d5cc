#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/task.h"

namespace vigil {

/// Time, injected so tests control it. now() is wall time (timestamps, expiry); sleep_for is
/// how every application-level wait is made (backoff, expiry, rate limits, coalescing).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  /// Completes after `d`, or early with false when the waiting coroutine is cancelled.
  virtual Task<bool> sleep_for(std::chrono::milliseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  Task<bool> sleep_for(std::chrono::milliseconds d) override;
};

/// Seconds since the epoch, the unit the store keeps.
inline long long to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline long long to_unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace vigil
