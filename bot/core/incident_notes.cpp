#include "bot/core/incident_notes.h"

#include <nlohmann/json.hpp>

#include "bot/core/run_trigger.h"
#include "bot/store/store.h"

namespace vigil {
namespace {

constexpr std::size_t kMaxSummary = 600;

std::string cut(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;  // not inside a UTF-8 sequence
  }
  return text.substr(0, end) + "…";
}

std::string where(const RunRecord& run, const std::string& link) {
  if (!link.empty()) {
    return "Slack thread: " + link;
  }
  return run.channel.empty() ? std::string("in Slack") : "Slack channel " + run.channel;
}

}  // namespace

std::string slack_thread_link(const RunRecord& run) {
  if (run.channel.empty() || run.thread_ts.empty()) {
    return {};
  }
  std::string ts;
  for (const char c : run.thread_ts) {
    if (c != '.') {
      ts += c;
    }
  }
  return "https://slack.com/archives/" + run.channel + "/p" + ts;
}

std::string start_note(const RunRecord& run, const std::string& link) {
  return "Vigil started triage run " + run.id.substr(0, 8) + " (" + run.backend + ") for \"" + cut(run.text, 200) +
         "\". Progress and approvals: " + where(run, link) + ". Run id: " + run.id + ".";
}

std::string finish_note(const RunRecord& run, const ProgressEvent& event, const std::string& link) {
  std::string out = "Vigil triage run " + run.id.substr(0, 8) + " ended: " + cut(event.text, 200) + ".";
  if (!event.detail.empty()) {
    out += "\nSummary: " + cut(event.detail, kMaxSummary);
  }
  out += "\nTimeline: /triage timeline " + run.id.substr(0, 8) + " (" + where(run, link) + ").";
  return out;
}

IncidentNotes::IncidentNotes(boost::asio::any_io_executor ex, Store& store, alerting::PagingService* pagerduty,
                             alerting::PagingService* opsgenie, Logger log)
    : ex_(std::move(ex)), store_(store), pagerduty_(pagerduty), opsgenie_(opsgenie), log_(std::move(log)) {}

std::string IncidentNotes::upstream_id(const RunRecord& run, const std::string& source,
                                       const std::string& fingerprint) {
  for (const auto& e : store_.list_events(run.id)) {
    if (e.kind != "trigger") {
      continue;
    }
    const auto j = nlohmann::json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      break;
    }
    const auto trigger = RunTrigger::from_json(j);
    if (trigger.event.is_object() && trigger.event.contains("source_id") && trigger.event["source_id"].is_string()) {
      return trigger.event["source_id"].get<std::string>();
    }
    break;
  }
  // A PagerDuty webhook's fingerprint is the incident id (runs recorded before source_id existed).
  if (source == "pagerduty" && run.trigger_kind == "webhook") {
    return fingerprint;
  }
  return {};
}

bool IncidentNotes::first_start(const std::string& run_id) {
  int started = 0;
  for (const auto& e : store_.list_events(run_id)) {
    started += e.kind == "started";
  }
  return started <= 1;  // a resumed run starts again; its note was written the first time
}

void IncidentNotes::on_progress(const RunRecord& run, const ProgressEvent& event) {
  if ((event.kind != ProgressKind::Started && event.kind != ProgressKind::Finished) || run.incident_id.empty()) {
    return;
  }
  const auto incident = store_.get_incident(run.incident_id);
  if (!incident) {
    return;
  }
  alerting::PagingService* service = incident->source == "pagerduty"  ? pagerduty_
                                     : incident->source == "opsgenie" ? opsgenie_
                                                                      : nullptr;
  if (service == nullptr) {
    return;
  }
  if (event.kind == ProgressKind::Started && !first_start(run.id)) {
    return;
  }
  auto target = upstream_id(run, incident->source, incident->fingerprint);
  if (target.empty()) {
    log_->debug("run={} incident={}: no {} id to write a note to (not started by its webhook)", run.id, incident->id,
                service->name());
    return;
  }
  const auto link = slack_thread_link(run);
  Note n;
  n.run_id = run.id;
  n.service = service;
  n.target = std::move(target);
  n.text = event.kind == ProgressKind::Started ? start_note(run, link) : finish_note(run, event, link);
  queue_.push_back(std::move(n));
  if (!draining_) {
    draining_ = true;
    spawn(ex_, drain(), log_, "incident notes");
  }
}

Task<> IncidentNotes::drain() {
  while (!queue_.empty()) {
    Note n = std::move(queue_.front());
    queue_.pop_front();
    std::string target = n.target;
    std::string text = n.text;
    auto r = co_await n.service->add_note(std::move(target), std::move(text));
    if (r) {
      ++sent_;
      log_->info("run={}: note added to {} {}", n.run_id, n.service->name(), n.target);
    } else {
      ++failed_;
      log_->warn("run={}: could not add a note to {} {}: {} (the run goes on)", n.run_id, n.service->name(), n.target,
                 r.error().message());
    }
  }
  draining_ = false;
}

}  // namespace vigil
