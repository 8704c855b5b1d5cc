#pragma once

#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace vigil {

/// An io_context run on a thread of its own, for I/O that must not wait behind the main loop's
/// work: `vigil serve` reads and acks Socket Mode frames on one (Slack wants every ack within 3 s,
/// whatever the runs are doing). Nothing else runs there; results are posted to the main loop.
///
/// finish() (also run by the destructor) stops the loop, joins the thread and destroys what was
/// still queued. Call it before destroying the objects that the queued work refers to.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::any_io_executor executor();
  void finish();

 private:
  std::unique_ptr<boost::asio::io_context> io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace vigil
