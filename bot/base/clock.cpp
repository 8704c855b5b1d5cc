#include "bot/base/clock.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace vigil {

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

Task<bool> SystemClock::sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  auto [ec] = co_await timer.async_wait(kToken);
  co_return !ec;
}

}  // namespace vigil
