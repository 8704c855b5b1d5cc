#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace vigil {

template <class T = void>
using Task = boost::asio::awaitable<T>;

using Logger = std::shared_ptr<spdlog::logger>;

/// Default completion token: every co_await yields a tuple whose first element is the error code.
using Token = boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>;
inline constexpr Token kToken{};

/// The only way to start a coroutine. An exception escaping it is logged with `what`
/// (a bug or a database failure: §11.4), never silently dropped.
inline void spawn(boost::asio::any_io_executor ex, Task<> task, Logger log, std::string what) {
  boost::asio::co_spawn(ex, std::move(task), [log = std::move(log), what = std::move(what)](std::exception_ptr e) {
    if (!e) {
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      if (log) {
        log->critical("{} failed: {}", what, ex.what());
      }
    } catch (...) {
      if (log) {
        log->critical("{} failed with an unknown exception", what);
      }
    }
  });
}

/// Same, with a cancellation slot bound (for coroutines that must be stoppable). Asio uses the slot
/// until the coroutine has completed, so the cancellation_signal behind it must live that long:
/// `owner`, when given, is what holds the signal, kept until then.
template <class CancellationSlot>
void spawn(boost::asio::any_io_executor ex, Task<> task, Logger log, std::string what, CancellationSlot slot,
           std::shared_ptr<const void> owner = nullptr) {
  boost::asio::co_spawn(ex, std::move(task),
                        boost::asio::bind_cancellation_slot(slot, [log = std::move(log), what = std::move(what),
                                                                   owner = std::move(owner)](std::exception_ptr e) {
                          (void)owner;  // held, not used: released when the coroutine has completed
                          if (!e) {
                            return;
                          }
                          try {
                            std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                            if (log) {
                              log->critical("{} failed: {}", what, ex.what());
                            }
                          } catch (...) {
                            if (log) {
                              log->critical("{} failed with an unknown exception", what);
                            }
                          }
                        }));
}

}  // namespace vigil
