#include "bot/slack/input_queue.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace vigil {

InputQueue::InputQueue(boost::asio::any_io_executor ex, std::size_t max_in_flight, Handler handler, Logger log,
                       Metrics* metrics, const Clock* clock)
    : ex_(std::move(ex)),
      max_in_flight_(std::max<std::size_t>(1, max_in_flight)),
      handler_(std::move(handler)),
      log_(std::move(log)),
      metrics_(metrics),
      clock_(clock) {
  if (metrics_ != nullptr) {
    publish_waiting();
  }
}

bool InputQueue::has_room(std::chrono::system_clock::time_point now) const {
  if (clock_ == nullptr || waiting_now_.load(std::memory_order_relaxed) < kWaitingHighWater) {
    return true;
  }
  return to_unix_ms(now) - last_done_ms_.load(std::memory_order_relaxed) >= kStalledAfter.count();
}

bool InputQueue::jumps_the_queue(const slack::InboundEvent& event) {
  return std::holds_alternative<slack::BlockAction>(event.body) ||
         std::holds_alternative<slack::ViewSubmission>(event.body);
}

void InputQueue::push(slack::InboundEvent event) {
  if (jumps_the_queue(event)) {
    ++clicks_in_flight_;
    spawn(ex_, work(std::move(event), false), log_, "handler");
    return;
  }
  if (workers_ < max_in_flight_) {
    ++workers_;
    spawn(ex_, work(std::move(event), true), log_, "handler");
    return;
  }
  if (waiting_.empty()) {
    log_->info("{} handlers busy; inputs wait their turn (first: envelope={})", workers_, event.origin.envelope_id);
  }
  waiting_.push_back(std::move(event));
  publish_waiting();
}

Task<> InputQueue::handle_one(slack::InboundEvent event) {
  const std::string envelope_id = event.origin.envelope_id;
  try {
    // Named: g++ 12 destroys a temporary in a co_await expression twice.
    auto task = handler_(std::move(event));
    co_await std::move(task);
  } catch (const std::exception& e) {
    // The handler logs its own failures; this is the last guard, so the slot is always given back.
    log_->error("envelope={}: handler failed: {}", envelope_id, e.what());
  }
}

Task<> InputQueue::work(slack::InboundEvent first, bool then_drain) {
  slack::InboundEvent event = std::move(first);
  for (;;) {
    auto step = handle_one(std::move(event));
    co_await std::move(step);
    if (clock_ != nullptr) {
      last_done_ms_.store(to_unix_ms(clock_->now()), std::memory_order_relaxed);
    }
    if (!then_drain || waiting_.empty()) {
      break;
    }
    event = std::move(waiting_.front());
    waiting_.pop_front();
    publish_waiting();
  }
  if (then_drain) {
    --workers_;
  } else {
    --clicks_in_flight_;
  }
}

void InputQueue::publish_waiting() {
  const auto before = waiting_now_.exchange(waiting_.size(), std::memory_order_relaxed);
  if (before > 0 && waiting_.empty() && on_room_) {
    on_room_();
  }
  if (metrics_ != nullptr) {
    metrics_->set("vigil_inputs_waiting", Metrics::Labels{}, static_cast<double>(waiting_.size()));
  }
}

}  // namespace vigil
