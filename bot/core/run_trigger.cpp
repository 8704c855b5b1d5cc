#include "bot/core/run_trigger.h"

namespace vigil {

nlohmann::json RunTrigger::to_json() const {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : incident.labels) {
    labels[k] = v;
  }
  return {{"kind", kind},
          {"key", key},
          {"requester", requester},
          {"text", text},
          {"channel", channel},
          {"thread_ts", thread_ts},
          {"backend", backend},
          {"skill", skill},
          {"params", params},
          {"incident",
           {{"id", incident.id},
            {"title", incident.title},
            {"text", incident.text},
            {"alertname", incident.alertname},
            {"severity", incident.severity},
            {"source", incident.source},
            {"fingerprint", incident.fingerprint},
            {"labels", labels},
            {"labels_note", incident.labels_note}}},
          {"incident_id", incident_id},
          {"event", event},
          {"automatic", automatic},
          {"dry_run", dry_run},
          {"cluster", cluster},
          {"cluster_problem", cluster_problem}};
}

RunTrigger RunTrigger::from_json(const nlohmann::json& j) {
  RunTrigger t;
  if (!j.is_object()) {
    return t;
  }
  auto s = [&](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
  };
  t.kind = s(j, "kind");
  t.key = s(j, "key");
  t.requester = s(j, "requester");
  t.text = s(j, "text");
  t.channel = s(j, "channel");
  t.thread_ts = s(j, "thread_ts");
  t.backend = s(j, "backend");
  t.skill = s(j, "skill");
  t.cluster = s(j, "cluster");
  t.cluster_problem = s(j, "cluster_problem");
  if (j.contains("params") && j["params"].is_object()) {
    for (const auto& [k, v] : j["params"].items()) {
      if (v.is_string()) {
        t.params[k] = v.get<std::string>();
      }
    }
  }
  if (j.contains("incident") && j["incident"].is_object()) {
    const auto& i = j["incident"];
    t.incident.id = s(i, "id");
    t.incident.title = s(i, "title");
    t.incident.text = s(i, "text");
    t.incident.alertname = s(i, "alertname");
    t.incident.severity = s(i, "severity");
    t.incident.source = s(i, "source");
    t.incident.fingerprint = s(i, "fingerprint");
    t.incident.labels_note = s(i, "labels_note");
    if (i.contains("labels") && i["labels"].is_object()) {
      for (const auto& [k, v] : i["labels"].items()) {
        if (v.is_string()) {
          t.incident.labels[k] = v.get<std::string>();
        }
      }
    }
  }
  t.incident_id = s(j, "incident_id");
  if (j.contains("event")) {
    t.event = j["event"];
  }
  t.automatic = j.value("automatic", false);
  t.dry_run = j.value("dry_run", false);
  return t;
}

}  // namespace vigil
