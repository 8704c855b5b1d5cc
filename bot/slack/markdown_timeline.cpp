#include "bot/slack/markdown_timeline.h"

#include <algorithm>
#include <map>
#include <cstdio>
#include <sstream>

#include "bot/core/timeline.h"
#include "integrations/slack/blocks.h"

namespace vigil {
namespace {

constexpr std::size_t kMaxCell = 300;

/// One table cell: no newlines, no pipes that would split the row, no backticks, bounded.
std::string cell(std::string_view text, std::size_t limit = kMaxCell) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + 8);
  std::size_t visible = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (visible >= limit) {
      out += "…";
      break;
    }
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') {
        out += ' ';
      }
    } else if (c == '|') {
      out += "\\|";
    } else if (c == '`') {
      out += '\'';
    } else {
      out += c;
    }
    ++visible;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

std::string code(std::string_view text, std::size_t limit = kMaxCell) {
  return "`" + cell(text, limit) + "`";
}

std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

/// A row time: "2026-11-22 03:04:05".
std::string row_time(long long unix_ms) {
  auto t = format_time(unix_ms / 1000);  // 2026-11-22T03:04:05Z
  t[10] = ' ';
  t.pop_back();
  return t;
}

struct Row {
  long long at_ms = 0;
  std::int64_t order = 0;  // ties keep insertion order
  std::string what;
  std::string who;
  std::string detail;
};

/// People-facing names of run timeline kinds; kinds not listed are internal detail (agent
/// thinking, raw tool output, state bookkeeping) and stay out of the Markdown.
const std::map<std::string, std::string>& run_kind_labels() {
  static const std::map<std::string, std::string> labels = {
      {"trigger", "Triggered"},
      {"queued", "Queued"},
      {"started", "Started"},
      {"tool_call", "Tool call"},
      {"finding", "Finding"},
      {"diagnosis", "Diagnosis"},
      {"proposal", "Proposal"},
      {"proposal_rejected", "Proposal refused"},
      {"step_started", "Step started"},
      {"step_finished", "Step finished"},
      {"waiting_for_approval", "Approval requested"},
      {"approval_requested", "Approval requested"},
      {"approval_approved", "Approved"},
      {"approval_denied", "Denied"},
      {"approval_expired", "Approval expired"},
      {"approval_cancelled", "Approval cancelled"},
      {"verified", "Verified"},
      {"not_verified", "Not verified"},
      {"rollback_offered", "Rollback offered"},
      {"skill_refused", "Runbook refused"},
      {"decision", "Approval decision"},
      {"note", "Note"},
      {"follow_up", "Follow-up"},
      {"repeat", "Alert repeated"},
      {"auto_triage_paused", "Automatic triage paused"},
      {"finished", "Finished"},
  };
  return labels;
}

const std::map<std::string, std::string>& incident_kind_labels() {
  static const std::map<std::string, std::string> labels = {
      {"declared", "Incident declared"},
      {"alert_fired", "Alert fired"},
      {"alert_repeat", "Alert repeated"},
      {"alert_resolved", "Alert resolved"},
      {"alert_note", "Alert update"},
      {"channel_created", "Channel created"},
      {"resolved", "Incident resolved"},
      {"severity", "Severity changed"},
      {"acknowledged", "Acknowledged"},
      {"silenced", "Silenced in Alertmanager"},
      {"snoozed", "Snoozed"},
  };
  return labels;
}

bool is_user_id(const std::string& actor) {
  return actor.size() > 1 && (actor[0] == 'U' || actor[0] == 'W') &&
         std::all_of(actor.begin() + 1, actor.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

std::string person(const PeopleNames& names, const std::string& id) {
  if (const auto it = names.find(id); it != names.end()) {
    return "@" + cell(it->second, 64) + " (" + id + ")";
  }
  return "@" + id;
}

std::string who(const PeopleNames& names, const std::string& actor) {
  if (actor.empty()) {
    return "";
  }
  if (is_user_id(actor)) {
    return person(names, actor);
  }
  return cell(actor, 64);
}

// A cell of text from the timeline with every known person named: "denied by @alex (U0DEMOALEX)".
std::string named(const PeopleNames& names, std::string_view text, std::size_t limit = kMaxCell) {
  std::string out = cell(text, limit);
  for (const auto& [id, name] : names) {
    (void)name;
    std::string replaced;
    std::size_t from = 0;
    for (auto at = out.find(id); at != std::string::npos; at = out.find(id, at + id.size())) {
      const bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(out[at - 1]));
      const bool ends = at + id.size() == out.size() || !std::isalnum(static_cast<unsigned char>(out[at + id.size()]));
      if (!starts || !ends) {
        continue;
      }
      // "<@U…>" and "@U…" become the name too.
      std::size_t begin = at;
      std::size_t end = at + id.size();
      if (begin >= 2 && out.compare(begin - 2, 2, "<@") == 0 && end < out.size() && out[end] == '>') {
        begin -= 2;
        ++end;
      } else if (begin >= 1 && out[begin - 1] == '@') {
        --begin;
      }
      replaced += out.substr(from, begin - from) + person(names, id);
      from = end;
    }
    if (from > 0) {
      out = replaced + out.substr(from);
    }
  }
  return out;
}

std::string trigger_detail(const RunRecord& run, const RunEvent& e) {
  std::string d = e.text.empty() ? run.trigger_kind : e.text;
  if (!run.text.empty()) {
    d += ": " + run.text;
  }
  return d;
}

void add_run_rows(Store& store, const RunRecord& run, const std::string& prefix, std::vector<Row>& rows,
                  const PeopleNames& names) {
  const auto& labels = run_kind_labels();
  for (const auto& e : store.list_events(run.id)) {
    const auto it = labels.find(e.kind);
    if (it == labels.end()) {
      continue;
    }
    Row r;
    r.at_ms = e.at_ms;
    r.order = static_cast<std::int64_t>(rows.size());
    r.what = prefix + it->second;
    r.who = who(names, e.actor);
    r.detail = named(names, e.kind == "trigger" ? trigger_detail(run, e) : e.text);
    rows.push_back(std::move(r));
  }
}

void write_rows(std::ostringstream& out, std::vector<Row> rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.order < b.order;
  });
  out << "| Time (UTC) | Event | Who | Detail |\n|---|---|---|---|\n";
  for (const auto& r : rows) {
    out << "| " << row_time(r.at_ms) << " | " << r.what << " | " << r.who << " | " << r.detail << " |\n";
  }
  if (rows.empty()) {
    out << "| | (nothing recorded) | | |\n";
  }
}

std::string approvers_text(const ApprovalRecord& a, const PeopleNames& names) {
  if (a.decided_by.empty()) {
    return "";
  }
  std::string out;
  std::stringstream in(a.decided_by);
  std::string one;
  while (std::getline(in, one, ',')) {
    if (!out.empty()) {
      out += ", ";
    }
    out += who(names, one);
  }
  return out;
}

/// The approvals of these runs as a table; empty when none was asked.
std::string approvals_section(Store& store, const std::vector<RunRecord>& runs, bool with_run,
                              const PeopleNames& names) {
  std::ostringstream out;
  int n = 0;
  for (const auto& run : runs) {
    for (const auto& a : store.list_approvals(run.id)) {
      if (n++ == 0) {
        out << "\n## Approvals\n\n";
        out << (with_run ? "| Run " : "") << "| Step | Risk | Asked | By | Decision | Decided by | At | Reason |\n"
            << (with_run ? "|---" : "") << "|---|---|---|---|---|---|---|---|\n";
      }
      std::string step;
      if (a.step_id) {
        if (const auto s = store.get_step(*a.step_id)) {
          step = (s->skill.empty() ? "" : s->skill + "/") + s->step;
        }
      }
      if (with_run) {
        out << "| `" << short_id(run.id) << "` ";
      }
      out << "| " << cell(step, 80) << " | " << cell(a.risk, 16) << " | " << row_time(a.created_at * 1000) << " | "
          << who(names, a.requester) << " | " << to_string(a.state) << " | " << approvers_text(a, names) << " | "
          << (a.decided_at ? row_time(*a.decided_at * 1000) : "") << " | " << named(names, a.reason, 200) << " |\n";
    }
  }
  return out.str();
}

std::string step_result(const StepRecord& s) {
  std::string r(to_string(s.state));
  if (s.exit_code) {
    r += ", exit " + std::to_string(*s.exit_code);
  }
  if (s.signal) {
    r += ", signal " + std::to_string(*s.signal);
  }
  if (s.started_at && s.finished_at) {
    r += ", " + format_duration(std::max<long long>(0, *s.finished_at - *s.started_at));
  }
  return r;
}

/// Diagnostics and actions (steps that change something) of these runs; empty when none ran.
std::string steps_section(Store& store, const std::vector<RunRecord>& runs, bool with_run) {
  std::ostringstream diagnostics;
  std::ostringstream actions;
  int nd = 0;
  int na = 0;
  const std::string head = std::string(with_run ? "| Run " : "") + "| # | Step | Command | Result | At |\n" +
                           (with_run ? "|---" : "") + "|---|---|---|---|---|\n";
  for (const auto& run : runs) {
    for (const auto& s : store.list_steps(run.id)) {
      auto& out = s.mutating ? actions : diagnostics;
      if ((s.mutating ? na++ : nd++) == 0) {
        out << head;
      }
      if (with_run) {
        out << "| `" << short_id(run.id) << "` ";
      }
      out << "| " << s.seq << " | " << cell((s.skill.empty() ? "" : s.skill + "/") + s.step, 80) << " | "
          << code(slack::blocks::display_argv(s.argv), 400) << " | " << step_result(s) << " | "
          << (s.started_at ? row_time(*s.started_at * 1000) : "") << " |\n";
    }
  }
  std::string out;
  if (na > 0) {
    out += "\n## Actions\n\n" + actions.str();
  }
  if (nd > 0) {
    out += "\n## Diagnostics\n\n" + diagnostics.str();
  }
  return out;
}

std::string outcome_of(const RunRecord& run) {
  std::string out = "**" + run.shown_status() + "**";
  if (run.started_at && run.finished_at) {
    out += " after " + format_duration(std::max<long long>(0, *run.finished_at - *run.started_at));
  }
  return out;
}

}  // namespace

std::string format_duration(long long seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  const long long d = seconds / 86400;
  const long long h = (seconds % 86400) / 3600;
  const long long m = (seconds % 3600) / 60;
  const long long s = seconds % 60;
  if (d > 0) {
    return std::to_string(d) + "d " + std::to_string(h) + "h";
  }
  if (h > 0) {
    return std::to_string(h) + "h " + std::to_string(m) + "m";
  }
  if (m > 0) {
    return std::to_string(m) + "m " + std::to_string(s) + "s";
  }
  return std::to_string(s) + "s";
}

std::set<std::string> people_in_run(Store& store, const RunRecord& run) {
  std::set<std::string> ids;
  auto add = [&](const std::string& text) {
    if (is_user_id(text)) {
      ids.insert(text);
    }
    for (auto& id : user_ids_in(text)) {
      ids.insert(std::move(id));
    }
  };
  add(run.requester);
  add(run.error);
  for (const auto& e : store.list_events(run.id)) {
    add(e.actor);
    add(e.text);
  }
  for (const auto& a : store.list_approvals(run.id)) {
    add(a.requester);
    std::stringstream in(a.decided_by);
    for (std::string one; std::getline(in, one, ',');) {
      add(one);
    }
    add(a.reason);
  }
  return ids;
}

std::set<std::string> people_in_incident(Store& store, const IncidentRecord& incident) {
  std::set<std::string> ids;
  if (is_user_id(incident.declared_by)) {
    ids.insert(incident.declared_by);
  }
  for (const auto& e : store.list_incident_events(incident.id)) {
    if (is_user_id(e.actor)) {
      ids.insert(e.actor);
    }
    ids.merge(user_ids_in(e.text));
  }
  for (const auto& run : store.runs_for_incident(incident.id)) {
    ids.merge(people_in_run(store, run));
  }
  return ids;
}

namespace {

// "45,012" (built forwards: g++ 12 warns falsely about string::insert here).
std::string thousands(long long n) {
  const auto digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string format_agent_usage(const AgentUsageTotals& u) {
  if (u.turns == 0) {
    return {};
  }
  std::ostringstream out;
  out << "**Agent usage:** " << u.runs << (u.runs == 1 ? " run, " : " runs, ") << u.turns
      << (u.turns == 1 ? " turn, " : " turns, ") << format_duration((u.duration_ms + 500) / 1000);
  if (u.input_tokens || u.output_tokens) {
    out << "; " << thousands(u.input_tokens.value_or(0)) << " tokens in, " << thousands(u.output_tokens.value_or(0))
        << " out";
  } else {
    out << "; tokens not reported";
  }
  if (u.cost_usd) {
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.4f", *u.cost_usd);
    out << "; $" << cost;
  }
  out << " (as the agent CLIs reported)\n";
  return out.str();
}

std::string format_run_markdown(Store& store, const RunRecord& run, const PeopleNames& names) {
  std::ostringstream out;
  out << "# Run " << short_id(run.id) << " — " << run.shown_status() << "\n\n";
  out << "| | |\n|---|---|\n";
  out << "| Run | `" << run.id << "` |\n";
  if (!run.incident_id.empty()) {
    const auto incident = store.get_incident(run.incident_id);
    out << "| Incident | " << (incident ? cell(incident->title, 200) + " " : std::string()) << "`"
        << short_id(run.incident_id) << "` |\n";
  }
  out << "| Trigger | " << cell(run.trigger_kind, 32);
  if (!run.requester.empty()) {
    out << " by " << who(names, run.requester);
  }
  out << " |\n";
  if (!run.text.empty()) {
    out << "| Request | " << cell(run.text) << " |\n";
  }
  out << "| Backend | " << cell(run.backend, 32)
      << (run.skill.empty() ? "" : " (runbook `" + cell(run.skill, 64) + "`)") << " |\n";
  out << "| Created | " << row_time(run.created_at * 1000) << " |\n";
  if (run.started_at) {
    out << "| Started | " << row_time(*run.started_at * 1000) << " |\n";
  }
  if (run.finished_at) {
    out << "| Finished | " << row_time(*run.finished_at * 1000) << " |\n";
  }
  if (run.repeat_count > 1) {
    out << "| Alert seen | " << run.repeat_count << " times |\n";
  }
  out << "| Outcome | " << outcome_of(run) << " |\n";
  out << "\n## Timeline\n\n";
  std::vector<Row> rows;
  add_run_rows(store, run, "", rows, names);
  write_rows(out, std::move(rows));
  const std::vector<RunRecord> runs{run};
  out << approvals_section(store, runs, false, names);
  out << steps_section(store, runs, false);
  out << "\n## Outcome\n\n" << outcome_of(run) << "\n";
  if (!run.summary.empty()) {
    out << "\n" << run.summary << "\n";
  }
  if (!run.error.empty()) {
    out << "\n**Error:** " << named(names, run.error, 2000) << "\n";
  }
  if (const auto usage = format_agent_usage(store.agent_usage_for_run(run.id)); !usage.empty()) {
    out << "\n" << usage;
  }
  return out.str();
}

std::string format_incident_markdown(Store& store, const IncidentRecord& incident, const PeopleNames& names) {
  const auto runs = store.runs_for_incident(incident.id);
  std::ostringstream out;
  out << "# Incident: " << cell(incident.title, 200) << "\n\n";
  out << "| | |\n|---|---|\n";
  out << "| Incident | `" << incident.id << "` |\n";
  out << "| State | **" << cell(incident.state, 16) << "** |\n";
  if (!incident.severity.empty()) {
    out << "| Severity | " << cell(incident.severity, 32) << " |\n";
  }
  out << "| Source | " << cell(incident.source, 32);
  if (!incident.declared_by.empty() && incident.declared_by != incident.source) {
    out << ", declared by " << who(names, incident.declared_by);
  }
  out << " |\n";
  out << "| Opened | " << row_time(incident.created_at * 1000) << " |\n";
  if (incident.resolved_at) {
    out << "| Resolved | " << row_time(*incident.resolved_at * 1000) << " (after "
        << format_duration(*incident.resolved_at - incident.created_at) << ") |\n";
  }
  if (incident.alert_count > 0) {
    out << "| Alerts | " << incident.alert_count << " |\n";
  }
  out << "| Runs | " << runs.size() << " |\n";
  out << "\n## Timeline\n\n";
  std::vector<Row> rows;
  const auto& labels = incident_kind_labels();
  for (const auto& e : store.list_incident_events(incident.id)) {
    const auto it = labels.find(e.kind);
    Row r;
    r.at_ms = e.at_ms;
    r.order = static_cast<std::int64_t>(rows.size());
    r.what = it == labels.end() ? cell(e.kind, 32) : it->second;
    r.who = who(names, e.actor);
    r.detail = named(names, e.text);
    rows.push_back(std::move(r));
  }
  for (const auto& run : runs) {
    add_run_rows(store, run, "Run `" + short_id(run.id) + "`: ", rows, names);
  }
  write_rows(out, std::move(rows));
  if (!runs.empty()) {
    out << "\n## Runs\n\n| Run | Trigger | Backend | Outcome |\n|---|---|---|---|\n";
    for (const auto& run : runs) {
      out << "| `" << short_id(run.id) << "` | " << cell(run.trigger_kind, 32)
          << (run.requester.empty() ? "" : " by " + who(names, run.requester)) << " | " << cell(run.backend, 32)
          << (run.skill.empty() ? "" : " (`" + cell(run.skill, 64) + "`)") << " | " << outcome_of(run) << " |\n";
    }
  }
  out << approvals_section(store, runs, true, names);
  out << steps_section(store, runs, true);
  out << "\n## Outcome\n\n";
  if (incident.state == "resolved") {
    out << "Resolved";
    if (incident.resolved_at) {
      out << " at " << row_time(*incident.resolved_at * 1000) << ", "
          << format_duration(*incident.resolved_at - incident.created_at) << " after it opened";
    }
    out << ".\n";
  } else {
    out << "Still open.\n";
  }
  for (const auto& run : runs) {
    if (!run.summary.empty()) {
      out << "\n**Run `" << short_id(run.id) << "`** (" << run.shown_status() << "): " << run.summary << "\n";
    } else if (!run.error.empty()) {
      out << "\n**Run `" << short_id(run.id) << "`** (" << run.shown_status() << "): " << cell(run.error, 2000) << "\n";
    }
  }
  if (const auto usage = format_agent_usage(store.agent_usage_for_incident(incident.id)); !usage.empty()) {
    out << "\n" << usage;
  }
  return out.str();
}

}  // namespace vigil
