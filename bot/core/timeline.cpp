#include "bot/core/timeline.h"

#include <ctime>

#include <nlohmann/json.hpp>

namespace vigil {

std::string format_time(long long unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string human_time(long long unix_seconds) {
  auto t = format_time(unix_seconds);  // 2026-11-22T03:41:00Z
  t[10] = ' ';
  return t.substr(0, 16) + " UTC";
}

std::string format_time_ms(long long unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

std::string format_run_json(Store& store, const RunRecord& run) {
  using nlohmann::json;
  json j;
  j["id"] = run.id;
  j["state"] = std::string(to_string(run.state));
  const auto result = run.shown_result();
  j["result"] = result ? json(std::string(to_string(*result))) : json(nullptr);
  j["incident_id"] = run.incident_id;
  j["trigger"] = {{"kind", run.trigger_kind},
                  {"key", run.trigger_key},
                  {"requester", run.requester},
                  {"channel", run.channel},
                  {"thread_ts", run.thread_ts}};
  j["text"] = run.text;
  j["backend"] = run.backend;
  j["skill"] = run.skill;
  j["created_at"] = format_time(run.created_at);
  j["started_at"] = run.started_at ? json(format_time(*run.started_at)) : json(nullptr);
  j["finished_at"] = run.finished_at ? json(format_time(*run.finished_at)) : json(nullptr);
  j["summary"] = run.summary;
  j["error"] = run.error;
  j["repeat_count"] = run.repeat_count;
  j["events"] = json::array();
  for (const auto& e : store.list_events(run.id)) {
    json ev = {{"at", format_time_ms(e.at_ms)}, {"kind", e.kind}, {"actor", e.actor}, {"text", e.text}};
    if (!e.data.empty()) {
      auto data = json::parse(e.data, nullptr, false);
      ev["data"] = data.is_discarded() ? json(e.data) : data;
    }
    j["events"].push_back(std::move(ev));
  }
  j["steps"] = json::array();
  for (const auto& s : store.list_steps(run.id)) {
    j["steps"].push_back({{"seq", s.seq},
                          {"skill", s.skill},
                          {"step", s.step},
                          {"argv", s.argv},
                          {"argv_hash", s.argv_hash},
                          {"mutating", s.mutating},
                          {"state", std::string(to_string(s.state))},
                          {"exit_code", s.exit_code ? json(*s.exit_code) : json(nullptr)},
                          {"signal", s.signal ? json(*s.signal) : json(nullptr)},
                          {"output_truncated", s.output_truncated}});
  }
  j["audit"] = json::array();
  for (const auto& a : store.list_audit(run.id)) {
    j["audit"].push_back(
        {{"at", format_time_ms(a.at_ms)}, {"actor", a.actor}, {"action", a.action}, {"detail", a.detail}});
  }
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace vigil
