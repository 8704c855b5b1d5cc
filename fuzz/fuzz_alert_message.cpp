// Alert bots' Slack messages as IncidentMessageHandler hands them over: parse_alert_message with
// the bot name, the text and the legacy attachments. Byte 0 bit 0 is assume_alert; the rest is
// split on 0xFF (never in UTF-8): bot name, text, then title/text/fallback/pretext per attachment.
// Slack's fields arrive inside JSON (valid UTF-8) and what comes out is posted back as JSON.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "integrations/alerting/alert_message_parser.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const bool assume_alert = (data[0] & 1) != 0;
  const auto parts = fuzz::split(fuzz::as_text(data + 1, size - 1), '\xff');
  for (const auto p : parts) {
    if (!fuzz::valid_utf8(p)) {
      return 0;
    }
  }
  alerting::AlertMessage m;
  m.bot_name = std::string(parts[0]);
  if (parts.size() > 1) {
    m.text = std::string(parts[1]);
  }
  for (std::size_t i = 2; i < parts.size() && m.attachments.size() < 20; i += 4) {
    alerting::AlertMessage::Attachment a;
    a.title = std::string(parts[i]);
    a.text = i + 1 < parts.size() ? std::string(parts[i + 1]) : std::string();
    a.fallback = i + 2 < parts.size() ? std::string(parts[i + 2]) : std::string();
    a.pretext = i + 3 < parts.size() ? std::string(parts[i + 3]) : std::string();
    m.attachments.push_back(std::move(a));
  }
  const auto alert = alerting::parse_alert_message(m, assume_alert);
  if (!alert) {
    return 0;
  }
  for (const auto* s : {&alert->source, &alert->event, &alert->fingerprint, &alert->title, &alert->alertname,
                        &alert->severity, &alert->text}) {
    fuzz::require_utf8("alert field", *s);
  }
  (void)nlohmann::json(alert->labels).dump();  // as the store keeps them; throws on a broken character
  return 0;
}
