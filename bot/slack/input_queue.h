#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/clock.h"
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
             Metrics* metrics = nullptr, const Clock* clock = nullptr);

  /// Starts the handler now when a slot is free (or the input is a click), else queues the input.
  void push(slack::InboundEvent event);

  /// Handler coroutines running now (clicks included).
  std::size_t in_flight() const { return workers_ + clicks_in_flight_; }
  /// Inputs acked and waiting for a free slot.
  std::size_t waiting() const { return waiting_.size(); }
  bool idle() const { return in_flight() == 0 && waiting_.empty(); }
  /// Whether Socket Mode should read (and ack) more envelopes now (any thread): yes unless
  /// kWaitingHighWater inputs wait for a slot while the handlers are getting through them. Then reading pauses, and a
  /// burst waits upstream (Slack holds what it sent and was not acked) rather than as thousands
  /// of acked inputs here, each answered later the longer the queue. Handlers that finished
  /// nothing for `kStalledAfter` (a Web API outage) do not hold reading up: acks never wait on
  /// them, and the queue takes in as before.
  bool has_room(std::chrono::system_clock::time_point now) const;
  static constexpr std::chrono::milliseconds kStalledAfter{200};
  /// No room from this many waiting inputs on, room again once none waits (a reader woken reads a
  /// batch, not one frame per wake-up).
  static constexpr std::size_t kWaitingHighWater = 64;
  /// Called (on this executor) when the last waiting input got a slot: has_room() is true again.
  void set_on_room(std::function<void()> on_room) { on_room_ = std::move(on_room); }

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
  const Clock* clock_;  // null: has_room() is always true
  std::function<void()> on_room_;
  std::deque<slack::InboundEvent> waiting_;
  std::size_t workers_ = 0;           // coroutines that drain the queue (at most max_in_flight_)
  std::size_t clicks_in_flight_ = 0;  // clicks and submissions, outside the bound
  // For has_room(), read on the socket's thread: how many wait, and when a handler last finished.
  std::atomic<std::size_t> waiting_now_{0};
  std::atomic<std::int64_t> last_done_ms_{0};
};

}  // namespace vigil
