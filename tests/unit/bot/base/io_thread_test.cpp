#include "bot/base/io_thread.h"

#include <chrono>
#include <future>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

namespace vigil {
namespace {

using namespace std::chrono_literals;

// What `vigil serve` does at exit: the socket thread is finished, then the objects built on its
// executor (the Socket Mode client's timers, the transport's sockets) go, then the thread object.
// Before the fix, finish() destroyed the io_context and the timer's destructor read freed memory
// (AddressSanitizer: heap-use-after-free in ~io_object_impl, seen in every vigil-binary test).
TEST(IoThread, ObjectsMadeFromItsExecutorCanBeDestroyedAfterFinish) {
  IoThread thread;
  auto timer = std::make_unique<boost::asio::steady_timer>(thread.executor());
  auto owned_by_the_wait = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned_by_the_wait;
  std::promise<void> armed;
  boost::asio::post(thread.executor(), [&, held = std::move(owned_by_the_wait)]() mutable {
    timer->expires_after(1h);
    timer->async_wait([held = std::move(held)](boost::system::error_code) {});
    armed.set_value();
  });
  armed.get_future().wait();
  EXPECT_FALSE(watch.expired());

  thread.finish();
  // The pending wait (and what it owned) is destroyed by finish(), not left for later.
  EXPECT_TRUE(watch.expired());
  timer.reset();  // must not touch freed memory
}

TEST(IoThread, DestructorAloneFinishesAndIsIdempotentWithFinish) {
  int ran = 0;
  {
    IoThread thread;
    std::promise<void> done;
    boost::asio::post(thread.executor(), [&] {
      ++ran;
      done.set_value();
    });
    done.get_future().wait();
    thread.finish();
    thread.finish();
  }
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace vigil
