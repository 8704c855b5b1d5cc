#include "bot/base/io_thread.h"

namespace vigil {

IoThread::IoThread() : io_(std::make_unique<Context>()) {
  work_.emplace(io_->get_executor());
  thread_ = std::thread([io = io_.get()] { io->run(); });
}

IoThread::~IoThread() {
  finish();
  io_.reset();
}

boost::asio::any_io_executor IoThread::executor() {
  return io_->get_executor();
}

void IoThread::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  work_.reset();
  io_->stop();
  if (thread_.joinable()) {
    thread_.join();
  }
  // Destroys the handlers still queued while the objects they point to still exist. The services
  // stay, so timers and sockets made from executor() can still be destroyed safely afterwards.
  io_->shutdown();
}

}  // namespace vigil
