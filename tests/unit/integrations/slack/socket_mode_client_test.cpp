#include "integrations/slack/socket_mode_client.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;

std::string event_frame(const std::string& envelope_id, const std::string& event_id, int retry = 0) {
  return nlohmann::json{
      {"envelope_id", envelope_id},
      {"type", "events_api"},
      {"retry_attempt", retry},
      {"payload",
       {{"event_id", event_id},
        {"event", {{"type", "message"}, {"user", "U1"}, {"channel", "C1"}, {"text", "hi"}, {"ts", "1.1"}}}}}}
      .dump();
}

struct Fixture {
  boost::asio::io_context io;
  test::FakeClock clock;
  Metrics metrics;
  MemoryProcessedEvents processed;
  test::FakeTransport transport{io.get_executor()};
  test::FakeWebApi web;
  SocketModeOptions options = [] {
    SocketModeOptions o;
    o.connections = 1;
    o.backoff_initial = 1ms;
    o.backoff_max = 2ms;
    o.drain_quiet = 1ms;
    o.too_many_websockets_backoff = 2ms;
    o.jitter_seed = 1;
    return o;
  }();
  SocketModeClient client{io.get_executor(), transport, web, clock, processed, metrics, null_logger(), options};
  std::vector<InboundEvent> delivered;
  std::vector<std::size_t> writes_seen_at_delivery;
  bool done = false;

  Task<> run() {
    auto* self = this;
    const SocketModeClient::Handler handler = [self](InboundEvent e) {
      self->writes_seen_at_delivery.push_back(self->transport.connections.back()->writes().size());
      self->delivered.push_back(std::move(e));
    };
    const boost::asio::any_io_executor ex = io.get_executor();
    auto r = co_await client.run(handler, ex);
    (void)r;
    done = true;
  }
  // Runs what is ready, moving the fake clock 2 ms at a time (past every 1-2 ms back-off and
  // drain), 40 ms in all; no real time passes.
  void settle() {
    for (int i = 0; i < 20; ++i) {
      step(2ms);
    }
  }
  void step(std::chrono::milliseconds d) {
    if (io.stopped()) {
      io.restart();
    }
    io.poll();
    clock.advance(d);
    if (io.stopped()) {
      io.restart();
    }
    io.poll();
  }
};

TEST(SocketModeClientUnit, AckIsWrittenBeforeTheHandlerRuns) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  ASSERT_EQ(f.transport.connections.size(), 1u);
  f.transport.connections[0]->push(event_frame("E1", "Ev1"));
  f.settle();
  ASSERT_EQ(f.delivered.size(), 1u);
  ASSERT_EQ(f.writes_seen_at_delivery[0], 1u) << "the ack was already written";
  EXPECT_EQ(f.transport.connections[0]->writes()[0], R"({"envelope_id":"E1"})");
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

// What arrives after stop() was asked for is not taken on, and not acked and then dropped: an
// event stays unacked (Slack delivers it again), a click too (Slack shows the person an error and
// the card can be clicked again), and a slash command is answered in its ack.
TEST(SocketModeClientUnit, WhileStoppingEventsAndClicksStayUnackedAndACommandIsAskedAgain) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  ASSERT_EQ(f.transport.connections.size(), 1u);
  auto c = f.transport.connections[0];
  c->push(event_frame("E1", "Ev1"));
  f.settle();
  ASSERT_EQ(c->writes().size(), 1u);
  c->push(event_frame("E2", "Ev2"));
  c->push(nlohmann::json{{"envelope_id", "S1"},
                         {"type", "slash_commands"},
                         {"accepts_response_payload", true},
                         {"payload",
                          {{"command", "/triage"},
                           {"text", "checkout is down"},
                           {"user_id", "U0ALEX0001"},
                           {"channel_id", "C1"},
                           {"response_url", "https://hooks.slack.example/commands/1"},
                           {"trigger_id", "1.2"}}}}
              .dump());
  c->push(nlohmann::json{{"envelope_id", "B1"},
                         {"type", "interactive"},
                         {"payload",
                          {{"type", "block_actions"},
                           {"user", {{"id", "U0ALEX0001"}}},
                           {"actions", nlohmann::json::array({{{"action_id", "approval.approve"}, {"value", "t"}}})}}}}
              .dump());
  f.client.stop();  // before the loop runs again: the three frames are read after it
  f.settle();
  EXPECT_TRUE(f.done);
  ASSERT_EQ(f.delivered.size(), 1u) << "only the frame before stop()";
  ASSERT_EQ(c->writes().size(), 2u) << "E1's ack and S1's answer; E2 and B1 unacked";
  const auto answer = nlohmann::json::parse(c->writes()[1]);
  EXPECT_EQ(answer["envelope_id"], "S1");
  EXPECT_EQ(answer["payload"]["response_type"], "ephemeral");
  EXPECT_NE(answer["payload"]["text"].get<std::string>().find("Vigil is restarting"), std::string::npos);
  const auto metrics = f.metrics.render();
  EXPECT_NE(metrics.find("vigil_socket_refused_while_stopping_total{type=\"events_api\"} 1"), std::string::npos)
      << metrics;
}

TEST(SocketModeClientUnit, DuplicatesAreAckedButNotDelivered) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  auto c = f.transport.connections[0];
  c->push(event_frame("E1", "Ev1"));
  c->push(event_frame("E2", "Ev1", 1));
  c->push(event_frame("E3", "Ev1", 2));
  f.settle();
  EXPECT_EQ(c->writes().size(), 3u);
  EXPECT_EQ(f.delivered.size(), 1u);
  f.client.stop();
  f.settle();
}

TEST(SocketModeClientUnit, ADisconnectLeadsToAFreshUrlAndTheOldSocketIsClosedAfterTheNewHello) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  auto old = f.transport.connections[0];
  old->push(R"({"type":"disconnect","reason":"warning"})");
  old->push(event_frame("E9", "Ev9"));  // still arriving on the old socket
  f.settle();
  ASSERT_EQ(f.transport.connections.size(), 2u);
  EXPECT_NE(f.transport.urls[0], f.transport.urls[1]) << "a fresh apps.connections.open per socket";
  EXPECT_EQ(old->writes().size(), 1u) << "acked on the old socket";
  EXPECT_TRUE(old->closed());
  EXPECT_FALSE(f.transport.connections[1]->closed());
  EXPECT_EQ(f.client.live_connections(), 1);
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

TEST(SocketModeClientUnit, ADroppedConnectionIsReplacedThroughTheSinglePath) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  for (int i = 0; i < 3; ++i) {
    f.transport.connections.back()->drop();
    f.settle();
  }
  EXPECT_EQ(f.transport.connections.size(), 4u);
  EXPECT_EQ(f.web.socket_urls, 4);
  EXPECT_EQ(f.metrics.counter("vigil_socket_reconnects_total", "reason", "closed"), 3);
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

// Found by the chaos test: the peer reset the socket between Vigil reading an envelope and writing
// its ack. The slot must reconnect, or it stays without a connection for good.
TEST(SocketModeClientUnit, AnAckThatCannotBeWrittenReplacesTheConnection) {
  Fixture f;
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.settle();
  ASSERT_EQ(f.transport.connections.size(), 1u);
  auto broken = f.transport.connections[0];
  broken->fail_writes = true;
  broken->push(event_frame("E1", "Ev1"));
  f.settle();
  ASSERT_EQ(f.transport.connections.size(), 2u) << "the slot reconnected";
  EXPECT_TRUE(broken->closed()) << "the broken socket was let go";
  EXPECT_EQ(f.client.live_connections(), 1);
  EXPECT_EQ(f.metrics.counter("vigil_socket_reconnects_total", "reason", "write failed"), 1);
  // The envelope was handled once; its redelivery on the new socket is acked and dropped.
  f.transport.connections[1]->push(event_frame("E1-retry1", "Ev1", 1));
  f.settle();
  EXPECT_EQ(f.delivered.size(), 1u);
  EXPECT_EQ(f.transport.connections[1]->writes().size(), 1u);
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

TEST(SocketModeClientUnit, ADisconnectBeforeHelloIsSurvived) {
  // bolt-js#2225: too_many_websockets mid-handshake crashed a client's state machine.
  Fixture f;
  f.transport.scripts.push_back({R"({"type":"disconnect","reason":"too_many_websockets"})"});
  f.transport.scripts.push_back({R"({"type":"disconnect","reason":"refresh_requested"})"});
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  for (int i = 0; i < 200 && f.client.live_connections() == 0; ++i) {
    f.step(5ms);
  }
  EXPECT_EQ(f.client.live_connections(), 1);
  ASSERT_EQ(f.transport.connections.size(), 3u);
  EXPECT_TRUE(f.transport.connections[0]->closed());
  EXPECT_TRUE(f.transport.connections[1]->closed());
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

// The back-off is waited out on the Clock: the test moves time, nothing sleeps.
TEST(SocketModeClientUnit, AReconnectWaitsOutItsBackOffOnTheClock) {
  Fixture f;
  f.options.backoff_initial = 1000ms;
  f.options.backoff_max = 1000ms;
  SocketModeClient slow{f.io.get_executor(), f.transport, f.web,         f.clock,
                        f.processed,         f.metrics,   null_logger(), f.options};
  bool done = false;
  struct Runner {
    SocketModeClient& c;
    bool& done;
    Task<> run(boost::asio::any_io_executor ex) {
      const SocketModeClient::Handler handler = [](InboundEvent) {};
      (void)co_await c.run(handler, ex);
      done = true;
    }
  } runner{slow, done};
  spawn(f.io.get_executor(), runner.run(f.io.get_executor()), null_logger(), "slow");
  f.step(0ms);
  ASSERT_EQ(f.transport.connections.size(), 1u);
  f.transport.connections[0]->drop();
  f.step(499ms);
  EXPECT_EQ(f.transport.connections.size(), 1u) << "the first back-off (500..1000 ms) is not over";
  EXPECT_EQ(slow.live_connections(), 0);
  f.step(501ms);
  ASSERT_EQ(f.transport.connections.size(), 2u) << "reconnected once the clock passed the back-off";
  EXPECT_EQ(slow.live_connections(), 1);
  slow.stop();
  f.settle();
  EXPECT_TRUE(done);
}

// A server that accepts the upgrade and then says nothing is given hello_timeout (10 s) on the Clock.
TEST(SocketModeClientUnit, ASocketThatNeverSaysHelloIsDroppedAfterTheHelloTimeout) {
  Fixture f;
  f.transport.scripts.push_back({});  // no hello on the first connection
  spawn(f.io.get_executor(), f.run(), null_logger(), "client");
  f.step(0ms);
  ASSERT_EQ(f.transport.connections.size(), 1u);
  f.step(9'999ms);
  EXPECT_FALSE(f.transport.connections[0]->closed()) << "still within the hello timeout";
  EXPECT_EQ(f.client.live_connections(), 0);
  f.step(1ms);
  f.settle();
  EXPECT_TRUE(f.transport.connections[0]->closed());
  ASSERT_EQ(f.transport.connections.size(), 2u) << "a fresh connection after the back-off";
  EXPECT_EQ(f.client.live_connections(), 1);
  EXPECT_EQ(f.metrics.counter("vigil_socket_connect_failures_total"), 1);
  f.client.stop();
  f.settle();
  EXPECT_TRUE(f.done);
}

TEST(SocketModeClientUnit, ConnectionsAreClampedToSlacksCapOfTen) {
  Fixture f;
  f.options.connections = 25;
  SocketModeClient many{f.io.get_executor(), f.transport, f.web,         f.clock,
                        f.processed,         f.metrics,   null_logger(), f.options};
  struct Runner {
    SocketModeClient& c;
    Task<> run(boost::asio::any_io_executor ex) {
      const SocketModeClient::Handler handler = [](InboundEvent) {};
      (void)co_await c.run(handler, ex);
    }
  } runner{many};
  spawn(f.io.get_executor(), runner.run(f.io.get_executor()), null_logger(), "many");
  f.settle();
  EXPECT_EQ(many.live_connections(), 10);
  many.stop();
  f.settle();
}

}  // namespace
}  // namespace vigil::slack
