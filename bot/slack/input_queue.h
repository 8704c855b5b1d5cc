#pragma once

#include <cstddef>
#include <deque>
#include <functional>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/metrics.h"
#include "bot/base/task.h"
#include "integrations/slack/events.h"

namespace vigil {

/// Runs a handler coroutine for each normalised input, at most `max_in_flight` at once. Inputs
/// beyond that wait here, first come first served, as the small typed event they are (about a
/// kilobyte), rather than as thousands of suspended handler coroutines: a flood of 10,000 slash
/// commands is acked at once and then answered at the pace of the Web API, in a bounded amount of
/// memory. Nothing that was acked is dropped.
///
/// Button clicks and form submissions never wait: a person is looking at the card, and their
/// trigger_id expires three seconds after the click. They are few, and they do not count against
/// the bound.
///
/// Single-threaded: use it from the executor it was given.
class InputQueue {
 public:
  using Handler = std::function<Task<>(slack::InboundEvent)>;

  /// `metrics` (may be null) gets the gauge vigil_inputs_waiting.
  InputQueue(boost::asio::any_io_executor ex, std::size_t max_in_flight, Handler handler, Logger log,
             Metrics* metrics = nullptr);

  /// Starts the handler now when a slot is free (or the input is a click), else queues the input.
  void push(slack::InboundEvent event);

  /// Handler coroutines running now (clicks included).
  std::size_t in_flight() const { return workers_ + clicks_in_flight_; }
  /// Inputs acked and waiting for a free slot.
  std::size_t waiting() const { return waiting_.size(); }
  bool idle() const { return in_flight() == 0 && waiting_.empty(); }

 private:
  static bool jumps_the_queue(const slack::InboundEvent& event);
  /// Handles `first`, then (when `then_drain`) whatever is waiting, until the queue is empty.
  Task<> work(slack::InboundEvent first, bool then_drain);
  Task<> handle_one(slack::InboundEvent event);
  void publish_waiting();

  boost::asio::any_io_executor ex_;
  std::size_t max_in_flight_;
  Handler handler_;
  Logger log_;
  Metrics* metrics_;
  std::deque<slack::InboundEvent> waiting_;
  std::size_t workers_ = 0;           // coroutines that drain the queue (at most max_in_flight_)
  std::size_t clicks_in_flight_ = 0;  // clicks and submissions, outside the bound
};

}  // namespace vigil
