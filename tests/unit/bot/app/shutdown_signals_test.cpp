#include "bot/app/shutdown_signals.h"

#include <csignal>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ShutdownSignals, FirstSignalIsGracefulSecondStopsAtOnce) {
  boost::asio::io_context io;
  int graceful = 0;
  ShutdownSignals signals(io, [&] { ++graceful; });
  ::raise(SIGTERM);
  for (int i = 0; i < 10 && graceful == 0; ++i) {
    io.run_one_for(std::chrono::seconds(1));
  }
  EXPECT_EQ(graceful, 1);
  EXPECT_FALSE(io.stopped());
  ::raise(SIGINT);
  for (int i = 0; i < 10 && !io.stopped(); ++i) {
    io.run_one_for(std::chrono::seconds(1));
  }
  EXPECT_EQ(graceful, 1);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(signals.signals_seen(), 2);
}

TEST(ShutdownSignals, ReleaseLetsRunReturn) {
  boost::asio::io_context io;
  ShutdownSignals signals(io, [] {});
  boost::asio::post(io, [&] { signals.release(); });
  io.run();  // returns: nothing left to wait for
  EXPECT_EQ(signals.signals_seen(), 0);
}

}  // namespace
}  // namespace vigil
