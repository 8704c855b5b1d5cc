#include "bot/slack/input_queue.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "tests/support/fake_clock.h"

namespace vigil {
namespace {

slack::InboundEvent slash(const std::string& id) {
  slack::InboundEvent e;
  e.origin.envelope_id = id;
  e.origin.type = slack::EnvelopeType::SlashCommands;
  slack::SlashCommand c;
  c.command = "/triage";
  c.text = id;
  e.body = c;
  return e;
}

slack::InboundEvent click(const std::string& id) {
  slack::InboundEvent e;
  e.origin.envelope_id = id;
  e.origin.type = slack::EnvelopeType::Interactive;
  slack::BlockAction a;
  a.action_id = "approve";
  e.body = a;
  return e;
}

slack::InboundEvent submission(const std::string& id) {
  slack::InboundEvent e;
  e.origin.envelope_id = id;
  e.origin.type = slack::EnvelopeType::Interactive;
  e.body = slack::ViewSubmission{};
  return e;
}

// Handlers that hold their slot until the test opens the gate (a timer that never fires by itself).
class GatedHandlers {
 public:
  explicit GatedHandlers(boost::asio::io_context& io) : gate_(io) {
    gate_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  InputQueue::Handler handler() {
    return [this](slack::InboundEvent e) -> Task<> { return run(this, std::move(e)); };
  }
  void open() {
    open_ = true;
    gate_.cancel();
  }

  std::vector<std::string> started;
  std::vector<std::string> finished;
  std::string throw_for;

 private:
  static Task<> run(GatedHandlers* self, slack::InboundEvent e) {
    const std::string id = e.origin.envelope_id;
    self->started.push_back(id);
    if (id == self->throw_for) {
      throw std::runtime_error("database is locked");
    }
    if (!self->open_) {
      co_await self->gate_.async_wait(kToken);
    }
    self->finished.push_back(id);
  }

  boost::asio::steady_timer gate_;
  bool open_ = false;
};

Logger quiet() {
  return std::make_shared<spdlog::logger>("inputs", std::make_shared<spdlog::sinks::null_sink_mt>());
}

void settle(boost::asio::io_context& io) {
  io.restart();
  while (io.poll() > 0) {
    io.restart();
  }
}

TEST(InputQueue, AtMostTheBoundRunAndTheRestStartInArrivalOrder) {
  boost::asio::io_context io;
  GatedHandlers h(io);
  Metrics metrics;
  InputQueue queue(io.get_executor(), 4, h.handler(), quiet(), &metrics);
  for (int i = 0; i < 10; ++i) {
    queue.push(slash("e" + std::to_string(i)));
  }
  settle(io);
  EXPECT_EQ(h.started, (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
  EXPECT_EQ(queue.in_flight(), 4u);
  EXPECT_EQ(queue.waiting(), 6u);
  EXPECT_EQ(metrics.gauge("vigil_inputs_waiting"), 6);
  EXPECT_FALSE(queue.idle());

  h.open();
  settle(io);
  const std::vector<std::string> all{"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"};
  EXPECT_EQ(h.started, all);
  EXPECT_EQ(h.finished.size(), 10u);
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(metrics.gauge("vigil_inputs_waiting"), 0);
  EXPECT_NE(metrics.render().find("vigil_inputs_waiting 0"), std::string::npos);
}

// Back-pressure for Socket Mode: no room while kWaitingHighWater inputs wait and the handlers are
// getting through them; room again below the mark, or when the handlers have finished nothing for
// kStalledAfter (then the queue takes in rather than hold acks up); said once the last waiting
// input got a slot.
TEST(InputQueue, HasRoomUnlessManyInputsWaitWhileHandlersProgress) {
  boost::asio::io_context io;
  test::FakeClock clock;
  std::map<std::string, std::shared_ptr<boost::asio::steady_timer>> gates;
  std::vector<std::string> done;
  InputQueue::Handler handler = [&](slack::InboundEvent e) -> Task<> {
    auto gate = std::make_shared<boost::asio::steady_timer>(io, boost::asio::steady_timer::time_point::max());
    gates[e.origin.envelope_id] = gate;
    return [](std::shared_ptr<boost::asio::steady_timer> g, std::string id, std::vector<std::string>& out) -> Task<> {
      co_await g->async_wait(kToken);
      out.push_back(id);
    }(gate, e.origin.envelope_id, done);
  };
  InputQueue queue(io.get_executor(), 1, handler, quiet(), nullptr, &clock);
  int rooms = 0;
  queue.set_on_room([&] { ++rooms; });
  const std::size_t mark = InputQueue::kWaitingHighWater;
  for (std::size_t i = 0; i <= mark + 1; ++i) {
    queue.push(slash("e" + std::to_string(i)));
  }
  settle(io);
  EXPECT_EQ(queue.waiting(), mark + 1);
  gates["e0"]->cancel();
  settle(io);
  EXPECT_EQ(done, (std::vector<std::string>{"e0"}));
  EXPECT_EQ(queue.waiting(), mark);
  EXPECT_FALSE(queue.has_room(clock.now())) << "the mark waits while the handlers move";
  EXPECT_FALSE(queue.has_room(clock.now() + InputQueue::kStalledAfter - std::chrono::milliseconds(1)));
  EXPECT_TRUE(queue.has_room(clock.now() + InputQueue::kStalledAfter)) << "stalled handlers hold nothing up";
  gates["e1"]->cancel();
  settle(io);
  EXPECT_EQ(queue.waiting(), mark - 1);
  EXPECT_TRUE(queue.has_room(clock.now())) << "below the mark";
  EXPECT_EQ(rooms, 0);
  for (std::size_t i = 2; i <= mark + 1; ++i) {
    gates["e" + std::to_string(i)]->cancel();
    settle(io);
  }
  EXPECT_EQ(done.size(), mark + 2);
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(rooms, 1) << "said once, when the last waiting input got its slot";
}

TEST(InputQueue, ClicksAndSubmissionsNeverWaitBehindCommands) {
  boost::asio::io_context io;
  GatedHandlers h(io);
  InputQueue queue(io.get_executor(), 1, h.handler(), quiet());
  queue.push(slash("cmd1"));
  queue.push(slash("cmd2"));
  queue.push(slash("cmd3"));
  queue.push(click("approve"));
  queue.push(submission("form"));
  settle(io);
  EXPECT_EQ(h.started, (std::vector<std::string>{"cmd1", "approve", "form"}));
  EXPECT_EQ(queue.in_flight(), 3u);
  EXPECT_EQ(queue.waiting(), 2u);

  h.open();
  settle(io);
  EXPECT_EQ(h.started.size(), 5u);
  EXPECT_EQ(h.started[3], "cmd2");
  EXPECT_EQ(h.started[4], "cmd3");
  EXPECT_TRUE(queue.idle());
}

TEST(InputQueue, ACommandQueuedWhileOnlyAClickRunsIsStillHandled) {
  boost::asio::io_context io;
  GatedHandlers h(io);
  InputQueue queue(io.get_executor(), 1, h.handler(), quiet());
  queue.push(click("approve"));
  queue.push(slash("cmd1"));  // the click does not take the one slot
  settle(io);
  EXPECT_EQ(h.started, (std::vector<std::string>{"approve", "cmd1"}));
  h.open();
  settle(io);
  EXPECT_TRUE(queue.idle());
}

TEST(InputQueue, AHandlerThatThrowsGivesItsSlotBack) {
  boost::asio::io_context io;
  GatedHandlers h(io);
  h.throw_for = "bad";
  h.open();
  InputQueue queue(io.get_executor(), 1, h.handler(), quiet());
  queue.push(slash("bad"));
  queue.push(slash("next"));
  queue.push(slash("last"));
  settle(io);
  EXPECT_EQ(h.started, (std::vector<std::string>{"bad", "next", "last"}));
  EXPECT_EQ(h.finished, (std::vector<std::string>{"next", "last"}));
  EXPECT_TRUE(queue.idle());
}

}  // namespace
}  // namespace vigil
