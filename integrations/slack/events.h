#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "integrations/slack/socket_mode.h"

namespace vigil::slack {

/// Typed, normalised inputs: the only shape of a Slack input the rest of Vigil sees.

/// Where an input came from (for logs and dedup).
struct Origin {
  std::string envelope_id;
  EnvelopeType type = EnvelopeType::EventsApi;
  int retry_attempt = 0;
  std::string retry_reason;
  std::string dedup_key;
};

struct SlashCommand {
  std::string command;  // "/triage"
  std::string text;     // everything after the command
  std::string user_id;
  std::string user_name;
  std::string channel_id;
  std::string channel_name;
  std::string team_id;
  std::string response_url;
  std::string trigger_id;
};

enum class MessageKind {
  ChannelMessage,  // a person's message in a channel (no thread)
  AppMention,      // app_mention event
  ThreadReply,     // a reply in a thread (thread_ts ≠ ts)
  BotMessage,      // another bot's message (alert bots): bot_id set
};
const char* to_string(MessageKind k);

/// A legacy attachment (alert bots still post these): the parts an alert parser reads.
struct MessageAttachment {
  std::string title;
  std::string title_link;
  std::string text;
  std::string fallback;
  std::string pretext;
  std::string footer;
  std::vector<std::pair<std::string, std::string>> fields;  // title, value; at most 20 kept
};

/// What a message shows: its text, legacy attachments (at most 20 kept) and the text of its Block
/// Kit blocks (block_texts).
struct MessageContent {
  std::string text;  // as Slack sent it (mrkdwn-escaped)
  std::vector<MessageAttachment> attachments;
  std::vector<std::string> blocks;
};

struct MessageEvent {
  MessageKind kind = MessageKind::ChannelMessage;
  std::string event_id;
  std::string channel;
  std::string channel_type;  // channel, group, im, mpim
  std::string user;
  std::string bot_id;
  std::string subtype;   // empty, bot_message, thread_broadcast, file_share, me_message, message_changed
  std::string text;      // as Slack sent it (mrkdwn-escaped)
  std::string bot_name;  // bot_profile.name or username, for bot messages
  std::vector<MessageAttachment> attachments;  // at most 20 kept
  std::vector<std::string> blocks;             // block_texts of its blocks
  std::string ts;                              // the event's own ts (for an edit: when it was edited)
  std::string thread_ts;                       // set for thread replies
  std::string team_id;
  /// A bot that updated its message in place (message_changed; alert apps do on acknowledge and
  /// resolve): the ts of the message that changed, and what it showed before.
  std::string edited_ts;
  MessageContent previous;
};

struct BlockAction {
  std::string action_id;
  std::string block_id;
  std::string value;  // for our buttons: an opaque token only
  std::string action_ts;
  std::string user_id;
  std::string user_name;
  std::string channel_id;
  std::string message_ts;      // the message hosting the button
  std::string container_type;  // message, view, message_attachment
  std::string view_id;
  std::string trigger_id;
  std::string response_url;
  std::string team_id;
};

struct ViewSubmission {
  std::string view_id;
  std::string callback_id;
  std::string private_metadata;
  std::string hash;
  std::string user_id;
  std::string trigger_id;
  /// "block_id.action_id" → the submitted value (text, selected option value, user, …).
  std::map<std::string, std::string> values;
};

struct InboundEvent {
  Origin origin;
  std::variant<SlashCommand, MessageEvent, BlockAction, ViewSubmission> body;
};

/// Known, deliberately not handled, with the reason (logged at debug).
struct Ignored {
  std::string reason;
};

/// Who the bot is (from auth.test), so its own messages are dropped.
struct SelfIdentity {
  std::string user_id;  // U… of the bot user
  std::string bot_id;   // B…
};

/// The text of Block Kit blocks, one entry per block that has any (header, section text and fields,
/// context elements, rich text), at most 50 blocks and 8000 bytes in all. Anything else is skipped.
std::vector<std::string> block_texts(const nlohmann::json& blocks);

/// Pure: one envelope → one typed input, or the reason it is ignored (people's edits, deletes, the
/// bot's own messages, joins, shortcuts, unknown types). Another bot's edit of its own message
/// (message_changed) is a BotMessage with `edited_ts` set.
std::variant<InboundEvent, Ignored> normalize(const Envelope& envelope, const SelfIdentity& self);

/// A short description for logs: "slash_command /triage from U1 in C1".
std::string describe(const InboundEvent& e);

}  // namespace vigil::slack
