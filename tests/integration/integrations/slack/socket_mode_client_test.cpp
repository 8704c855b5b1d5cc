// The real Socket Mode client (Beast websockets, HTTP Web API) against the Slack emulator on
// loopback.
#include "integrations/slack/socket_mode_client.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <set>

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "bot/store/store_processed_events.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::SlackClientHarness;

json fixture(const std::string& name) {
  return json::parse(test::read_file(test::fixtures_dir() / "slack" / "socket_mode" / name));
}

// An events_api envelope carrying a distinct event id.
json event_envelope(const std::string& event_id, int retry_attempt = 0) {
  auto e = fixture("events_api_message_envelope.json");
  e.erase("envelope_id");
  e["payload"]["event_id"] = event_id;
  e["payload"]["event"]["ts"] = "1800000000." + event_id;
  e["retry_attempt"] = retry_attempt;
  e["retry_reason"] = retry_attempt ? "timeout" : "";
  return e;
}

std::set<std::string> event_ids(const std::vector<InboundEvent>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    if (const auto* m = std::get_if<MessageEvent>(&e.body)) {
      ids.insert(m->event_id);
    }
  }
  return ids;
}

SlackClientHarness::Options fast_options(int connections = 1) {
  SlackClientHarness::Options o;
  o.socket.connections = connections;
  o.socket.backoff_initial = 50ms;
  o.socket.backoff_max = 500ms;
  o.socket.too_many_websockets_backoff = 400ms;
  o.socket.jitter_seed = 7;
  return o;
}

TEST(SocketModeClient, ConnectsWithTwoConnectionsAndReceivesHello) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(2));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(2, 5s));
  EXPECT_EQ(emu.calls("apps.connections.open").size(), 2u);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, EveryEnvelopeFixtureIsParsedAckedAndDelivered) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  int n = 0;
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixtures_dir() / "slack" / "socket_mode")) {
    auto e = json::parse(test::read_file(entry.path()));
    if (!e.contains("envelope_id")) {
      continue;  // hello / disconnect
    }
    // Fixtures share ids (Ev111, 111.222.xxx); make each one distinct so none is a "redelivery".
    ++n;
    e["envelope_id"] = "fx-" + std::to_string(n);
    if (e["payload"].contains("event_id")) {
      e["payload"]["event_id"] = "EvFx" + std::to_string(n);
    }
    if (e["payload"].contains("trigger_id")) {
      e["payload"]["trigger_id"] = "trig-" + std::to_string(n);
    }
    if (e["payload"].contains("actions")) {
      e["payload"]["actions"][0]["action_ts"] = std::to_string(n);
    }
    ids.push_back(emu.send_envelope(e));
  }
  ASSERT_GE(n, 8);
  for (const auto& id : ids) {
    auto ack = emu.wait_for_ack(id, 5s);
    ASSERT_TRUE(ack) << id;
    EXPECT_FALSE(ack->late);
  }
  // Everything but the global shortcut becomes a typed input.
  ASSERT_TRUE(client.wait_for_events(static_cast<std::size_t>(n - 1), 5s));
  ASSERT_TRUE(client.wait_until_handled(static_cast<std::size_t>(n), 5s));
  EXPECT_EQ(client.events().size(), static_cast<std::size_t>(n - 1));
  EXPECT_EQ(client.metrics().counter("vigil_socket_envelopes_total"), n);
  EXPECT_GE(client.metrics().counter("vigil_socket_envelopes_total", "type", "slash_commands"), 2);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, AckIsWrittenBeforeTheHandlerSoABlockedHandlerDelaysNoAck) {
  SlackEmulator emu;
  emu.start();
  auto options = fast_options(1);
  options.handlers_on_pool = true;
  SlackClientHarness client(emu, options);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> blocked;
  auto first_handler_blocked = blocked.get_future();
  std::atomic<int> handled{0};
  client.on_event = [&](InboundEvent e) {
    if (handled++ == 0) {
      blocked.set_value();
      released.wait_for(10s);  // the first handler blocks until the test releases it
    }
    client.collect(std::move(e));
  };
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto first = emu.send_envelope(event_envelope("EvBlock1"));
  ASSERT_TRUE(emu.wait_for_ack(first, 2s));
  ASSERT_EQ(first_handler_blocked.wait_for(5s), std::future_status::ready);
  // The handler is now blocked; the next envelopes are still acked at once.
  for (int i = 0; i < 5; ++i) {
    const auto id = emu.send_envelope(event_envelope("EvNext" + std::to_string(i)));
    auto ack = emu.wait_for_ack(id, 2s);
    ASSERT_TRUE(ack);
    EXPECT_LT(ack->latency, 500ms);
  }
  release.set_value();
  ASSERT_TRUE(client.wait_for_events(6, 5s));
  EXPECT_TRUE(client.stop());
}

// The ack responder reads untrusted payloads; when it throws (a bug, a database error), the envelope
// is still acked (without a payload), delivered to its handler, and the next envelopes go on.
TEST(SocketModeClient, AnAckResponderThatThrowsStillAcksAndTheLoopGoesOn) {
  SlackEmulator emu;
  emu.start();
  auto options = fast_options(1);
  std::atomic<int> asked{0};
  options.ack_responder = [&](const Envelope&) -> std::optional<json> {
    if (asked++ == 0) {
      throw std::runtime_error("no row to get a column from");
    }
    return json{{"text", "answered in the ack"}};
  };
  SlackClientHarness client(emu, options);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  auto slash = fixture("slash_commands_envelope.json");
  slash.erase("envelope_id");
  slash["payload"]["trigger_id"] = "trig-throw-1";
  const auto first = emu.send_envelope(slash);
  const auto first_ack = emu.wait_for_ack(first, 2s);
  ASSERT_TRUE(first_ack);
  EXPECT_TRUE(first_ack->payload.is_null()) << first_ack->payload.dump();
  slash["payload"]["trigger_id"] = "trig-throw-2";
  const auto second = emu.send_envelope(slash);
  const auto second_ack = emu.wait_for_ack(second, 2s);
  ASSERT_TRUE(second_ack) << "the read loop survived the throw";
  EXPECT_EQ(second_ack->payload.value("text", ""), "answered in the ack");
  const auto event = emu.send_envelope(event_envelope("EvAfterThrow"));
  ASSERT_TRUE(emu.wait_for_ack(event, 2s));
  ASSERT_TRUE(client.wait_for_events(3, 5s)) << "both commands and the event reach their handlers";
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, RefreshRequestedWithEnvelopesInFlightLosesNothing) {
  EmulatorOptions eo;
  eo.ack_deadline = 1s;
  SlackEmulator emu(eo);
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const int old_conn = emu.connections().front();
  std::set<std::string> sent;
  for (int i = 0; i < 10; ++i) {
    sent.insert("EvA" + std::to_string(i));
    emu.send_envelope(event_envelope("EvA" + std::to_string(i)), old_conn);
  }
  emu.send_disconnect(old_conn, "refresh_requested");
  for (int i = 0; i < 10; ++i) {
    sent.insert("EvB" + std::to_string(i));
    emu.send_envelope(event_envelope("EvB" + std::to_string(i)), old_conn);  // still on the old socket
    sent.insert("EvC" + std::to_string(i));
    emu.send_envelope(event_envelope("EvC" + std::to_string(i)));  // wherever Slack likes
  }
  ASSERT_TRUE(client.wait_for_events(sent.size(), 10s));
  EXPECT_EQ(event_ids(client.events()), sent);
  EXPECT_TRUE(emu.wait_for_closed(old_conn, 5s)) << "old connection closed after the switch";
  EXPECT_EQ(emu.connections().size(), 1u);
  EXPECT_NE(emu.connections().front(), old_conn);
  ASSERT_TRUE(client.wait_until_handled(sent.size(), 5s));
  EXPECT_EQ(client.events().size(), sent.size()) << "nothing handled twice";
  EXPECT_EQ(client.metrics().counter("vigil_socket_reconnects_total", "reason", "refresh_requested"), 1);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, AbruptCloseReconnectsAndARedeliveredEventIsHandledOnce) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto first = emu.send_envelope(event_envelope("EvOnce"));
  ASSERT_TRUE(emu.wait_for_ack(first, 2s));
  emu.close_connection(emu.connections().front(), /*abrupt=*/true);
  ASSERT_TRUE(emu.wait_for_closed(1, 5s));
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto again = emu.send_envelope(event_envelope("EvOnce", 1));
  ASSERT_TRUE(emu.wait_for_ack(again, 2s)) << "a redelivery is still acked";
  const auto other = emu.send_envelope(event_envelope("EvOther"));
  ASSERT_TRUE(emu.wait_for_ack(other, 2s));
  ASSERT_TRUE(client.wait_for_events(2, 2s));
  ASSERT_TRUE(client.wait_until_handled(3, 5s)) << "EvOnce, its redelivery and EvOther";
  EXPECT_EQ(client.events().size(), 2u);
  EXPECT_EQ(client.metrics().counter("vigil_socket_duplicates_total"), 1);
  EXPECT_GE(client.metrics().counter("vigil_socket_reconnects_total", "reason", "closed"), 1);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, UnackedEventIsRedeliveredByTheEmulatorAndHandledOnce) {
  EmulatorOptions eo;
  eo.ack_deadline = 300ms;
  SlackEmulator emu(eo);
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  // Freeze the link right away: the envelope is never written to the client, so never acked, and
  // after the ack deadline the emulator redelivers it (retry_attempt 1) on the replacement
  // connection. The emulator takes the freeze, the envelope and the close in this order.
  emu.freeze_connection(emu.connections().front());
  emu.send_envelope(event_envelope("EvRetry"));
  emu.close_connection(1, true);
  ASSERT_TRUE(client.wait_for_events(1, 5s));
  ASSERT_TRUE(client.wait_until_handled(1, 5s));
  ASSERT_EQ(client.events().size(), 1u);
  EXPECT_GE(client.events()[0].origin.retry_attempt, 1);
  EXPECT_GE(emu.redeliveries(), 1);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, RedeliveryAfterARestartIsDroppedThroughTheStore) {
  test::TempDir dir;
  const auto db = (dir / "v.db").string();
  SlackEmulator emu;
  emu.start();
  {
    auto store = Store::open(db);
    ASSERT_TRUE(store);
    StoreProcessedEvents processed(**store);
    auto o = fast_options(1);
    o.processed = &processed;
    SlackClientHarness client(emu, o);
    client.start();
    ASSERT_TRUE(emu.wait_for_connections(1, 5s));
    ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvRestart")), 2s));
    ASSERT_TRUE(client.wait_for_events(1, 2s));
    EXPECT_TRUE(client.stop());
  }
  auto store = Store::open(db);
  ASSERT_TRUE(store);
  StoreProcessedEvents processed(**store);
  auto o = fast_options(1);
  o.processed = &processed;
  SlackClientHarness client(emu, o);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvRestart", 1)), 2s));
  ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvAfter")), 2s));
  ASSERT_TRUE(client.wait_for_events(1, 2s));
  ASSERT_TRUE(client.wait_until_handled(2, 5s)) << "the redelivery and EvAfter";
  ASSERT_EQ(client.events().size(), 1u);
  EXPECT_EQ(std::get<MessageEvent>(client.events()[0].body).event_id, "EvAfter");
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, DeadSocketWithoutPongsIsDetectedWithinTheDeadline) {
  SlackEmulator emu;
  emu.start();
  auto o = fast_options(1);
  o.pong_timeout = 1s;
  SlackClientHarness client(emu, o);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  emu.freeze_connection(1);  // socket open, nothing read: no pongs
  // The frozen connection stays open on the emulator's side: the replacement is the second.
  EXPECT_TRUE(emu.wait_for_connections(2, 5s));
  const auto detected = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(emu.connections_accepted(), 2);
  EXPECT_LT(detected, 2500ms) << "1 s deadline + back-off";
  EXPECT_GE(detected, 400ms) << "not before the deadline";
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  EXPECT_GE(client.metrics().counter("vigil_socket_reconnects_total", "reason", "timeout"), 1);
  emu.close_connection(1, true);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, MalformedFramesAreLoggedAndSurvived) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  emu.send_raw(1, "{not json");
  emu.send_raw(1, R"({"type":"events_api","payload":{"event_id":"EvNoId"}})");
  emu.send_raw(1, R"({"envelope_id":"unknown-1","type":"brand_new_type","payload":{}})");
  emu.send_raw(1, std::string(5 * 1024 * 1024, 'x'));
  emu.send_raw(1, "[1,2,3]");
  const auto good = emu.send_envelope(event_envelope("EvAfterJunk"));
  ASSERT_TRUE(emu.wait_for_ack(good, 5s));
  EXPECT_TRUE(emu.wait_for_ack("unknown-1", 1s)) << "an unknown type is still acked";
  ASSERT_TRUE(client.wait_for_events(1, 2s));
  EXPECT_EQ(emu.connections_accepted(), 1) << "the same connection survived";
  EXPECT_EQ(client.metrics().counter("vigil_socket_bad_frames_total"), 5);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, LinkDisabledStopsWithAClearError) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  emu.send_disconnect(1, "link_disabled");
  auto r = client.wait_for_end(5s);
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_NE(r->error().detail.find("link_disabled"), std::string::npos) << r->error().detail;
  EXPECT_TRUE(emu.wait_for_closed(1, 2s));
  EXPECT_EQ(emu.connections_accepted(), 1) << "no reconnect after link_disabled";
  (void)client.stop();
}

TEST(SocketModeClient, TooManyWebsocketsBacksOff) {
  SlackEmulator emu;
  emu.start();
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  emu.send_disconnect(1, "too_many_websockets");
  ASSERT_TRUE(emu.wait_for_closed(1, 2s));
  EXPECT_TRUE(emu.wait_for_connections(1, 5s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms) << "backed off (400 ms, jitter over the upper half)";
  EXPECT_EQ(emu.connections().size(), 1u);
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, RateLimitedConnectionsOpenIsHonouredAndRefusedUpgradesAreRetried) {
  SlackEmulator emu;
  emu.start();
  emu.fail_next_http("apps.connections.open", 429, 1, 1);
  emu.refuse_upgrades(2, 409);
  SlackClientHarness client(emu, fast_options(1));
  const auto t0 = std::chrono::steady_clock::now();
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1s) << "Retry-After: 1 was waited out";
  EXPECT_EQ(emu.calls("apps.connections.open").size(), 4u) << "429, two refused upgrades, success";
  EXPECT_EQ(emu.connections().size(), 1u) << "refused sockets are not kept";
  EXPECT_TRUE(client.stop());
}

TEST(SocketModeClient, InvalidAppTokenStops) {
  SlackEmulator emu;
  emu.start();
  emu.fail_next("apps.connections.open", "invalid_auth", 1);
  SlackClientHarness client(emu, fast_options(1));
  client.start();
  auto r = client.wait_for_end(5s);
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_NE(r->error().detail.find("invalid_auth"), std::string::npos);
  (void)client.stop();
}

TEST(SocketModeClient, SlashCommandAckCarriesTheResponsePayload) {
  SlackEmulator emu;
  emu.start();
  auto o = fast_options(1);
  o.ack_responder = [](const Envelope& e) -> std::optional<json> {
    return json{{"text", "on it: " + e.payload.value("command", std::string())}};
  };
  SlackClientHarness client(emu, o);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  const auto id = emu.send_envelope(fixture("slash_commands_envelope.json"));
  auto ack = emu.wait_for_ack(id, 2s);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->payload, json({{"text", "on it: /hello-socket-mode"}}));
  // Events never carry a response payload, whatever the responder says.
  const auto ev = emu.send_envelope(event_envelope("EvNoPayload"));
  auto ev_ack = emu.wait_for_ack(ev, 2s);
  ASSERT_TRUE(ev_ack);
  EXPECT_TRUE(ev_ack->payload.is_null());
  ASSERT_TRUE(client.wait_for_events(2, 2s));
  const auto events = client.events();
  const auto& cmd = std::get<SlashCommand>(events[0].body);
  EXPECT_EQ(cmd.command, "/hello-socket-mode");
  EXPECT_TRUE(client.stop());
}

// A standby replica: every envelope is acked, a new one is stored whole for the leader and a
// redelivery is not; nothing is handled here. The leader handles what it takes in.
TEST(SocketModeClient, AStandbyStoresEachNewEnvelopeForTheLeaderAndHandlesNone) {
  SlackEmulator emu;
  emu.start();
  MemoryProcessedEvents shared;  // the database the replicas share
  std::mutex mu;
  std::vector<std::string> stored;
  auto options = fast_options(1);
  options.relay = [&](const Envelope& e, const std::string& key, const std::string& kind, long long now) {
    if (!shared.first_time(key, kind, now)) {
      return false;
    }
    std::lock_guard lock(mu);
    stored.push_back(relay_frame(e));
    return true;
  };
  SlackClientHarness client(emu, options);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  for (const auto& envelope : {event_envelope("EvA"), event_envelope("EvB"), event_envelope("EvA", 1)}) {
    ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(envelope), 2s));
  }
  ASSERT_TRUE(client.wait_until_handled(3, 5s));
  EXPECT_TRUE(client.events().empty()) << "a standby handles nothing";
  EXPECT_EQ(client.metrics().counter("vigil_socket_envelopes_relayed_total"), 2);
  EXPECT_EQ(client.metrics().counter("vigil_socket_duplicates_total"), 1);
  std::vector<std::string> frames;
  {
    std::lock_guard lock(mu);
    frames = stored;
  }
  ASSERT_EQ(frames.size(), 2u);

  // Read back by the leader (here the same client, as after a takeover): handled like any other.
  for (const auto& text : frames) {
    auto frame = parse_frame(text);
    ASSERT_TRUE(std::holds_alternative<Envelope>(frame)) << text;
    client.deliver_relayed(std::get<Envelope>(std::move(frame)));
  }
  EXPECT_EQ(event_ids(client.events()), (std::set<std::string>{"EvA", "EvB"}));
  EXPECT_TRUE(client.stop());
}

// Back-pressure: while the app says it has no room, the connection reads nothing more (Slack keeps
// what it sent, unacked); room_freed() lets it read on at once; and an app that never finds room
// again holds an ack back for at most kRoomWaitMax, well inside Slack's 3 s. (Room is asked before
// each read: the read already waiting when room goes still takes its one frame.)
TEST(SocketModeClient, WhileTheAppHasNoRoomNothingMoreIsReadUntilItSaysSo) {
  SlackEmulator emu;
  emu.start();
  std::atomic<bool> room{true};
  auto options = fast_options(1);
  options.room = [&] { return room.load(); };
  SlackClientHarness client(emu, options);
  client.start();
  ASSERT_TRUE(emu.wait_for_connections(1, 5s));
  ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvA")), 2s));

  room = false;
  ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvB")), 2s)) << "the read already waiting";
  const auto held = emu.send_envelope(event_envelope("EvC"));
  EXPECT_FALSE(emu.wait_for_ack(held, 300ms)) << "read while the app had no room";
  const auto freed_at = std::chrono::steady_clock::now();
  room = true;
  client.room_freed();
  ASSERT_TRUE(emu.wait_for_ack(held, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - freed_at, 500ms) << "read on when told, not at the next poll";

  room = false;  // and never again
  ASSERT_TRUE(emu.wait_for_ack(emu.send_envelope(event_envelope("EvD")), 2s));
  const auto ack = emu.wait_for_ack(emu.send_envelope(event_envelope("EvE")), 3s);
  ASSERT_TRUE(ack) << "an ack was held past Slack's deadline";
  EXPECT_FALSE(ack->late);
  EXPECT_GE(ack->latency, std::chrono::microseconds(std::chrono::milliseconds(800)))
      << "held for about kRoomWaitMax, then read anyway";
  ASSERT_TRUE(client.wait_until_handled(5, 5s));
  EXPECT_EQ(event_ids(client.events()), (std::set<std::string>{"EvA", "EvB", "EvC", "EvD", "EvE"}));
  EXPECT_TRUE(client.stop());
}

}  // namespace
}  // namespace vigil::slack
