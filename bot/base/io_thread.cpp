#include "bot/base/io_thread.h"

namespace vigil {

IoThread::IoThread() : io_(std::make_unique<boost::asio::io_context>(1)) {
  work_.emplace(io_->get_executor());
  thread_ = std::thread([io = io_.get()] { io->run(); });
}

IoThread::~IoThread() { finish(); }

boost::asio::any_io_executor IoThread::executor() { return io_->get_executor(); }

void IoThread::finish() {
  if (!io_) {
    return;
  }
  work_.reset();
  io_->stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  // Destroys the handlers still queued (coroutine frames of a loop that was stopped early) while
  // the objects they point to still exist.
  io_.reset();
}

}  // namespace vigil
