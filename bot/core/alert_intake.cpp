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

AlertIntake::AlertIntake(Store& store, RunManager& runs, Clock& clock, std::chrono::seconds window)
    : store_(store), runs_(runs), clock_(clock), window_(window) {}

Result<AlertOutcome> AlertIntake::intake(const alerting::AlertNotification& a, const AlertTarget& target) {
  const long long now = to_unix(clock_.now());
  AlertOutcome out;
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
  const bool firing_edit = incident && !target.edited_ts.empty() && a.status == alerting::AlertStatus::Firing;
  std::string run_id;
  if (incident) {
    out.incident_id = incident->id;
    const auto runs = store_.runs_for_incident(incident->id);
    if (!runs.empty()) {
      run_id = runs.back().id;
    }
  }
  out.run_id = run_id;
  switch (firing_edit ? alerting::AlertStatus::Other : a.status) {
    case alerting::AlertStatus::Firing: {
      // Snoozed from the run's root (the Snooze button): counted, but no new triage and no repeats.
      const auto snooze = store_.get_auto_triage_pause(snooze_key(a.source, a.fingerprint));
      const bool snoozed = snooze && snooze->active(now);
      if (incident) {
        out.kind = AlertOutcome::Kind::Repeat;
        out.count = store_.bump_incident_alert_count(incident->id);
        store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_repeat", a.source,
                                      a.alertname + " fired again (" + std::to_string(out.count) + "×)"});
        if (!run_id.empty() && !snoozed) {
          runs_.repeat(run_id);
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
      if (auto created = store_.create_incident(rec); !created) {
        return created.error();
      }
      store_.append_incident_event({0, rec.id, to_unix_ms(clock_.now()), "alert_fired", a.source,
                                    (a.alertname.empty() || a.alertname == rec.title ? rec.title : a.alertname + ": " + rec.title) +
                                        (a.severity.empty() ? "" : " [" + a.severity + "]")});
      RunTrigger t;
      t.kind = target.thread_ts.empty() ? "webhook" : "alert";
      t.key = "alert:" + rec.id;
      t.requester = a.source;
      t.text = rec.title;
      t.channel = target.channel;
      t.thread_ts = target.thread_ts;
      t.backend = target.backend;
      t.incident = incident_from_alert(a);
      if (!target.labels_note.empty()) {
        t.incident.labels_note = target.labels_note;
      }
      t.incident.id = rec.id;
      t.incident.title = rec.title;
      t.incident_id = rec.id;
      t.event = {{"source", a.source}, {"event", a.event}, {"fingerprint", a.fingerprint},
                 {"delivery", target.event_id}, {"url", a.url}, {"annotations", a.annotations}};
      if (!a.source_id.empty()) {
        t.event["source_id"] = a.source_id;  // incident notes write to it
      }
      t.automatic = true;
      out.incident_id = rec.id;
      auto started = runs_.start(std::move(t));
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
    case alerting::AlertStatus::Resolved:
      if (!incident) {
        out.message = "no open incident for this alert";
        return out;
      }
      store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_resolved", a.source,
                                    (a.alertname.empty() ? incident->title : a.alertname) + " resolved"});
      if (store_.resolve_incident(incident->id, now)) {
        store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "resolved", a.source, "the alert source reports it resolved"});
      }
      out.kind = AlertOutcome::Kind::Resolved;
      if (!run_id.empty()) {
        runs_.note(run_id, ":white_check_mark: " + a.source + " reports the alert resolved; incident marked resolved",
                   a.source);
      }
      return out;
    case alerting::AlertStatus::Other:
      if (!incident || run_id.empty()) {
        out.message = "no open incident for this alert";
        return out;
      }
      out.kind = AlertOutcome::Kind::Noted;
      store_.append_incident_event({0, incident->id, to_unix_ms(clock_.now()), "alert_note", a.source,
                                    a.event + (a.text.empty() ? "" : ": " + a.text.substr(0, 300))});
      runs_.note(run_id, a.source + ": " + a.event + (a.text.empty() ? "" : " — " + a.text.substr(0, 500)), a.source);
      return out;
  }
  return out;
}

}  // namespace vigil
