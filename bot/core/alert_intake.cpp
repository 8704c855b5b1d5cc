#include "bot/core/alert_intake.h"

#include "bot/core/alert_actions.h"

#include "bot/base/ids.h"
#include "bot/core/run_manager.h"
#include "bot/store/store.h"
#include "bot/core/timeline.h"

namespace vigil {

skills::Incident incident_from_alert(const alerting::AlertNotification& a) {
  skills::Incident i;
  i.title = a.title.empty() ? a.alertname : a.title;
  i.text = a.text;
  i.alertname = a.alertname;
  i.severity = a.severity;
  i.source = a.source;
  i.fingerprint = a.fingerprint;
  i.labels = a.labels;
  if (!a.differing_labels.empty()) {
    std::string names;
    for (const auto& n : a.differing_labels) {
      names += (names.empty() ? "" : ", ") + n;
    }
    i.labels_note = "The alert message holds several alerts whose " + names +
                    " differ, so Vigil did not pick one; start a run for one of them with /runbook run.";
  }
  return i;
}

namespace {

/// The incident a new firing alert opens: it lives in the alert message's thread (none for a
/// webhook's alert, whose run posts a new root).
IncidentRecord incident_record(const alerting::AlertNotification& a, const AlertTarget& target, long long now) {
  IncidentRecord rec;
  rec.id = new_uuid();
  rec.title = a.title.empty() ? a.alertname : a.title;
  rec.severity = a.severity;
  rec.source = a.source;
  rec.fingerprint = a.fingerprint;
  rec.channel = target.channel;
  rec.thread_ts = target.thread_ts;
  rec.declared_by = a.source;
  rec.created_at = now;
  rec.alert_count = 1;
  return rec;
}

/// The automatic triage run of a new incident opened by `a`.
RunTrigger alert_trigger(const alerting::AlertNotification& a, const AlertTarget& target, const IncidentRecord& rec) {
  RunTrigger t;
  t.kind = target.thread_ts.empty() ? "webhook" : "alert";
  t.key = "alert:" + rec.id;
  t.requester = a.source;
  t.text = rec.title;
  t.channel = target.channel;
  t.thread_ts = target.thread_ts;
  t.backend = target.backend;
  t.cluster = target.cluster;
  t.incident = incident_from_alert(a);
  if (!target.labels_note.empty()) {
    t.incident.labels_note = target.labels_note;
  }
  t.incident.id = rec.id;
  t.incident.title = rec.title;
  t.incident_id = rec.id;
  t.event = {{"source", a.source},          {"event", a.event}, {"fingerprint", a.fingerprint},
             {"delivery", target.event_id}, {"url", a.url},     {"annotations", a.annotations}};
  if (!a.source_id.empty()) {
    t.event["source_id"] = a.source_id;  // incident notes write to it
  }
  t.automatic = true;
  return t;
}

}  // namespace

AlertIntake::AlertIntake(Store& store, RunManager& runs, Clock& clock, std::chrono::seconds window)
    : store_(store), runs_(runs), clock_(clock), window_(window) {}

std::optional<IncidentRecord> AlertIntake::open_incident_of(const alerting::AlertNotification& a,
                                                            const AlertTarget& target, long long now) {
  auto incident = store_.find_open_incident_by_fingerprint(a.source, a.fingerprint);
  if (incident && now - incident->created_at > window_.count()) {
    // An old open incident of the same fingerprint: a new occurrence gets its own.
    incident.reset();
  }
  if (!incident && !target.edited_ts.empty()) {
    // An edited message whose title changed: the incident is the one in that message's thread.
    for (auto& open : store_.open_incidents_in_channel(target.channel)) {
      if (open.thread_ts == target.edited_ts) {
        incident = std::move(open);
        break;
      }
    }
  }
  return incident;
}

Result<AlertOutcome> AlertIntake::intake(const alerting::AlertNotification& a, const AlertTarget& target) {
  const long long now = to_unix(clock_.now());
  AlertOutcome out;
  const auto incident = open_incident_of(a, target, now);
  const bool firing_edit = incident && !target.edited_ts.empty() && a.status == alerting::AlertStatus::Firing;
  if (incident) {
    out.incident_id = incident->id;
    const auto runs = store_.runs_for_incident(incident->id);
    if (!runs.empty()) {
      out.run_id = runs.back().id;
    }
  }
  switch (firing_edit ? alerting::AlertStatus::Other : a.status) {
    case alerting::AlertStatus::Firing:
      return firing(a, target, incident, std::move(out), now);
    case alerting::AlertStatus::Resolved:
      return resolved(a, incident, std::move(out), now);
    case alerting::AlertStatus::Other:
      return noted(a, incident, std::move(out));
  }
  return out;
}

Result<AlertOutcome> AlertIntake::firing(const alerting::AlertNotification& a, const AlertTarget& target,
                                         const std::optional<IncidentRecord>& incident, AlertOutcome out,
                                         long long now) {
  // Snoozed from the run's root (the Snooze button): counted, but no new triage and no repeats.
  const auto snooze = store_.get_auto_triage_pause(snooze_key(a.source, a.fingerprint));
  const bool snoozed = snooze && snooze->active(now);
  if (incident) {
    out.kind = AlertOutcome::Kind::Repeat;
    out.count = store_.bump_incident_alert_count(incident->id);
    store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_repeat", a.source,
                                  a.alertname + " fired again (" + std::to_string(out.count) + "×)"});
    if (!out.run_id.empty() && !snoozed) {
      runs_.repeat(out.run_id);
    }
    return out;
  }
  if (snoozed) {
    out.message = "snoozed until " + human_time(snooze->resume_at);
    return out;
  }
  if (!target.auto_triage) {
    out.message = "auto-triage is off in this channel";
    return out;
  }
  return open_and_triage(a, target, std::move(out), now);
}

Result<AlertOutcome> AlertIntake::open_and_triage(const alerting::AlertNotification& a, const AlertTarget& target,
                                                  AlertOutcome out, long long now) {
  const auto rec = incident_record(a, target, now);
  if (auto created = store_.create_incident(rec); !created) {
    return created.error();
  }
  store_.append_incident_event(
      {0, rec.id, to_unix_ms(clock_.now()), "alert_fired", a.source,
       (a.alertname.empty() || a.alertname == rec.title ? rec.title : a.alertname + ": " + rec.title) +
           (a.severity.empty() ? "" : " [" + a.severity + "]")});
  out.incident_id = rec.id;
  auto started = runs_.start(alert_trigger(a, target, rec));
  if (!started) {
    out.kind = AlertOutcome::Kind::Refused;
    out.message = started.error().detail;
    return out;
  }
  out.kind = AlertOutcome::Kind::Started;
  out.run_id = started->run_id;
  out.count = 1;
  return out;
}

AlertOutcome AlertIntake::resolved(const alerting::AlertNotification& a, const std::optional<IncidentRecord>& incident,
                                   AlertOutcome out, long long now) {
  if (!incident) {
    out.message = "no open incident for this alert";
    return out;
  }
  store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_resolved", a.source,
                                (a.alertname.empty() ? incident->title : a.alertname) + " resolved"});
  if (store_.resolve_incident(incident->id, now)) {
    store_.append_incident_event(
        {0, incident->id, to_unix_ms(clock_.now()), "resolved", a.source, "the alert source reports it resolved"});
  }
  out.kind = AlertOutcome::Kind::Resolved;
  if (!out.run_id.empty()) {
    runs_.note(out.run_id, ":white_check_mark: " + a.source + " reports the alert resolved; incident marked resolved",
               a.source);
  }
  return out;
}

AlertOutcome AlertIntake::noted(const alerting::AlertNotification& a, const std::optional<IncidentRecord>& incident,
                                AlertOutcome out) {
  if (!incident || out.run_id.empty()) {
    out.message = "no open incident for this alert";
    return out;
  }
  out.kind = AlertOutcome::Kind::Noted;
  store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_note", a.source,
                                a.event + (a.text.empty() ? "" : ": " + a.text.substr(0, 300))});
  runs_.note(out.run_id, a.source + ": " + a.event + (a.text.empty() ? "" : " — " + a.text.substr(0, 500)), a.source);
  return out;
}

}  // namespace vigil
