#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace vigil {

/// SIGINT/SIGTERM handling for `vigil serve`: the first signal asks for a graceful stop
/// (`on_graceful` cancels the loops; acks already queued are written, state is in the store); a
/// second signal stops the io_context at once.
class ShutdownSignals {
 public:
  ShutdownSignals(boost::asio::io_context& io, std::function<void()> on_graceful);
  int signals_seen() const { return seen_; }
  /// Stops listening, so io_context::run can return once the program's work is done.
  void release();

 private:
  void arm();

  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  std::function<void()> on_graceful_;
  int seen_ = 0;
};

}  // namespace vigil
