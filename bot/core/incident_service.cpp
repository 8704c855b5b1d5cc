#include "bot/core/incident_service.h"

#include "bot/base/ids.h"
#include "bot/store/store.h"

namespace vigil {

IncidentService::IncidentService(Store& store, Clock& clock, const Redactor& redactor)
    : store_(store), clock_(clock), redactor_(redactor) {}

void IncidentService::record_event(const std::string& incident_id, const std::string& kind, const std::string& actor,
                                   const std::string& text) {
  store_.append_incident_event({0, incident_id, to_unix_ms(clock_.now()), kind, actor, text});
}

void IncidentService::audit(const std::string& actor, const std::string& action, const std::string& detail) {
  store_.append_audit({0, to_unix_ms(clock_.now()), actor, action, "", "", redactor_.redact(detail)});
}

Result<IncidentRecord> IncidentService::declare(const IncidentDeclaration& d) {
  IncidentRecord incident;
  incident.id = new_uuid();
  incident.title = redactor_.redact(d.title);
  incident.severity = d.severity;
  incident.source = "slack";
  incident.channel = d.channel;
  incident.declared_by = d.declared_by;
  incident.created_at = to_unix(clock_.now());
  if (auto created = store_.create_incident(incident); !created) {
    return created.error();
  }
  const std::string severity = incident.severity.empty() ? std::string() : incident.severity + ", ";
  record_event(incident.id, "declared", d.declared_by, severity + "declared in #" + d.channel_name);
  audit(d.declared_by, "incident.declared", incident.id + " " + incident.title);
  return incident;
}

void IncidentService::record_channel_created(const std::string& incident_id, const std::string& channel,
                                             const std::string& invited) {
  record_event(incident_id, "channel_created", "vigil", "<#" + channel + ">, " + invited + " invited");
}

void IncidentService::set_root(const std::string& incident_id, const std::string& channel,
                               const std::string& thread_ts) {
  store_.set_incident_thread(incident_id, channel, thread_ts);
}

IncidentLookup find_incident(Store& store, const std::string& id_or_prefix) {
  if (auto exact = store.get_incident(id_or_prefix)) {
    return *exact;
  }
  const auto found = store.find_incidents_by_prefix(id_or_prefix, 2);
  if (found.empty()) {
    return IncidentLookupFailure::NotFound;
  }
  if (found.size() > 1) {
    return IncidentLookupFailure::Ambiguous;
  }
  return found.front();
}

IncidentLookup IncidentService::find(const std::string& argument, const std::string& channel) {
  if (argument.empty()) {
    const auto here = store_.open_incidents_in_channel(channel);
    if (here.empty()) {
      return IncidentLookupFailure::NoneOpenHere;
    }
    return here.front();
  }
  return find_incident(store_, argument);
}

IncidentStatus IncidentService::status(const std::string& argument, const std::string& channel) {
  const auto here = store_.open_incidents_in_channel(channel);
  if (argument.empty() && here.empty()) {
    return OpenIncidents{store_.list_incidents(10, true)};
  }
  auto found = find(argument, channel);
  if (const auto* failure = std::get_if<IncidentLookupFailure>(&found)) {
    return *failure;
  }
  IncidentDetail detail;
  detail.incident = std::move(std::get<IncidentRecord>(found));
  detail.runs = store_.runs_for_incident(detail.incident.id);
  if (argument.empty() && here.size() > 1) {
    detail.more_open_here = here.size() - 1;
  }
  return detail;
}

IncidentResolveOutcome IncidentService::resolve(const std::string& argument, const std::string& channel,
                                                const std::string& by) {
  auto found = find(argument, channel);
  if (const auto* failure = std::get_if<IncidentLookupFailure>(&found)) {
    return *failure;
  }
  const auto& incident = std::get<IncidentRecord>(found);
  IncidentResolution out;
  const long long now = to_unix(clock_.now());
  if (!store_.resolve_incident(incident.id, now)) {
    out.kind = IncidentResolution::Kind::AlreadyResolved;
    out.incident = incident;
    return out;
  }
  record_event(incident.id, "resolved", by, "resolved with /incident resolve");
  audit(by, "incident.resolved", incident.id);
  out.incident = store_.get_incident(incident.id).value_or(incident);
  out.open_for = now - incident.created_at;
  const auto runs = store_.runs_for_incident(incident.id);
  for (const auto& r : runs) {
    out.still_running += is_terminal(r.state) ? 0 : 1;
  }
  if (out.incident.thread_ts.empty() && !runs.empty()) {
    out.run_to_tell = runs.back().id;
  }
  return out;
}

IncidentLookup IncidentService::find_for_timeline(const std::string& argument, const std::string& channel) {
  auto found = find(argument, channel);
  if (!argument.empty() || std::holds_alternative<IncidentRecord>(found)) {
    return found;
  }
  for (auto& i : store_.list_incidents(50, false)) {
    if (i.channel == channel) {
      return std::move(i);
    }
  }
  return found;
}

std::optional<IncidentRecord> IncidentService::declared_open_in(const std::string& channel) {
  for (auto& i : store_.open_incidents_in_channel(channel)) {
    if (i.source == "slack") {
      return std::move(i);
    }
  }
  return std::nullopt;
}

}  // namespace vigil
