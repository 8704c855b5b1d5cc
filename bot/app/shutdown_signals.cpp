#include "bot/app/shutdown_signals.h"

#include <csignal>

namespace vigil {

ShutdownSignals::ShutdownSignals(boost::asio::io_context& io, std::function<void()> on_graceful)
    : io_(io), signals_(io, SIGINT, SIGTERM), on_graceful_(std::move(on_graceful)) {
  arm();
}

void ShutdownSignals::release() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void ShutdownSignals::arm() {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    ++seen_;
    if (seen_ == 1) {
      if (on_graceful_) {
        on_graceful_();
      }
      arm();
    } else {
      io_.stop();
    }
  });
}

}  // namespace vigil
