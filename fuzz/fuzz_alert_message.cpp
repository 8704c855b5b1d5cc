// Alert bots' Slack messages the way they reach IncidentMessageHandler: a Slack `message` event
// (JSON, as Slack delivers it: text, attachments, blocks, message_changed edits) through
// slack::normalize, alerting::alert_message_of and parse_alert_message. Byte 0 bit 0 is
// assume_alert (the channel lists the bot as an alert source); the rest is the event object.
// What comes out is posted back to Slack and stored as JSON, so it must stay valid UTF-8; the
// parser must never throw (libFuzzer reports an uncaught exception as a crash).

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"
#include "fuzz/fuzz_support.h"
#include "integrations/alerting/alert_message_parser.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const bool assume_alert = (data[0] & 1) != 0;
  auto event = parse_untrusted_json(fuzz::as_text(data + 1, size - 1));
  if (event.is_discarded() || !event.is_object()) {
    return 0;
  }
  slack::Envelope envelope;
  envelope.envelope_id = "fuzz-envelope";
  envelope.type = slack::EnvelopeType::EventsApi;
  envelope.payload = nlohmann::json{{"type", "event_callback"}, {"event_id", "Ev0FUZZ"}, {"event", std::move(event)}};
  const auto normalized = slack::normalize(envelope, slack::SelfIdentity{"U0VIGIL", "B0VIGIL"});
  const auto* in = std::get_if<slack::InboundEvent>(&normalized);
  const auto* m = in ? std::get_if<slack::MessageEvent>(&in->body) : nullptr;
  if (!m) {
    return 0;
  }
  const slack::MessageContent shown{m->text, m->attachments, m->blocks};
  for (const auto* content : {&shown, &m->previous}) {
    const auto parsed = alerting::parse_alert_message(alerting::alert_message_of(m->bot_name, *content), assume_alert);
    const auto* alert = std::get_if<alerting::AlertNotification>(&parsed);
    if (!alert) {
      continue;
    }
    for (const auto* s : {&alert->source, &alert->event, &alert->fingerprint, &alert->title, &alert->alertname,
                          &alert->severity, &alert->text, &alert->url, &alert->receiver}) {
      fuzz::require_utf8("alert field", *s);
    }
    // As the store and Slack take them; throws on a broken character.
    (void)nlohmann::json(alert->labels).dump();
    (void)nlohmann::json(alert->annotations).dump();
  }
  return 0;
}
