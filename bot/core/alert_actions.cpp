#include "bot/core/alert_actions.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/core/run_manager.h"
#include "bot/core/run_trigger.h"
#include "bot/store/store.h"
#include "bot/core/timeline.h"

namespace vigil {
namespace {

constexpr std::size_t kMaxLink = 2000;

std::string mention(const std::string& user) {
  return slack::blocks::is_user_id(user) ? "<@" + user + ">" : slack::blocks::escape(user);
}

std::string string_at(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

AlertClickOutcome refused(const std::string& message, const std::string& run_id) {
  AlertClickOutcome out;
  out.message = message;
  out.run_id = run_id;
  return out;
}

AlertClickOutcome done(const std::string& run_id) {
  AlertClickOutcome out;
  out.done = true;
  out.run_id = run_id;
  return out;
}

}  // namespace

std::string_view to_string(AlertAction a) {
  switch (a) {
    case AlertAction::Acknowledge:
      return "acknowledge";
    case AlertAction::Silence:
      return "silence";
    case AlertAction::Snooze:
      return "snooze";
    case AlertAction::Resolve:
      return "resolve";
    case AlertAction::OpenSource:
      return "open_source";
  }
  return "unknown";
}

std::optional<AlertAction> parse_alert_action(std::string_view id) {
  if (id == slack::blocks::kActionAlertAck)
    return AlertAction::Acknowledge;
  if (id == slack::blocks::kActionAlertSilence)
    return AlertAction::Silence;
  if (id == slack::blocks::kActionAlertSnooze)
    return AlertAction::Snooze;
  if (id == slack::blocks::kActionAlertResolve)
    return AlertAction::Resolve;
  if (id == slack::blocks::kActionAlertSource)
    return AlertAction::OpenSource;
  return std::nullopt;
}

std::optional<AlertSource> alert_source_of(const RunRecord& run, const std::vector<RunEvent>& events) {
  if ((run.trigger_kind != "alert" && run.trigger_kind != "webhook") || run.incident_id.empty()) {
    return std::nullopt;
  }
  AlertSource out;
  for (const auto& e : events) {
    if (e.kind != "trigger") {
      continue;
    }
    const auto j = nlohmann::json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      break;
    }
    const auto t = RunTrigger::from_json(j);
    out.source = t.incident.source;
    out.fingerprint = t.incident.fingerprint;
    out.labels = t.incident.labels;
    if (out.source.empty()) {
      out.source = string_at(t.event, "source");
    }
    out.url = string_at(t.event, "url");
    out.source_id = string_at(t.event, "source_id");
    break;
  }
  return out;
}

bool is_web_link(std::string_view url) {
  if (url.size() > kMaxLink) {
    return false;
  }
  std::string lower;
  for (const char c : url.substr(0, 8)) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::size_t scheme = lower.rfind("https://", 0) == 0 ? 8 : lower.rfind("http://", 0) == 0 ? 7 : 0;
  if (scheme == 0 || url.size() <= scheme || url[scheme] == '/') {
    return false;  // no host
  }
  return std::none_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '|' || c == '"';
  });
}

std::string source_display_name(const std::string& source) {
  static const std::map<std::string, std::string> names = {
      {"alertmanager", "Alertmanager"}, {"grafana", "Grafana"}, {"pagerduty", "PagerDuty"}, {"opsgenie", "OpsGenie"}};
  const auto it = names.find(source);
  return it == names.end() ? std::string("source") : it->second;
}

std::string snooze_key(const std::string& source, const std::string& fingerprint) {
  return "alert:" + source + ":" + fingerprint;
}

AlertActionState alert_action_state(const IncidentRecord& incident, const std::vector<IncidentEvent>& events) {
  AlertActionState s;
  const long long quiet = std::chrono::duration_cast<std::chrono::seconds>(kAlertQuietFor).count();
  for (const auto& e : events) {
    if (e.kind == "acknowledged") {
      s.acknowledged_by = e.actor;
    } else if (e.kind == "silenced") {
      s.silenced_by = e.actor;
      s.silence_note = e.text;
      s.silenced_until = e.at_ms / 1000 + quiet;
    } else if (e.kind == "snoozed") {
      s.snoozed_by = e.actor;
      s.snoozed_until = e.at_ms / 1000 + quiet;
    } else if (e.kind == "resolved") {
      s.resolved_by = e.actor;
    } else if (e.kind == "reopened") {
      s.resolved_by.clear();
    }
  }
  s.resolved = incident.state == "resolved";
  return s;
}

slack::blocks::AlertActionsView alert_actions_view(const RunRecord& run, const AlertSource& alert,
                                                   const AlertActionState& state, bool can_silence, long long now) {
  slack::blocks::AlertActionsView v;
  v.token = run.id;
  const bool open = !state.resolved;
  const bool silenced = state.silenced_until > now;
  const bool snoozed = state.snoozed_until > now;
  const bool silenceable = can_silence && alert.source == "alertmanager" && !alert.labels.empty();
  v.acknowledge = open && state.acknowledged_by.empty();
  v.silence = open && silenceable && !silenced;
  v.snooze = open && !silenceable && !snoozed;
  v.resolve = open;
  if (is_web_link(alert.url)) {
    v.source_url = alert.url;
    v.source_name = source_display_name(alert.source);
  }
  if (!state.acknowledged_by.empty()) {
    v.status.push_back(":eyes: Acknowledged by " + mention(state.acknowledged_by));
  }
  if (silenced) {
    v.status.push_back(":no_bell: Silenced in Alertmanager by " + mention(state.silenced_by) + ": " +
                       slack::blocks::escape(state.silence_note));
  }
  if (snoozed) {
    v.status.push_back(":zzz: Snoozed by " + mention(state.snoozed_by) + " until " + human_time(state.snoozed_until));
  }
  if (state.resolved) {
    v.status.push_back(":white_check_mark: Incident resolved" +
                       (state.resolved_by.empty() ? std::string() : " by " + mention(state.resolved_by)));
  }
  return v;
}

std::string alert_click_refusal(AlertAction action, const RunRecord& run, const std::string& click_channel,
                                bool is_approver) {
  if (!run.channel.empty() && click_channel != run.channel) {
    return "This button belongs to a run in another channel; nothing was done.";
  }
  if (action == AlertAction::Silence && !is_approver) {
    return "Silencing in Alertmanager mutes the alert for everyone, so it takes an approver; nothing was done. "
           "Snooze or acknowledge it instead, or ask an approver.";
  }
  return {};
}

AlertActions::AlertActions(Store& store, RunManager& runs, Clock& clock, const Redactor& redactor, Peers peers,
                           Logger log)
    : store_(store), runs_(runs), clock_(clock), redactor_(redactor), peers_(peers), log_(std::move(log)) {}

void AlertActions::audit(const std::string& actor, const std::string& action, const std::string& run_id,
                         const std::string& detail) {
  store_.append_audit({0, to_unix_ms(clock_.now()), actor, action, run_id, "", redactor_.redact(detail)});
}

std::optional<slack::blocks::AlertActionsView> AlertActions::root_view(const RunRecord& run) {
  std::optional<slack::blocks::AlertActionsView> out;
  if ((run.trigger_kind != "alert" && run.trigger_kind != "webhook") || run.incident_id.empty()) {
    return out;
  }
  auto cached = sources_.find(run.id);
  if (cached == sources_.end()) {
    constexpr std::size_t kMaxCached = 1000;
    if (sources_.size() >= kMaxCached) {
      sources_.clear();
    }
    cached = sources_.emplace(run.id, alert_source_of(run, store_.list_events(run.id))).first;
  }
  const auto& alert = cached->second;
  if (!alert) {
    return out;
  }
  const auto incident = store_.get_incident(run.incident_id);
  if (!incident) {
    return out;
  }
  const auto state = alert_action_state(*incident, store_.list_incident_events(incident->id));
  out = alert_actions_view(run, *alert, state, peers_.alertmanager != nullptr, to_unix(clock_.now()));
  return out;
}

Task<AlertClickOutcome> AlertActions::click(AlertClick c) {
  const auto action_name = "alert." + std::string(to_string(c.action));
  const auto run = store_.get_run(c.run_id.substr(0, 64));
  const auto alert = run ? alert_source_of(*run, store_.list_events(run->id)) : std::nullopt;
  const auto incident = alert ? store_.get_incident(run->incident_id) : std::nullopt;
  if (!incident) {
    audit(c.user, action_name + "_refused", "", "not a run started by an alert: " + c.run_id.substr(0, 64));
    const auto out = refused("That alert is not known to Vigil; nothing was done.", "");
    co_return out;
  }
  if (c.action == AlertAction::OpenSource) {
    audit(c.user, "alert.source_opened", run->id, alert->url.substr(0, 300));
    const auto out = done(run->id);
    co_return out;
  }
  if (const auto why = alert_click_refusal(c.action, *run, c.channel, c.is_approver); !why.empty()) {
    audit(c.user, action_name + "_refused", run->id, why);
    const auto out = refused(why, run->id);
    co_return out;
  }
  if (in_flight_.count(incident->id)) {
    audit(c.user, action_name + "_refused", run->id, "another alert action is on its way");
    const auto out = refused("Another click on this alert is still being handled; try again in a moment.", run->id);
    co_return out;
  }
  const auto state = alert_action_state(*incident, store_.list_incident_events(incident->id));
  switch (c.action) {
    case AlertAction::Acknowledge: {
      in_flight_.insert(incident->id);
      auto out = co_await acknowledge(c, *run, *incident, *alert, state);
      in_flight_.erase(incident->id);
      co_return out;
    }
    case AlertAction::Silence: {
      in_flight_.insert(incident->id);
      auto out = co_await silence(c, *run, *incident, *alert, state);
      in_flight_.erase(incident->id);
      co_return out;
    }
    case AlertAction::Snooze: {
      const auto out = snooze(c, *run, *incident, state);
      co_return out;
    }
    case AlertAction::Resolve: {
      const auto out = resolve(c, *run, *incident);
      co_return out;
    }
    case AlertAction::OpenSource:
      break;
  }
  const auto out = refused("Unknown action; nothing was done.", run->id);
  co_return out;
}

Task<AlertClickOutcome> AlertActions::acknowledge(const AlertClick& c, const RunRecord& run,
                                                  const IncidentRecord& incident, const AlertSource& alert,
                                                  const AlertActionState& state) {
  if (!state.acknowledged_by.empty()) {
    audit(c.user, "alert.acknowledge_repeat", run.id, "already acknowledged by " + state.acknowledged_by);
    const auto out =
        refused("Already acknowledged by " + mention(state.acknowledged_by) + "; nothing changed.", run.id);
    co_return out;
  }
  store_.append_incident_event(
      {0, incident.id, to_unix_ms(clock_.now()), "acknowledged", c.user, "acknowledged in Slack"});
  audit(c.user, "alert.acknowledged", run.id, "incident " + incident.id);
  runs_.note(run.id, "acknowledged by <@" + c.user + ">", c.user);
  alerting::PagingService* upstream = alert.source == "pagerduty"  ? peers_.pagerduty
                                      : alert.source == "opsgenie" ? peers_.opsgenie
                                                                   : nullptr;
  if (upstream != nullptr && !alert.source_id.empty()) {
    const auto service = std::string(upstream->name());
    std::string id = alert.source_id;
    std::string note = "Acknowledged in Slack by " +
                       (c.user_name.empty() ? c.user : c.user_name + " (" + c.user + ")") +
                       " through Vigil (incident " + incident.id.substr(0, 8) + ").";
    auto acked = co_await upstream->acknowledge(std::move(id), std::move(note));
    if (acked) {
      audit(c.user, "alert.acknowledged_upstream", run.id, service + " " + alert.source_id);
      runs_.note(run.id, "acknowledged in " + service + " too", c.user);
    } else {
      audit(c.user, "alert.acknowledge_upstream_failed", run.id, service + ": " + acked.error().message());
      runs_.note(run.id,
                 ":warning: could not acknowledge in " + service + ": " + acked.error().message() +
                     " (acknowledged in Vigil only)",
                 c.user);
      log_->warn("run={} incident={}: {} acknowledge failed: {}", run.id, incident.id, service,
                 acked.error().message());
    }
  }
  const auto out = done(run.id);
  co_return out;
}

Task<AlertClickOutcome> AlertActions::silence(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident,
                                              const AlertSource& alert, const AlertActionState& state) {
  const long long now = to_unix(clock_.now());
  if (state.silenced_until > now) {
    audit(c.user, "alert.silence_repeat", run.id, "already silenced by " + state.silenced_by);
    const auto out = refused(
        "Already silenced by " + mention(state.silenced_by) + ": " + slack::blocks::escape(state.silence_note) + ".",
        run.id);
    co_return out;
  }
  if (peers_.alertmanager == nullptr || alert.source != "alertmanager") {
    audit(c.user, "alert.silence_refused", run.id, "no Alertmanager API configured for this alert");
    const auto out = refused(
        "Vigil cannot silence this alert: set alertmanager.url to Alertmanager's address. "
        "Snooze stops Vigil's own triage meanwhile.",
        run.id);
    co_return out;
  }
  alertmanager::SilenceRequest request;
  request.matchers = alertmanager::matchers_for(alert.labels);
  request.starts_at = now;
  request.ends_at = now + std::chrono::duration_cast<std::chrono::seconds>(kAlertQuietFor).count();
  request.created_by = (c.user_name.empty() ? c.user : c.user_name + " (" + c.user + ")") + " via Vigil";
  request.comment = "Silenced from Slack for 1h: Vigil incident " + incident.id.substr(0, 8) + " (" +
                    incident.title.substr(0, 200) + ")";
  auto created = co_await peers_.alertmanager->create_silence(std::move(request));
  if (!created) {
    audit(c.user, "alert.silence_failed", run.id, created.error().message());
    runs_.note(run.id, ":warning: could not silence in Alertmanager: " + created.error().message(), c.user);
    const auto out =
        refused("Alertmanager did not take the silence: " + slack::blocks::escape(created.error().message()), run.id);
    co_return out;
  }
  const auto until = human_time(now + std::chrono::duration_cast<std::chrono::seconds>(kAlertQuietFor).count());
  const auto note = "silence " + *created + " until " + until;
  store_.append_incident_event({0, incident.id, to_unix_ms(clock_.now()), "silenced", c.user, note});
  audit(c.user, "alert.silenced", run.id, "Alertmanager " + note);
  runs_.note(run.id,
             ":no_bell: silenced in Alertmanager by <@" + c.user + "> until " + until + " (silence " + *created + ")",
             c.user);
  const auto out = done(run.id);
  co_return out;
}

AlertClickOutcome AlertActions::snooze(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident,
                                       const AlertActionState& state) {
  const long long now = to_unix(clock_.now());
  const auto key = snooze_key(incident.source, incident.fingerprint);
  if (const auto p = store_.get_auto_triage_pause(key); p && p->active(now)) {
    audit(c.user, "alert.snooze_repeat", run.id, "already snoozed until " + human_time(p->resume_at));
    return refused(
        "Already snoozed by " + mention(state.snoozed_by) + " until " + human_time(p->resume_at) + "; nothing changed.",
        run.id);
  }
  AutoTriagePause p;
  p.key = key;
  p.paused_at = now;
  p.resume_at = now + std::chrono::duration_cast<std::chrono::seconds>(kAlertQuietFor).count();
  p.reason = "snoozed by " + c.user;
  store_.pause_auto_triage(p);
  const auto until = human_time(p.resume_at);
  store_.append_incident_event({0, incident.id, to_unix_ms(clock_.now()), "snoozed", c.user, "snoozed until " + until});
  audit(c.user, "alert.snoozed", run.id, "fingerprint " + incident.fingerprint.substr(0, 200) + " until " + until);
  runs_.note(run.id,
             ":zzz: snoozed by <@" + c.user + "> until " + until +
                 ": Vigil starts no triage and posts no repeats for this alert until then",
             c.user);
  return done(run.id);
}

AlertClickOutcome AlertActions::resolve(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident) {
  const long long now = to_unix(clock_.now());
  if (!store_.resolve_incident(incident.id, now)) {
    audit(c.user, "alert.resolve_repeat", run.id, "incident already resolved");
    return refused("The incident is already resolved; nothing changed.", run.id);
  }
  store_.append_incident_event(
      {0, incident.id, to_unix_ms(clock_.now()), "resolved", c.user, "resolved with the Resolve button"});
  audit(c.user, "incident.resolved", run.id, incident.id);
  runs_.note(run.id, ":white_check_mark: incident resolved by <@" + c.user + ">", c.user);
  return done(run.id);
}

}  // namespace vigil
