#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integrations/alerting/alert_notification.h"

namespace vigil::alerting {

/// A message another bot posted in an incident channel: its text and legacy attachments.
struct AlertMessage {
  std::string bot_name;  // bot_profile.name or username
  std::string text;
  struct Attachment {
    std::string title;
    std::string text;
    std::string fallback;
    std::string pretext;
  };
  std::vector<Attachment> attachments;
};

/// Recognises the Slack messages of Alertmanager, Grafana, PagerDuty and OpsGenie ("[FIRING:2]
/// HighErrorRate …", "[RESOLVED] …", "[Alerting] …", "Triggered #123: …", "Alert closed: …").
/// The fingerprint ignores the changing parts (counts, timestamps) so repeats group together.
/// nullopt when the message does not look like an alert; with `assume_alert` (the channel names
/// this bot as an alert source) it becomes a firing alert keyed on its first line.
std::optional<AlertNotification> parse_alert_message(const AlertMessage& message, bool assume_alert);

}  // namespace vigil::alerting
