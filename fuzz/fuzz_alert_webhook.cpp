// Webhook bodies as OpsEndpoints takes them: parse_alert_webhook for Alertmanager, Grafana,
// PagerDuty v3 and OpsGenie (byte 0 picks the source; the rest is the body). What comes out is
// stored and posted to Slack as JSON, so its text must stay valid UTF-8.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "integrations/alerting/alert_notification.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  static const char* const kSources[] = {"alertmanager", "grafana", "pagerduty", "opsgenie"};
  const auto body = fuzz::as_text(data + 1, size - 1);
  const auto alerts = alerting::parse_alert_webhook(kSources[data[0] % 4], body);
  if (!alerts) {
    return 0;
  }
  for (const auto& a : *alerts) {
    for (const auto* s :
         {&a.event, &a.fingerprint, &a.source_id, &a.title, &a.alertname, &a.severity, &a.text, &a.url}) {
      fuzz::require_utf8("alert field", *s);
    }
    nlohmann::json labels(a.labels);
    nlohmann::json annotations(a.annotations);
    (void)labels.dump();  // as the store keeps them; throws on a broken character
    (void)annotations.dump();
  }
  return 0;
}
