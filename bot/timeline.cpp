#include "bot/timeline.h"

#include <ctime>
#include <sstream>

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

std::string format_time_ms(long long unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

namespace {

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out += c;
        }
      }
      out += '\'';
    }
  }
  return out;
}

}  // namespace

std::string format_run_text(Store& store, const RunRecord& run) {
  std::ostringstream out;
  out << "Run " << run.id << " — " << to_string(run.state) << "\n";
  out << "  trigger:  " << run.trigger_kind;
  if (!run.requester.empty()) {
    out << " by " << run.requester;
  }
  if (!run.channel.empty()) {
    out << " in " << run.channel;
  }
  out << "\n";
  out << "  backend:  " << run.backend << (run.skill.empty() ? "" : " (skill " + run.skill + ")")
      << "\n";
  if (!run.incident_id.empty()) {
    out << "  incident: " << run.incident_id << "\n";
  }
  if (!run.text.empty()) {
    out << "  text:     " << run.text << "\n";
  }
  out << "  created:  " << format_time(run.created_at) << "\n";
  if (run.started_at) {
    out << "  started:  " << format_time(*run.started_at) << "\n";
  }
  if (run.finished_at) {
    out << "  finished: " << format_time(*run.finished_at) << "\n";
  }
  if (run.repeat_count > 1) {
    out << "  repeats:  " << run.repeat_count << "\n";
  }
  out << "\nTimeline\n";
  for (const auto& e : store.list_events(run.id)) {
    out << "  " << format_time_ms(e.at_ms) << "  " << e.kind;
    if (!e.actor.empty()) {
      out << "  [" << e.actor << "]";
    }
    if (!e.text.empty()) {
      out << "  " << e.text;
    }
    out << "\n";
  }
  const auto steps = store.list_steps(run.id);
  if (!steps.empty()) {
    out << "\nSteps\n";
    for (const auto& s : steps) {
      out << "  #" << s.seq << " " << (s.skill.empty() ? "" : s.skill + "/") << s.step << "  "
          << to_string(s.state);
      if (s.exit_code) {
        out << "  exit " << *s.exit_code;
      }
      if (s.signal) {
        out << "  signal " << *s.signal;
      }
      if (s.mutating) {
        out << "  (mutating)";
      }
      out << "\n      $ " << join_argv(s.argv) << "\n";
    }
  }
  if (!run.summary.empty()) {
    out << "\nSummary\n" << run.summary << "\n";
  }
  if (!run.error.empty()) {
    out << "\nError: " << run.error << "\n";
  }
  return out.str();
}

std::string format_run_json(Store& store, const RunRecord& run) {
  using nlohmann::json;
  json j;
  j["id"] = run.id;
  j["state"] = std::string(to_string(run.state));
  j["incident_id"] = run.incident_id;
  j["trigger"] = {{"kind", run.trigger_kind}, {"key", run.trigger_key}, {"requester", run.requester},
                  {"channel", run.channel}, {"thread_ts", run.thread_ts}};
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
    j["audit"].push_back({{"at", format_time_ms(a.at_ms)}, {"actor", a.actor}, {"action", a.action},
                          {"detail", a.detail}});
  }
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace vigil
