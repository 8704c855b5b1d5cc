#pragma once

#include <chrono>
#include <list>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "bot/base/clock.h"

namespace vigil::test {

/// Manual time. now() is what the test set; sleep_for completes when the test advances past the
/// due time (or when the sleeping coroutine is cancelled). No real waiting.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)))
      : now_(start) {}

  std::chrono::system_clock::time_point now() const override { return now_; }

  Task<bool> sleep_for(std::chrono::milliseconds d) override;

  /// Moves time forward and wakes every sleeper now due (they resume when the io_context runs).
  void advance(std::chrono::milliseconds d);
  std::size_t sleepers() const;

 private:
  struct Sleeper {
    std::chrono::system_clock::time_point due;
    std::shared_ptr<boost::asio::steady_timer> timer;
    bool fired = false;
  };
  std::chrono::system_clock::time_point now_;
  std::list<std::shared_ptr<Sleeper>> sleepers_;
};

}  // namespace vigil::test
