#pragma once

#include <string>
#include <variant>
#include <vector>

#include "integrations/alerting/alert_notification.h"
#include "integrations/slack/events.h"

namespace vigil::alerting {

/// A message another bot posted (or edited) in an incident channel, as Slack delivered it: its
/// text, legacy attachments and the text of its Block Kit blocks. Every field is untrusted text.
struct AlertMessage {
  std::string bot_name;  // bot_profile.name or username
  std::string text;
  struct Field {
    std::string title;
    std::string value;
  };
  struct Attachment {
    std::string title;
    std::string title_link;
    std::string text;
    std::string fallback;
    std::string pretext;
    std::string footer;
    std::vector<Field> fields;
  };
  std::vector<Attachment> attachments;
  /// One entry per block that carries text (header, section text and fields, context elements,
  /// rich text), in order; see slack::block_texts.
  std::vector<std::string> block_texts;
};

/// The message as Slack delivered it (slack::normalize), in the parser's terms.
AlertMessage alert_message_of(const std::string& bot_name, const slack::MessageContent& content);

/// Why a bot's message is not taken as an alert: logged, never answered in Slack.
struct NotAnAlert {
  std::string reason;
};

/// Recognises the Slack messages of Alertmanager (its default template and the `key: value`
/// templates, ours in deploy/alerting/ among them), Grafana (its default contact-point message,
/// ` - key = value` label lines, and the legacy `[Alerting]` format), PagerDuty's and OpsGenie's
/// Slack apps, in text, attachments or Block Kit blocks.
///
/// Labels come only from what the message names as `key: value` or `key = value`; a message that
/// shows label values without their names (Alertmanager's default title) is flagged
/// `labels_without_keys` and its labels are left empty, never guessed. When a message carries
/// several alerts, a label whose value differs between them is dropped and named in
/// `differing_labels`. The fingerprint ignores the changing parts (counts, status) so that repeats
/// and the resolve of one alert group together.
///
/// With `assume_alert` (the channel names this bot as an alert source) a message in no known
/// format becomes a firing alert keyed on its first line; otherwise it is NotAnAlert. Bounded in
/// time and memory on any input; never throws.
std::variant<AlertNotification, NotAnAlert> parse_alert_message(const AlertMessage& message, bool assume_alert);

}  // namespace vigil::alerting
