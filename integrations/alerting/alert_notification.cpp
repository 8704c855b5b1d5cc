#include "integrations/alerting/alert_notification.h"

#include <nlohmann/json.hpp>

#include "bot/base/ids.h"
#include "bot/base/untrusted_json.h"
#include "bot/base/utf8.h"

namespace vigil::alerting {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxText = 8000;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  if (it->is_string()) {
    auto s = it->get<std::string>();
    utf8_truncate(s, kMaxText);
    return s;
  }
  if (it->is_number() || it->is_boolean()) {
    return it->dump();
  }
  return {};
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) {
    return out;
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out[k] = utf8_prefix(v.get_ref<const std::string&>(), kMaxText);
    } else if (v.is_number() || v.is_boolean()) {
      out[k] = v.dump();
    }
  }
  return out;
}

Result<json> parse_object(std::string_view body) {
  if (!json_depth_within(body)) {
    return make_error(Errc::InvalidInput, "body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  const auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return make_error(Errc::InvalidInput, "body is not valid JSON");
  }
  if (!j.is_object()) {
    return make_error(Errc::InvalidInput, "body is not a JSON object");
  }
  return Result<json>(boost::system::in_place_value, j);
}

// Alertmanager (and Grafana unified alerting, which sends the same shape): one notification per
// alert, each with its own fingerprint (derived from the labels when the sender leaves it out).
Result<std::vector<AlertNotification>> parse_grouped(const json& j, const std::string& source) {
  const auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array()) {
    return make_error(Errc::InvalidInput, "missing \"alerts\" list");
  }
  if (alerts->empty()) {
    return make_error(Errc::InvalidInput, "\"alerts\" is empty");
  }
  const auto group_status = str(j, "status");
  const auto common_labels = string_map(j.value("commonLabels", json::object()));
  std::vector<AlertNotification> out;
  for (const auto& a : *alerts) {
    if (!a.is_object()) {
      return make_error(Errc::InvalidInput, "an alert is not an object");
    }
    AlertNotification n;
    n.source = source;
    n.labels = string_map(a.value("labels", json::object()));
    for (const auto& [k, v] : common_labels) {
      n.labels.emplace(k, v);
    }
    n.annotations = string_map(a.value("annotations", json::object()));
    const auto status = a.contains("status") ? str(a, "status") : group_status;
    n.event = status;
    n.status = status == "firing"     ? AlertStatus::Firing
               : status == "resolved" ? AlertStatus::Resolved
                                      : AlertStatus::Other;
    n.alertname = n.labels.count("alertname") ? n.labels["alertname"] : std::string();
    n.severity = n.labels.count("severity") ? n.labels["severity"] : std::string();
    n.title = n.annotations.count("summary") ? n.annotations["summary"] : n.alertname;
    if (n.title.empty()) {
      n.title = str(j, "title");
    }
    n.text = n.annotations.count("description") ? n.annotations["description"] : std::string();
    n.url = str(a, "generatorURL");
    n.fingerprint = str(a, "fingerprint");
    if (n.fingerprint.empty()) {
      std::string key;
      for (const auto& [k, v] : string_map(a.value("labels", json::object()))) {
        key += k + "=" + v + "\n";
      }
      if (key.empty()) {
        return make_error(Errc::InvalidInput, "an alert has neither fingerprint nor labels");
      }
      n.fingerprint = sha256_hex(key).substr(0, 16);
    }
    if (n.alertname.empty() && n.title.empty()) {
      return make_error(Errc::InvalidInput, "an alert has no alertname label and no summary");
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

std::string_view to_string(AlertStatus s) {
  switch (s) {
    case AlertStatus::Firing:
      return "firing";
    case AlertStatus::Resolved:
      return "resolved";
    case AlertStatus::Other:
      return "other";
  }
  return "other";
}

Result<std::vector<AlertNotification>> parse_alertmanager_webhook(std::string_view body) {
  auto j = parse_object(body);
  if (!j) {
    return j.error();
  }
  return parse_grouped(*j, "alertmanager");
}

Result<std::vector<AlertNotification>> parse_grafana_webhook(std::string_view body) {
  auto j = parse_object(body);
  if (!j) {
    return j.error();
  }
  if (j->contains("alerts")) {
    return parse_grouped(*j, "grafana");
  }
  // Legacy (pre-8) dashboard alerting: one rule, state alerting|ok|no_data|paused|pending.
  const auto rule = str(*j, "ruleName");
  const auto state = str(*j, "state");
  if (rule.empty() || state.empty()) {
    return make_error(Errc::InvalidInput, "neither \"alerts\" nor legacy \"ruleName\"/\"state\"");
  }
  AlertNotification n;
  n.source = "grafana";
  n.event = state;
  n.status = state == "alerting" ? AlertStatus::Firing : state == "ok" ? AlertStatus::Resolved : AlertStatus::Other;
  n.alertname = rule;
  n.title = str(*j, "title").empty() ? rule : str(*j, "title");
  n.text = str(*j, "message");
  n.url = str(*j, "ruleUrl");
  n.fingerprint = "rule-" + (str(*j, "ruleId").empty() ? rule : str(*j, "ruleId")) + "-" + str(*j, "dashboardId") +
                  "-" + str(*j, "panelId");
  n.labels = string_map(j->value("tags", json::object()));
  n.labels["alertname"] = rule;
  return std::vector<AlertNotification>{std::move(n)};
}

Result<std::vector<AlertNotification>> parse_pagerduty_webhook(std::string_view body) {
  auto j = parse_object(body);
  if (!j) {
    return j.error();
  }
  const auto event = j->find("event");
  if (event == j->end() || !event->is_object()) {
    return make_error(Errc::InvalidInput, "missing \"event\" object (PagerDuty v3 webhooks only)");
  }
  const auto type = str(*event, "event_type");
  if (type.empty()) {
    return make_error(Errc::InvalidInput, "missing event.event_type");
  }
  const auto data = event->value("data", json::object());
  // incident.* events carry the incident as data; note events carry it as data.incident.
  const json incident =
      data.is_object() && data.contains("incident") && data["incident"].is_object() ? data["incident"] : data;
  AlertNotification n;
  n.source = "pagerduty";
  n.event = type;
  n.status = type == "incident.triggered" || type == "incident.reopened" ? AlertStatus::Firing
             : type == "incident.resolved"                               ? AlertStatus::Resolved
                                                                         : AlertStatus::Other;
  n.fingerprint = str(incident, "id");
  if (n.fingerprint.empty()) {
    return make_error(Errc::InvalidInput, "missing incident id in event.data");
  }
  n.source_id = n.fingerprint;
  n.title = str(incident, "title");
  if (n.title.empty()) {
    n.title = str(incident, "summary");
  }
  n.alertname = n.title;
  n.url = str(incident, "html_url");
  n.severity = str(incident, "urgency");
  if (incident.contains("priority") && incident["priority"].is_object()) {
    n.severity = str(incident["priority"], "summary");
  }
  if (incident.contains("service") && incident["service"].is_object()) {
    n.labels["service"] = str(incident["service"], "summary");
  }
  if (type == "incident.annotated") {
    n.text = str(data, "content");
  }
  n.labels["incident_number"] = str(incident, "number");
  return std::vector<AlertNotification>{std::move(n)};
}

Result<std::vector<AlertNotification>> parse_opsgenie_webhook(std::string_view body) {
  auto j = parse_object(body);
  if (!j) {
    return j.error();
  }
  const auto action = str(*j, "action");
  const auto alert = j->value("alert", json());
  if (action.empty() || !alert.is_object()) {
    return make_error(Errc::InvalidInput, "missing \"action\" or \"alert\"");
  }
  AlertNotification n;
  n.source = "opsgenie";
  n.event = action;
  n.status = action == "Create" ? AlertStatus::Firing : action == "Close" ? AlertStatus::Resolved : AlertStatus::Other;
  n.fingerprint = str(alert, "alias");
  if (n.fingerprint.empty()) {
    n.fingerprint = str(alert, "alertId");
  }
  if (n.fingerprint.empty()) {
    return make_error(Errc::InvalidInput, "alert has neither alias nor alertId");
  }
  n.source_id = str(alert, "alertId");
  n.title = str(alert, "message");
  n.alertname = n.title;
  n.text = str(alert, "description");
  if (action == "AddNote") {
    n.text = str(alert, "note");
  }
  const auto priority = str(alert, "priority");
  if (!priority.empty()) {
    n.severity = priority[0] == 'P' ? priority : "P" + priority;
  }
  if (alert.contains("entity")) {
    n.labels["entity"] = str(alert, "entity");
  }
  if (alert.contains("tags") && alert["tags"].is_array()) {
    std::string tags;
    for (const auto& t : alert["tags"]) {
      if (t.is_string()) {
        tags += (tags.empty() ? "" : ",") + t.get<std::string>();
      }
    }
    n.labels["tags"] = tags;
  }
  if (alert.contains("details") && alert["details"].is_object()) {
    for (const auto& [k, v] : string_map(alert["details"])) {
      n.labels.emplace(k, v);
    }
  }
  return std::vector<AlertNotification>{std::move(n)};
}

Result<std::vector<AlertNotification>> parse_alert_webhook(std::string_view source, std::string_view body) {
  if (source == "alertmanager")
    return parse_alertmanager_webhook(body);
  if (source == "grafana")
    return parse_grafana_webhook(body);
  if (source == "pagerduty")
    return parse_pagerduty_webhook(body);
  if (source == "opsgenie")
    return parse_opsgenie_webhook(body);
  return make_error(Errc::NotFound, "unknown alert source");
}

}  // namespace vigil::alerting
