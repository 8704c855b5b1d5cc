#include "integrations/slack/events.h"

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::slack {
namespace {

using nlohmann::json;

Envelope event_envelope(const std::string& file) {
  Envelope e;
  e.envelope_id = "E";
  e.type = EnvelopeType::EventsApi;
  e.payload = json::parse(test::read_file(test::fixtures_dir() / "slack" / "events" / file));
  return e;
}

Envelope interactive(const std::string& file) {
  Envelope e;
  e.envelope_id = "E";
  e.type = EnvelopeType::Interactive;
  e.payload = json::parse(test::read_file(test::fixtures_dir() / "slack" / "interactive" / file));
  return e;
}

const SelfIdentity kSelf{"U0VIGIL", "B0VIGIL"};

template <class T>
T as(const std::variant<InboundEvent, Ignored>& r) {
  EXPECT_TRUE(std::holds_alternative<InboundEvent>(r))
      << (std::holds_alternative<Ignored>(r) ? std::get<Ignored>(r).reason : "");
  return std::get<T>(std::get<InboundEvent>(r).body);
}

std::string ignored(const std::variant<InboundEvent, Ignored>& r) {
  return std::holds_alternative<Ignored>(r) ? std::get<Ignored>(r).reason : "";
}

TEST(Events, MessageKinds) {
  auto plain = as<MessageEvent>(normalize(event_envelope("message_user_plain.json"), kSelf));
  EXPECT_EQ(plain.kind, MessageKind::ChannelMessage);
  EXPECT_EQ(plain.channel, "C111");
  auto mention = as<MessageEvent>(normalize(event_envelope("app_mention.json"), kSelf));
  EXPECT_EQ(mention.kind, MessageKind::AppMention);
  EXPECT_EQ(mention.text, "<@W111> Hi there!");
  auto reply = as<MessageEvent>(normalize(event_envelope("message_thread_reply_in_channel.json"), kSelf));
  EXPECT_EQ(reply.kind, MessageKind::ThreadReply);
  EXPECT_EQ(reply.thread_ts, "1726133698.626339");
  auto bot = as<MessageEvent>(normalize(event_envelope("message_subtype_bot_message.json"), kSelf));
  EXPECT_EQ(bot.kind, MessageKind::BotMessage);
  EXPECT_EQ(bot.bot_id, "B888");
  auto other_bot = as<MessageEvent>(normalize(event_envelope("message_from_bot_with_bot_id.json"), kSelf));
  EXPECT_EQ(other_bot.kind, MessageKind::BotMessage);
  auto broadcast = as<MessageEvent>(normalize(event_envelope("message_thread_broadcast.json"), kSelf));
  EXPECT_EQ(broadcast.subtype, "thread_broadcast");
  EXPECT_EQ(as<MessageEvent>(normalize(event_envelope("message_file_share.json"), kSelf)).subtype, "file_share");
}

TEST(Events, EditsAndOwnMessagesAreIgnoredWithAReason) {
  EXPECT_EQ(ignored(normalize(event_envelope("message_changed.json"), kSelf)), "message edit");
  auto own = event_envelope("message_subtype_bot_message.json");
  own.payload["event"]["bot_id"] = "B0VIGIL";
  EXPECT_EQ(ignored(normalize(own, kSelf)), "own bot message");
  auto own_user = event_envelope("message_user_plain.json");
  own_user.payload["event"]["user"] = "U0VIGIL";
  EXPECT_EQ(ignored(normalize(own_user, kSelf)), "own message");
  auto join = event_envelope("message_user_plain.json");
  join.payload["event"]["subtype"] = "channel_join";
  EXPECT_NE(ignored(normalize(join, kSelf)).find("channel_join"), std::string::npos);
  auto reaction = event_envelope("message_user_plain.json");
  reaction.payload["event"]["type"] = "reaction_added";
  EXPECT_NE(ignored(normalize(reaction, kSelf)).find("reaction_added"), std::string::npos);
}

TEST(Events, SlashCommandFromTheEnvelopeFixture) {
  Envelope e;
  e.type = EnvelopeType::SlashCommands;
  e.envelope_id = "E";
  e.payload = json::parse(
      test::read_file(test::fixtures_dir() / "slack" / "socket_mode" / "slash_commands_envelope.json"))["payload"];
  e.payload["text"] = "status run-1";
  auto c = as<SlashCommand>(normalize(e, kSelf));
  EXPECT_EQ(c.command, "/hello-socket-mode");
  EXPECT_EQ(c.text, "status run-1");
  EXPECT_EQ(c.user_id, "U111");
  EXPECT_EQ(c.channel_id, "C111");
  EXPECT_EQ(c.trigger_id, "111.222.xxx");
  EXPECT_FALSE(c.response_url.empty());
}

TEST(Events, BlockActionAndViewSubmission) {
  auto b = as<BlockAction>(normalize(interactive("block_actions_button.json"), kSelf));
  EXPECT_FALSE(b.action_id.empty());
  EXPECT_EQ(b.user_id, "W111");
  EXPECT_EQ(b.channel_id, "C111");
  EXPECT_EQ(b.message_ts, "111.222");
  EXPECT_EQ(b.container_type, "message");
  auto v = as<ViewSubmission>(normalize(interactive("view_submission.json"), kSelf));
  EXPECT_EQ(v.view_id, "V111");
  EXPECT_FALSE(v.values.empty());
  EXPECT_NE(ignored(normalize(interactive("shortcut_global.json"), kSelf)).find("shortcut"), std::string::npos);
  EXPECT_NE(ignored(normalize(interactive("view_closed.json"), kSelf)).find("view_closed"), std::string::npos);
}

TEST(Events, InternalNamesNeverCollideWithSlackEventNames) {
  // node-slack-sdk PR #2059: an internal "message" name doubled every message.
  EXPECT_STRNE(to_string(MessageKind::ChannelMessage), "message");
  auto r = normalize(event_envelope("message_user_plain.json"), kSelf);
  EXPECT_EQ(describe(std::get<InboundEvent>(r)).rfind("channel_message", 0), 0u);
}

}  // namespace
}  // namespace vigil::slack
