#include "integrations/slack/events.h"

namespace vigil::slack {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& child(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) {
    return kNull;
  }
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::variant<InboundEvent, Ignored> command(const Envelope& env, Origin origin) {
  const auto& p = env.payload;
  SlashCommand c;
  c.command = str(p, "command");
  c.text = str(p, "text");
  c.user_id = str(p, "user_id");
  c.user_name = str(p, "user_name");
  c.channel_id = str(p, "channel_id");
  c.channel_name = str(p, "channel_name");
  c.team_id = str(p, "team_id");
  c.response_url = str(p, "response_url");
  c.trigger_id = str(p, "trigger_id");
  if (c.command.empty()) {
    return Ignored{"slash command without a command name"};
  }
  return InboundEvent{std::move(origin), std::move(c)};
}

constexpr std::size_t kMaxAttachments = 20;
constexpr std::size_t kMaxBlocks = 50;
constexpr std::size_t kMaxBlockText = 8000;

// A text object ({"type":"mrkdwn"|"plain_text","text":…}) or a rich-text element tree.
void append_text_object(const json& j, std::string& out) {
  if (j.is_object()) {
    out += str(j, "text");
  }
}

void append_rich_text(const json& element, std::string& out, int depth) {
  if (!element.is_object() || depth > 4 || out.size() > kMaxBlockText) {
    return;
  }
  const auto type = str(element, "type");
  if (type == "text") {
    out += str(element, "text");
  } else if (type == "link") {
    const auto text = str(element, "text");
    out += text.empty() ? str(element, "url") : text;
  } else if (type == "user") {
    out += "<@" + str(element, "user_id") + ">";
  } else if (type == "channel") {
    out += "<#" + str(element, "channel_id") + ">";
  } else if (type == "emoji") {
    out += ":" + str(element, "name") + ":";
  }
  const auto& children = child(element, "elements");
  if (!children.is_array()) {
    return;
  }
  const bool list = type == "rich_text_list";
  for (const auto& c : children) {
    if (list) {
      out += "\n\xE2\x80\xA2 ";  // a list item reads as a bullet line
    }
    append_rich_text(c, out, depth + 1);
  }
  if (type == "rich_text_section" || type == "rich_text_preformatted" || type == "rich_text_quote") {
    out += "\n";
  }
}

std::vector<MessageAttachment> attachments_of(const json& message) {
  std::vector<MessageAttachment> out;
  const auto& atts = child(message, "attachments");
  if (!atts.is_array()) {
    return out;
  }
  for (const auto& a : atts) {
    if (!a.is_object() || out.size() >= kMaxAttachments) {
      continue;
    }
    MessageAttachment m{str(a, "title"),
                        str(a, "title_link"),
                        str(a, "text"),
                        str(a, "fallback"),
                        str(a, "pretext"),
                        str(a, "footer"),
                        {}};
    if (const auto& fields = child(a, "fields"); fields.is_array()) {
      for (const auto& f : fields) {
        if (f.is_object() && m.fields.size() < kMaxAttachments) {
          m.fields.emplace_back(str(f, "title"), str(f, "value"));
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

MessageContent content_of(const json& message) {
  return MessageContent{str(message, "text"), attachments_of(message), block_texts(child(message, "blocks"))};
}

std::variant<InboundEvent, Ignored> event(const Envelope& env, Origin origin, const SelfIdentity& self) {
  const auto& p = env.payload;
  const auto& e = child(p, "event");
  const auto type = str(e, "type");
  if (type != "message" && type != "app_mention") {
    return Ignored{"event type '" + type + "' not handled"};
  }
  MessageEvent m;
  m.event_id = str(p, "event_id");
  m.team_id = str(p, "team_id");
  m.channel = str(e, "channel");
  m.channel_type = str(e, "channel_type");
  m.subtype = str(e, "subtype");
  m.ts = str(e, "ts");
  // An edit carries the message as it is now in "message" and as it was in "previous_message".
  const bool edit = m.subtype == "message_changed";
  const auto& shown = edit ? child(e, "message") : e;
  m.user = str(shown, "user");
  m.bot_id = str(shown, "bot_id");
  m.text = str(shown, "text");
  m.thread_ts = str(shown, "thread_ts");
  m.bot_name = str(child(shown, "bot_profile"), "name");
  if (m.bot_name.empty()) {
    m.bot_name = str(shown, "username");
  }
  m.attachments = attachments_of(shown);
  m.blocks = block_texts(child(shown, "blocks"));
  if (edit) {
    if (m.bot_id.empty()) {
      return Ignored{"message edit"};  // people's edits are not new input
    }
    m.edited_ts = str(shown, "ts");
    if (m.edited_ts.empty()) {
      return Ignored{"message edit without the ts of the message"};
    }
    if (m.thread_ts == m.edited_ts) {
      m.thread_ts.clear();  // a thread's parent names its own ts
    }
    m.previous = content_of(child(e, "previous_message"));
  }
  if (m.subtype == "message_deleted") {
    return Ignored{"message deletion"};
  }
  if (!m.subtype.empty() && m.subtype != "bot_message" && m.subtype != "thread_broadcast" &&
      m.subtype != "file_share" && m.subtype != "me_message" && !edit) {
    return Ignored{"message subtype '" + m.subtype + "' not handled"};
  }
  // The bot receives its own posts: drop them by bot user id and by bot id (bolt's ignoreSelf).
  if (!self.user_id.empty() && m.user == self.user_id) {
    return Ignored{"own message"};
  }
  if (!self.bot_id.empty() && m.bot_id == self.bot_id) {
    return Ignored{edit ? "own message edited" : "own bot message"};
  }
  if (type == "app_mention") {
    m.kind = MessageKind::AppMention;
  } else if (!m.bot_id.empty() || m.subtype == "bot_message") {
    m.kind = MessageKind::BotMessage;
  } else if (!m.thread_ts.empty() && m.thread_ts != m.ts) {
    m.kind = MessageKind::ThreadReply;
  } else {
    m.kind = MessageKind::ChannelMessage;
  }
  return InboundEvent{std::move(origin), std::move(m)};
}

std::string state_value(const json& v) {
  if (!v.is_object()) {
    return {};
  }
  if (auto s = str(v, "value"); !s.empty()) {
    return s;
  }
  if (auto o = child(v, "selected_option"); o.is_object()) {
    return str(o, "value");
  }
  for (const char* k :
       {"selected_user", "selected_channel", "selected_conversation", "selected_date", "selected_time"}) {
    if (auto s = str(v, k); !s.empty()) {
      return s;
    }
  }
  return {};
}

std::variant<InboundEvent, Ignored> interactive(const Envelope& env, Origin origin) {
  const auto& p = env.payload;
  const auto type = str(p, "type");
  if (type == "block_actions") {
    const auto& actions = child(p, "actions");
    if (!actions.is_array() || actions.empty()) {
      return Ignored{"block_actions without actions"};
    }
    const auto& a = actions[0];
    BlockAction b;
    b.action_id = str(a, "action_id");
    b.block_id = str(a, "block_id");
    b.value = str(a, "value");
    if (b.value.empty()) {
      b.value = state_value(a);
    }
    b.action_ts = str(a, "action_ts");
    b.user_id = str(child(p, "user"), "id");
    b.user_name = str(child(p, "user"), "username");
    const auto& container = child(p, "container");
    b.container_type = str(container, "type");
    b.channel_id = str(child(p, "channel"), "id");
    if (b.channel_id.empty()) {
      b.channel_id = str(container, "channel_id");
    }
    b.message_ts = str(container, "message_ts");
    if (b.message_ts.empty()) {
      b.message_ts = str(child(p, "message"), "ts");
    }
    b.view_id = str(container, "view_id");
    b.trigger_id = str(p, "trigger_id");
    b.response_url = str(p, "response_url");
    b.team_id = str(child(p, "team"), "id");
    return InboundEvent{std::move(origin), std::move(b)};
  }
  if (type == "view_submission") {
    const auto& view = child(p, "view");
    ViewSubmission v;
    v.view_id = str(view, "id");
    v.callback_id = str(view, "callback_id");
    v.private_metadata = str(view, "private_metadata");
    v.hash = str(view, "hash");
    v.user_id = str(child(p, "user"), "id");
    v.trigger_id = str(p, "trigger_id");
    const auto& values = child(child(view, "state"), "values");
    if (values.is_object()) {
      for (const auto& [block_id, actions] : values.items()) {
        if (!actions.is_object()) {
          continue;
        }
        for (const auto& [action_id, value] : actions.items()) {
          v.values[block_id + "." + action_id] = state_value(value);
        }
      }
    }
    return InboundEvent{std::move(origin), std::move(v)};
  }
  return Ignored{"interaction type '" + type + "' not handled"};
}

}  // namespace

std::vector<std::string> block_texts(const json& blocks) {
  std::vector<std::string> out;
  if (!blocks.is_array()) {
    return out;
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < blocks.size() && i < kMaxBlocks && total < kMaxBlockText; ++i) {
    const auto& b = blocks[i];
    const auto type = str(b, "type");
    std::string text;
    if (type == "header" || type == "section") {
      append_text_object(child(b, "text"), text);
      if (const auto& fields = child(b, "fields"); fields.is_array()) {
        for (const auto& f : fields) {
          text += text.empty() ? "" : "\n";
          append_text_object(f, text);
        }
      }
    } else if (type == "context") {
      if (const auto& elements = child(b, "elements"); elements.is_array()) {
        for (const auto& el : elements) {
          if (str(el, "type") != "image") {
            text += text.empty() ? "" : " ";
            append_text_object(el, text);
          }
        }
      }
    } else if (type == "rich_text") {
      append_rich_text(b, text, 0);
    }
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    if (!text.empty()) {
      total += text.size();
      out.push_back(std::move(text));
    }
  }
  return out;
}

const char* to_string(MessageKind k) {
  switch (k) {
    case MessageKind::ChannelMessage:
      return "channel_message";
    case MessageKind::AppMention:
      return "app_mention";
    case MessageKind::ThreadReply:
      return "thread_reply";
    case MessageKind::BotMessage:
      return "bot_message";
  }
  return "unknown";
}

std::variant<InboundEvent, Ignored> normalize(const Envelope& envelope, const SelfIdentity& self) {
  Origin origin;
  origin.envelope_id = envelope.envelope_id;
  origin.type = envelope.type;
  origin.retry_attempt = envelope.retry_attempt;
  origin.retry_reason = envelope.retry_reason;
  origin.dedup_key = dedup_key(envelope);
  switch (envelope.type) {
    case EnvelopeType::SlashCommands:
      return command(envelope, std::move(origin));
    case EnvelopeType::EventsApi:
      return event(envelope, std::move(origin), self);
    case EnvelopeType::Interactive:
      return interactive(envelope, std::move(origin));
  }
  return Ignored{"unknown envelope type"};
}

std::string describe(const InboundEvent& e) {
  struct Visitor {
    std::string operator()(const SlashCommand& c) const {
      return "slash_command " + c.command + " from " + c.user_id + " in " + c.channel_id;
    }
    std::string operator()(const MessageEvent& m) const {
      return std::string(to_string(m.kind)) + " from " + (m.user.empty() ? m.bot_id : m.user) + " in " + m.channel +
             " ts " + m.ts;
    }
    std::string operator()(const BlockAction& b) const { return "block_action " + b.action_id + " from " + b.user_id; }
    std::string operator()(const ViewSubmission& v) const {
      return "view_submission " + v.callback_id + " from " + v.user_id;
    }
  };
  return std::visit(Visitor{}, e.body);
}

}  // namespace vigil::slack
