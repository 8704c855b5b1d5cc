#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"

namespace vigil::alerting {

enum class AlertStatus {
  Firing,    // start (or count a repeat of) a triage run
  Resolved,  // note it in the thread, mark the incident resolved
  Other,     // acknowledged, annotated, escalated…: noted in the thread only
};

std::string_view to_string(AlertStatus s);

/// One alert from any source, in Vigil's words. Every field is untrusted text.
struct AlertNotification {
  std::string source;  // alertmanager, pagerduty, opsgenie, grafana
  AlertStatus status = AlertStatus::Other;
  std::string event;        // the source's own event name (incident.acknowledged, Close, …)
  std::string fingerprint;  // the source's dedup key: one incident per fingerprint while open
  std::string source_id;    // the source's own id for its API: PagerDuty incident id, OpsGenie alertId
  std::string title;
  std::string alertname;
  std::string severity;
  std::string text;  // description / message
  std::string url;   // link back to the source
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  /// A Slack message that showed label values without their names (Alertmanager's default title,
  /// "[FIRING:1] KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)"): `labels` holds
  /// none of them; they can only be looked up (Alertmanager's API) or asked for.
  bool labels_without_keys = false;
  /// The Alertmanager receiver its link names (`…/#/alerts?receiver=slack`), for that lookup.
  std::string receiver;
  /// Label names whose values differ between the alerts of one message: left out of `labels`.
  std::vector<std::string> differing_labels;
};

/// Parsers of the sources' webhook bodies. A malformed body is an InvalidInput error whose detail
/// is a short reason fit for a 400 answer; nothing throws.
Result<std::vector<AlertNotification>> parse_alertmanager_webhook(std::string_view body);
Result<std::vector<AlertNotification>> parse_grafana_webhook(std::string_view body);
Result<std::vector<AlertNotification>> parse_pagerduty_webhook(std::string_view body);
Result<std::vector<AlertNotification>> parse_opsgenie_webhook(std::string_view body);

/// Dispatches on the source name.
Result<std::vector<AlertNotification>> parse_alert_webhook(std::string_view source, std::string_view body);

}  // namespace vigil::alerting
