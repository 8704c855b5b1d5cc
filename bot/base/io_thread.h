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
/// Ending it takes two steps, because two kinds of object refer to it:
/// - finish() stops the loop, joins the thread and destroys the work still queued (coroutine frames
///   of a loop stopped early). Call it before destroying the objects that queued work points to.
/// - The destructor destroys the io_context itself. Timers and sockets made from executor() must be
///   destroyed before that (their destructors deregister from the io_context's services), so the
///   IoThread has to outlive them. The destructor runs finish() first if it was not called.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::any_io_executor executor();
  void finish();

 private:
  /// An io_context whose pending work can be destroyed without destroying the context
  /// (execution_context::shutdown is what ~io_context runs first).
  struct Context : boost::asio::io_context {
    Context() : boost::asio::io_context(1) {}
    using boost::asio::io_context::shutdown;
  };

  std::unique_ptr<Context> io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace vigil
