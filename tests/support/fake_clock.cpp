#include "tests/support/fake_clock.h"

#include <boost/asio/this_coro.hpp>

namespace vigil::test {

Task<bool> FakeClock::sleep_for(std::chrono::milliseconds d) {
  if (d.count() <= 0) {
    co_return true;
  }
  auto sleeper = std::make_shared<Sleeper>();
  sleeper->due = now_ + d;
  sleeper->timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                               boost::asio::steady_timer::time_point::max());
  sleepers_.push_back(sleeper);
  co_await sleeper->timer->async_wait(kToken);
  sleepers_.remove(sleeper);
  co_return sleeper->fired;
}

void FakeClock::advance(std::chrono::milliseconds d) {
  now_ += d;
  for (auto& s : sleepers_) {
    if (!s->fired && s->due <= now_) {
      s->fired = true;
      s->timer->cancel();
    }
  }
}

std::size_t FakeClock::sleepers() const {
  std::size_t n = 0;
  for (const auto& s : sleepers_) {
    n += s->fired ? 0 : 1;
  }
  return n;
}

}  // namespace vigil::test
