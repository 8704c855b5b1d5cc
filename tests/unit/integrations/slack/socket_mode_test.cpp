#include "integrations/slack/socket_mode.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::slack {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) {
  return test::read_file(test::fixtures_dir() / "slack" / "socket_mode" / name);
}

TEST(SocketMode, ParsesHelloWithItsDebugInfo) {
  const auto f = parse_frame(fixture("hello.json"));
  const auto& h = std::get<Hello>(f);
  EXPECT_EQ(h.num_connections, 2);
  EXPECT_EQ(h.app_id, "A111");
  EXPECT_EQ(h.approximate_connection_time, std::chrono::seconds(18060));
}

TEST(SocketMode, ParsesEveryDisconnectReasonAndClassifiesIt) {
  EXPECT_EQ(std::get<Disconnect>(parse_frame(fixture("disconnect_warning.json"))).reason, DisconnectReason::Warning);
  EXPECT_EQ(std::get<Disconnect>(parse_frame(fixture("disconnect_link_disabled.json"))).reason,
            DisconnectReason::LinkDisabled);
  EXPECT_EQ(std::get<Disconnect>(parse_frame(fixture("disconnect_too_many_websockets.json"))).reason,
            DisconnectReason::TooManyWebsockets);
  EXPECT_EQ(std::get<Disconnect>(parse_frame(R"({"type":"disconnect","reason":"refresh_requested"})")).reason,
            DisconnectReason::RefreshRequested);
  EXPECT_EQ(classify(DisconnectReason::Warning), DisconnectAction::ReplaceSoon);
  EXPECT_EQ(classify(DisconnectReason::RefreshRequested), DisconnectAction::ReplaceSoon);
  EXPECT_EQ(classify(DisconnectReason::LinkDisabled), DisconnectAction::Stop);
  EXPECT_EQ(classify(DisconnectReason::TooManyWebsockets), DisconnectAction::BackOff);
}

TEST(SocketMode, EveryEnvelopeFixtureParses) {
  int envelopes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixtures_dir() / "slack" / "socket_mode")) {
    const auto text = test::read_file(entry.path());
    const auto f = parse_frame(text);
    EXPECT_FALSE(std::holds_alternative<BadFrame>(f)) << entry.path();
    if (const auto* e = std::get_if<Envelope>(&f)) {
      ++envelopes;
      EXPECT_FALSE(e->envelope_id.empty());
      EXPECT_TRUE(e->payload.is_object());
    }
  }
  EXPECT_EQ(envelopes, 8);
  const auto cmd = std::get<Envelope>(parse_frame(fixture("slash_commands_envelope.json")));
  EXPECT_EQ(cmd.type, EnvelopeType::SlashCommands);
  EXPECT_TRUE(cmd.accepts_response_payload);
}

// What a standby replica stores for the leader reads back as the same envelope, without the
// legacy verification token (a credential) and with a stray byte replaced, not thrown.
TEST(SocketMode, ARelayFrameReadsBackAsTheSameEnvelopeWithoutItsToken) {
  int envelopes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixtures_dir() / "slack" / "socket_mode")) {
    const auto original = parse_frame(test::read_file(entry.path()));
    const auto* e = std::get_if<Envelope>(&original);
    if (e == nullptr) {
      continue;
    }
    ++envelopes;
    const auto text = relay_frame(*e);
    EXPECT_EQ(text.find("\"token\""), std::string::npos) << entry.path();
    const auto back = std::get<Envelope>(parse_frame(text));
    EXPECT_EQ(back.envelope_id, e->envelope_id);
    EXPECT_EQ(back.type, e->type);
    EXPECT_EQ(back.retry_attempt, e->retry_attempt);
    EXPECT_EQ(back.retry_reason, e->retry_reason);
    EXPECT_EQ(back.accepts_response_payload, e->accepts_response_payload);
    auto without_token = e->payload;
    without_token.erase("token");
    EXPECT_EQ(back.payload, without_token) << entry.path();
    EXPECT_EQ(dedup_key(back), dedup_key(*e)) << "a taken-in envelope keeps its identity";
  }
  EXPECT_EQ(envelopes, 8);
  Envelope odd;
  odd.envelope_id = "e1";
  odd.type = EnvelopeType::SlashCommands;
  odd.payload = {{"text", std::string("restart \xff api")}, {"token", "legacy-verification"}};
  odd.retry_attempt = 2;
  odd.retry_reason = "timeout";
  const auto back = std::get<Envelope>(parse_frame(relay_frame(odd)));
  EXPECT_EQ(back.payload.value("text", ""), "restart \xEF\xBF\xBD api");
  EXPECT_FALSE(back.payload.contains("token"));
  EXPECT_EQ(back.retry_attempt, 2);
}

TEST(SocketMode, MalformedFramesBecomeBadFramesNeverExceptions) {
  EXPECT_TRUE(std::holds_alternative<BadFrame>(parse_frame("{not json")));
  EXPECT_TRUE(std::holds_alternative<BadFrame>(parse_frame("[1]")));
  EXPECT_TRUE(std::holds_alternative<BadFrame>(parse_frame("")));
  EXPECT_TRUE(std::holds_alternative<BadFrame>(parse_frame(std::string(5 * 1024 * 1024, 'x'))));
  const auto no_id = std::get<BadFrame>(parse_frame(R"({"type":"events_api","payload":{}})"));
  EXPECT_TRUE(no_id.envelope_id.empty());
  const auto unknown = std::get<BadFrame>(parse_frame(R"({"type":"nope","envelope_id":"E1","payload":{}})"));
  EXPECT_EQ(unknown.envelope_id, "E1") << "acked anyway";
  EXPECT_TRUE(
      std::holds_alternative<BadFrame>(parse_frame(R"({"type":"events_api","envelope_id":"E","payload":"x"})")));
}

TEST(SocketMode, RetryFieldsAreRead) {
  const auto e = std::get<Envelope>(parse_frame(
      R"({"type":"events_api","envelope_id":"E","retry_attempt":2,"retry_reason":"timeout","payload":{"event_id":"Ev9"}})"));
  EXPECT_EQ(e.retry_attempt, 2);
  EXPECT_EQ(e.retry_reason, "timeout");
}

TEST(SocketMode, AckCarriesOnlyTheEnvelopeIdOrAPayload) {
  EXPECT_EQ(json::parse(make_ack("E1")), json({{"envelope_id", "E1"}}));
  EXPECT_EQ(json::parse(make_ack("E1", json{{"text", "on it"}})),
            json({{"envelope_id", "E1"}, {"payload", {{"text", "on it"}}}}));
}

TEST(SocketMode, DedupKeysIdentifyRedeliveries) {
  auto e = std::get<Envelope>(parse_frame(fixture("events_api_message_envelope.json")));
  std::string kind;
  EXPECT_EQ(dedup_key(e, &kind), "event:Ev111");
  EXPECT_EQ(kind, "event");
  auto retry = e;
  retry.envelope_id = "other";
  retry.retry_attempt = 1;
  EXPECT_EQ(dedup_key(retry), dedup_key(e));
  const auto click = std::get<Envelope>(parse_frame(fixture("interactive_block_actions_button_envelope.json")));
  EXPECT_EQ(dedup_key(click, &kind).rfind("action:U111:", 0), 0u);
  EXPECT_EQ(kind, "interaction");
  const auto cmd = std::get<Envelope>(parse_frame(fixture("slash_commands_envelope.json")));
  EXPECT_EQ(dedup_key(cmd, &kind), "trigger:111.222.xxx");
  EXPECT_EQ(kind, "command");
}

TEST(SocketMode, BackoffGrowsIsCappedHasJitterAndResets) {
  Backoff b{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  EXPECT_EQ(b.next(0.0).count(), 50);
  EXPECT_EQ(b.next(0.999).count(), 199);
  EXPECT_EQ(b.next(0.5).count(), 300);
  EXPECT_EQ(b.next(1.0).count(), 800);
  for (int i = 0; i < 50; ++i) {
    const auto d = b.next(0.7);
    EXPECT_LE(d.count(), 1000);
    EXPECT_GE(d.count(), 500);
  }
  b.reset();
  EXPECT_LE(b.next(0.9).count(), 100);
}

// Kept under fuzz/regressions/socket_mode/: a float approximate_connection_time such as 1e300 was
// converted to long long (undefined behaviour); only integers are read.
TEST(SocketMode, HelloWithAFloatConnectionTimeIsIgnoredNotConverted) {
  const auto f = parse_frame(
      R"({"type":"hello","num_connections":1,"debug_info":{"host":"h","approximate_connection_time":1e300}})");
  const auto& h = std::get<Hello>(f);
  EXPECT_EQ(h.approximate_connection_time.count(), 0);
  EXPECT_EQ(h.host, "h");
}

// Kept under fuzz/regressions/socket_mode/: 100000 nested arrays in a payload (200 KB) parsed
// fine, then normalize() copied them recursively and overflowed the stack.
TEST(SocketMode, DeeplyNestedFramesAreBadFrames) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto f = parse_frame(R"({"type":"interactive","envelope_id":"e1","payload":{"type":"block_actions",)"
                             R"("actions":[{"action_id":"a","selected_option":)" +
                             deep + "}]}}");
  const auto* bad = std::get_if<BadFrame>(&f);
  ASSERT_NE(bad, nullptr);
  EXPECT_NE(bad->reason.find("too deeply nested"), std::string::npos) << bad->reason;
  // Real payloads nest far less than the limit.
  EXPECT_TRUE(std::holds_alternative<Envelope>(parse_frame(
      R"({"type":"events_api","envelope_id":"e2","payload":{"event":{"blocks":[[[[[[[[[[{}]]]]]]]]]]}}})")));
}

}  // namespace
}  // namespace vigil::slack
