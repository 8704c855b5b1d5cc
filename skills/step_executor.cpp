#include "skills/step_executor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <boost/asio/this_coro.hpp>

#include "bot/base/utf8.h"
#include "integrations/process/child_process.h"
#include "skills/condition_values.h"
#include "skills/argv_hash.h"
#include "skills/skill_regex.h"

namespace vigil::skills {
namespace net = boost::asio;

namespace {

bool is_failure(StepState s) {
  return s == StepState::Failed || s == StepState::TimedOut;
}

std::string status_word(StepState s) {
  if (s == StepState::Succeeded) {
    return "succeeded";
  }
  if (s == StepState::Skipped) {
    return "skipped";
  }
  return "failed";
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

StepResult from_entry(const StepEntry& row, const std::string& step_id) {
  StepResult r;
  r.key = row.key;
  r.step_id = step_id;
  r.row_id = row.id;
  r.state = row.state;
  r.argv = row.argv;
  r.exit_code = row.exit_code;
  r.signal = row.signal;
  r.output = row.output;
  r.truncated = row.output_truncated;
  r.output_path = row.output_path;
  r.gated = row.mutating;
  r.reused = true;
  return r;
}

// What a step's process came to.
StepState state_of(const process::ProcessResult& result) {
  if (result.cancelled) {
    return StepState::Cancelled;
  }
  if (result.timed_out) {
    return StepState::TimedOut;
  }
  return result.succeeded() ? StepState::Succeeded : StepState::Failed;
}

StepEnd outcome_of(const StepResult& r) {
  StepEnd o;
  o.state = r.state;
  o.exit_code = r.exit_code;
  o.signal = r.signal;
  o.output = r.output;
  o.truncated = r.truncated;
  o.output_path = r.output_path;
  return o;
}

// Why a main step's end stops the run.
struct RunStop {
  RunOutcome outcome = RunOutcome::Failed;
  std::string message;
  bool offers_rollback = false;  // the step fails with on_failure: rollback
};

// Whether the run stops after `step` ended in `state` (denied, expired, cancelled, or failed
// without on_failure: continue), and how.
std::optional<RunStop> stop_for(const Step& step, StepState state) {
  RunStop stop;
  if (state == StepState::Denied) {
    stop.outcome = RunOutcome::Denied;
    stop.message = "step " + step.id + " was denied";
    return stop;
  }
  if (state == StepState::Expired) {
    stop.outcome = RunOutcome::Expired;
    stop.message = "the approval for step " + step.id + " expired";
    return stop;
  }
  if (state == StepState::Cancelled || state == StepState::Interrupted) {
    stop.outcome = RunOutcome::Cancelled;
    stop.message = "cancelled at step " + step.id;
    return stop;
  }
  if (!is_failure(state) || step.on_failure == OnFailure::Continue) {
    return std::nullopt;
  }
  stop.outcome = RunOutcome::Failed;
  stop.message = "step " + step.id + " failed";
  stop.offers_rollback = step.on_failure == OnFailure::Rollback;
  return stop;
}

// The step's output file, readable by Vigil's user only.
Result<void> write_output_file(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(Errc::Io, "cannot write " + path + ": " + std::strerror(errno));
  }
  std::size_t off = 0;
  while (off < text.size()) {
    const auto w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return make_error(Errc::Io, "cannot write " + path + ": " + why);
    }
    off += static_cast<std::size_t>(w);
  }
  ::close(fd);
  return {};
}

// A finished row that a resumed run takes as it is.
bool is_final(StepState s) {
  return s == StepState::Succeeded || s == StepState::Failed || s == StepState::TimedOut || s == StepState::Skipped ||
         s == StepState::Denied || s == StepState::Expired;
}

}  // namespace

std::string bounded_output(std::string_view text, std::size_t cap, std::size_t total_bytes) {
  std::string out = utf8_prefix(text, cap);
  const std::size_t total = std::max(total_bytes, text.size());
  if (out.size() < total) {
    const std::size_t kept = out.size();
    if (!out.empty() && out.back() != '\n') {
      out += '\n';
    }
    out += "… [output cut at " + std::to_string(kept) + " bytes; the step wrote " + std::to_string(total) +
           " bytes in all]\n";
  }
  return out;
}

std::string_view to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::Succeeded:
      return "succeeded";
    case RunOutcome::Failed:
      return "failed";
    case RunOutcome::Denied:
      return "denied";
    case RunOutcome::Expired:
      return "expired";
    case RunOutcome::Cancelled:
      return "cancelled";
    case RunOutcome::DryRun:
      return "dry run";
  }
  return "failed";
}

std::string_view to_string(Verification v) {
  switch (v) {
    case Verification::NotRun:
      return "not run";
    case Verification::Verified:
      return "verified";
    case Verification::NotVerified:
      return "not verified";
  }
  return "not run";
}

struct StepExecutor::RunContext {
  SkillRun run;
  TemplateValues values;
  std::map<std::string, StepResult> results;  // by step id (latest)
  std::map<std::string, StepEntry> rows;      // recorded steps by key (the latest per key)
  int next_seq = 1;
  bool remediated = false;
  std::vector<FindingResult> findings;         // as last told to on_findings
  std::optional<kubernetes::Kubectl> kubectl;  // the run's cluster's identities
};

/// A gated step's dry run as the approver sees it; `cancelled` when the run was cancelled meanwhile.
struct StepExecutor::DryRunShown {
  std::string output;
  bool ok = true;
  std::optional<StepResult> cancelled;
};

StepExecutor::StepExecutor(StepJournal& journal, process::ChildProcess& runner, ApprovalGate& gate, Clock& clock,
                           ExecutorOptions options, Logger log)
    : journal_(journal),
      runner_(runner),
      gate_(gate),
      clock_(clock),
      options_(std::move(options)),
      kubectl_(options_.kubectl),
      log_(std::move(log)) {}

void StepExecutor::event(const RunContext& rs, StepEventKind kind, const std::string& text, const std::string& actor) {
  StepEvent e;
  e.run_id = rs.run.run_id;
  e.kind = kind;
  e.actor = actor;
  e.text = cluster_tag(rs.run.cluster) + text;  // several clusters: every line names the run's own
  journal_.record(e);
  if (options_.on_event) {
    options_.on_event(e);
  }
}

Task<Result<SkillRunReport>> StepExecutor::run(SkillRun run) {
  co_await net::this_coro::throw_if_cancelled(false);
  RunContext rs;
  rs.run = std::move(run);
  if (auto ready = prepare(rs); !ready) {
    co_return ready.error();
  }
  SkillRunReport report;
  const bool stopped = co_await run_main_steps(rs, report);
  if (!stopped) {
    co_await conclude(rs, report);
  }
  if (report.message.empty()) {
    report.message = "all steps done";
  }
  report.findings = update_findings(rs);
  event(rs, StepEventKind::SkillFinished,
        rs.run.skill.id + ": " + std::string(to_string(report.outcome)) + " (" + report.message + ")");
  co_return report;
}

Result<kubernetes::KubectlOptions> StepExecutor::cluster_for(const SkillRun& run,
                                                             const std::map<std::string, std::string>& params) const {
  const std::string name = run.cluster.empty() ? options_.default_cluster : run.cluster;
  if (name.empty() || options_.clusters.empty()) {
    return options_.kubectl;
  }
  const auto it = options_.clusters.find(name);
  if (it == options_.clusters.end()) {
    return make_error(Errc::InvalidConfig, "cluster '" + name + "' is not configured (kubernetes.clusters)");
  }
  const auto& allowed = it->second.namespaces;
  const auto ns = params.find("namespace");
  if (!allowed.empty() && ns != params.end() &&
      std::find(allowed.begin(), allowed.end(), ns->second) == allowed.end()) {
    std::string names;
    for (const auto& n : allowed) {
      names += (names.empty() ? "" : ", ") + n;
    }
    return make_error(Errc::Forbidden,
                      "namespace '" + ns->second + "' is not one cluster " + name + " lets runs name (" + names + ")");
  }
  return it->second.kubectl;
}

Result<void> StepExecutor::prepare(RunContext& rs) {
  const Skill& skill = rs.run.skill;
  if (!journal_.has_run(rs.run.run_id)) {
    return make_error(Errc::NotFound, "no run " + rs.run.run_id);
  }
  rs.values.incident = rs.run.incident.values();
  // Every parameter is checked before anything runs.
  auto params = resolve_parameters(skill, rs.run.params, rs.values.incident);
  if (!params) {
    event(rs, StepEventKind::SkillRefused, skill.id + ": " + params.error().detail);
    log_->warn("run={} skill {} refused: {}", rs.run.run_id, skill.id, params.error().detail);
    return params.error();
  }
  rs.values.params = std::move(*params);
  if (auto target = cluster_for(rs.run, rs.values.params); !target) {
    event(rs, StepEventKind::SkillRefused, skill.id + ": " + target.error().detail);
    log_->warn("run={} skill {} refused: {}", rs.run.run_id, skill.id, target.error().detail);
    return target.error();
  } else {
    rs.kubectl.emplace(*target);
  }

  for (const auto& row : journal_.steps(rs.run.run_id)) {
    rs.next_seq = std::max(rs.next_seq, row.seq + 1);
    auto it = rs.rows.find(row.key);
    if (it == rs.rows.end() || it->second.seq < row.seq) {
      rs.rows[row.key] = row;
    }
    if (row.state == StepState::Running) {
      return make_error(Errc::Conflict,
                        "step " + row.key + " of run " + rs.run.run_id + " is running (mark it interrupted first)");
    }
  }
  event(rs, rs.rows.empty() ? StepEventKind::SkillStarted : StepEventKind::SkillResumed, skill.id);
  return {};
}

Task<bool> StepExecutor::run_main_steps(RunContext& rs, SkillRunReport& report) {
  for (const auto& step : rs.run.skill.steps) {
    auto res = co_await run_step(rs, step, Section::Main, step.id);
    const StepState state = res.state;
    report.steps.push_back(res);
    rs.results[step.id] = std::move(res);
    const auto stop = stop_for(step, state);
    if (!stop) {
      continue;
    }
    report.outcome = stop->outcome;
    report.message = stop->message;
    if (stop->offers_rollback && !rs.run.dry_run) {
      report.rollback_offered = true;
      report.rolled_back = co_await run_rollback(rs, report);
    }
    co_return true;
  }
  co_return false;
}

Task<> StepExecutor::conclude(RunContext& rs, SkillRunReport& report) {
  if (rs.run.dry_run) {
    report.outcome = RunOutcome::DryRun;
    report.message = "dry run: gated steps were shown, not executed";
    co_return;
  }
  if (!rs.remediated || rs.run.skill.verify.steps.empty()) {
    co_return;
  }
  report.verification = co_await run_verify(rs, report);
  if (report.verification == Verification::NotVerified) {
    report.outcome = RunOutcome::Failed;
    report.message = "the remediation was not verified";
    if (!rs.run.skill.rollback.empty()) {
      report.rollback_offered = true;
      report.rolled_back = co_await run_rollback(rs, report);
    }
  } else if (report.verification == Verification::NotRun) {
    report.outcome = RunOutcome::Cancelled;
    report.message = "cancelled during verification";
  }
}

Task<Verification> StepExecutor::run_verify(RunContext& rs, SkillRunReport& report) {
  const Verify& verify = rs.run.skill.verify;
  for (int attempt = 1; attempt <= verify.attempts; ++attempt) {
    bool all_ok = true;
    for (const auto& step : verify.steps) {
      const std::string verify_key = "verify." + step.id + "." + std::to_string(attempt);
      auto res = co_await run_step(rs, step, Section::Verify, verify_key);
      if (res.state == StepState::Cancelled) {
        report.steps.push_back(std::move(res));
        co_return Verification::NotRun;
      }
      const bool ok = res.state == StepState::Succeeded && condition_holds(rs, step.expect, &res);
      report.steps.push_back(res);
      rs.results[step.id] = std::move(res);
      if (!ok) {
        all_ok = false;
        break;
      }
    }
    if (all_ok) {
      event(rs, StepEventKind::Verified, "verified after " + std::to_string(attempt) + " attempt(s)");
      co_return Verification::Verified;
    }
    if (attempt < verify.attempts) {
      const std::string next = "verify." + verify.steps.front().id + "." + std::to_string(attempt + 1);
      if (!rs.rows.count(next)) {  // a resumed run does not wait for polls already made
        if (!co_await clock_.sleep_for(verify.interval)) {
          co_return Verification::NotRun;
        }
      }
    }
  }
  event(rs, StepEventKind::NotVerified, "not verified after " + std::to_string(verify.attempts) + " attempt(s)");
  co_return Verification::NotVerified;
}

Task<bool> StepExecutor::run_rollback(RunContext& rs, SkillRunReport& report) {
  event(rs, StepEventKind::RollbackOffered, "rollback offered as a new gated proposal");
  // Rolled back only when a rollback step ran and none failed: every one skipped (their `when`
  // did not hold) is not a rollback.
  bool all_ok = true;
  bool any_ran = false;
  for (const auto& step : rs.run.skill.rollback) {
    const std::string rollback_key = "rollback." + step.id;
    auto res = co_await run_step(rs, step, Section::Rollback, rollback_key);
    const StepState state = res.state;
    report.steps.push_back(std::move(res));
    if (state == StepState::Skipped) {
      continue;
    }
    any_ran = true;
    if (state != StepState::Succeeded) {
      all_ok = false;
      break;
    }
  }
  const bool rolled_back = all_ok && any_ran;
  co_return rolled_back;
}

std::vector<FindingResult> StepExecutor::update_findings(RunContext& rs) {
  if (rs.run.skill.findings.empty()) {
    return {};
  }
  FindingInputs in;
  in.values = rs.values;
  for (const auto& [id, r] : rs.results) {
    in.steps[id] = StepOutcome{status_word(r.state), r.output};
  }
  std::vector<std::string> problems;
  auto found = evaluate_findings(rs.run.skill.findings, in, &problems);
  for (const auto& p : problems) {
    log_->warn("run={} skill {} findings: {}", rs.run.run_id, rs.run.skill.id, p);
  }
  if (found != rs.findings) {
    rs.findings = found;
    if (options_.on_findings && !found.empty()) {
      options_.on_findings(rs.run.run_id, found);
    }
  }
  return found;
}

namespace {

// A whole number of at most 9 digits, blanks around it allowed; none otherwise.
std::optional<long> whole_number(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stol(std::string(text));
}

}  // namespace

std::string cluster_tag(const std::string& cluster) {
  return cluster.empty() ? std::string() : "[" + cluster + "] ";
}

bool output_below(const std::string& output, const std::map<std::string, std::string>& params,
                  const std::string& param) {
  const auto it = params.find(param);
  const auto have = whole_number(output);
  const auto wanted = it == params.end() ? std::nullopt : whole_number(it->second);
  return have && wanted && *have < *wanted;
}

bool StepExecutor::condition_holds(const RunContext& rs, const Condition& c, const StepResult* subject) const {
  const StepResult* r = subject;
  if (!c.step.empty()) {
    const auto it = rs.results.find(c.step);
    r = it == rs.results.end() ? nullptr : &it->second;
  }
  const std::string status = r ? status_word(r->state) : "skipped";
  const std::string output = r ? r->output : "";
  if (!c.status.empty() && c.status != status) {
    return false;
  }
  if (!c.output_contains.empty() && output.find(c.output_contains) == std::string::npos) {
    return false;
  }
  if (!c.output_not_contains.empty() && output.find(c.output_not_contains) != std::string::npos) {
    return false;
  }
  if (!c.output_below_param.empty() && !output_below(output, rs.values.params, c.output_below_param)) {
    return false;
  }
  if (!extra_conditions_hold(c, output, rs.values.captures)) {
    return false;
  }
  if (!c.output_matches.empty()) {
    const auto found = regex_search(c.output_matches, output, RegexLines::Whole);
    if (!found) {
      log_->warn("run={} when.output_matches {}; the condition does not hold", rs.run.run_id, found.error().detail);
      return false;
    }
    return *found;
  }
  return true;
}

void StepExecutor::capture(RunContext& rs, const Step& step, const StepResult& result) {
  if (result.state != StepState::Succeeded) {
    return;
  }
  // Only stdout is captured; the stored output appends stderr after a marker.
  std::string out = result.output;
  if (const auto pos = out.find("\n[stderr]\n"); pos != std::string::npos) {
    out.resize(pos);
  }
  for (const auto& c : step.captures) {
    const auto match = regex_capture(c.regex, out);
    if (!match) {
      log_->warn("run={} step={} capture {}: {}", rs.run.run_id, step.id, c.name, match.error().detail);
      continue;
    }
    if (!*match) {
      log_->info("run={} step={} capture {}: no match", rs.run.run_id, step.id, c.name);
      continue;
    }
    std::string value = **match;
    while (!value.empty() && (value.back() == ' ' || value.back() == '\n' || value.back() == '\r')) {
      value.pop_back();
    }
    const std::string pattern = c.pattern.empty() ? std::string(kSafeValuePattern) : c.pattern;
    if (!check_value_shape(value) || !full_match(pattern, value)) {
      log_->warn("run={} step={} capture {}: value refused", rs.run.run_id, step.id, c.name);
      continue;
    }
    rs.values.captures[step.id][c.name] = value;
  }
}

StepEntry StepExecutor::new_step(RunContext& rs, const std::string& key, const std::vector<std::string>& argv,
                                 bool mutating) {
  StepEntry row;
  row.run_id = rs.run.run_id;
  row.skill = rs.run.skill.id;
  row.key = key;
  row.seq = rs.next_seq++;
  row.argv = argv;
  row.argv_hash = argv_hash(argv);
  row.mutating = mutating;
  row.state = StepState::Pending;
  row = journal_.add_step(std::move(row));
  rs.rows[key] = row;
  return row;
}

StepResult StepExecutor::end_without_running(RunContext& rs, const Step& step, const std::string& key, StepState state,
                                             const std::string& recorded_note, const std::string& note) {
  const StepEntry row = new_step(rs, key, step.run, step.mutating);
  journal_.finish(row, StepEnd::without_running(state, recorded_note));
  StepResult r;
  r.key = key;
  r.step_id = step.id;
  r.row_id = row.id;
  r.state = state;
  r.argv = step.run;
  r.note = note;
  rs.rows[key].state = state;
  return r;
}

Task<StepResult> StepExecutor::run_step(RunContext& rs, const Step& step, Section section, std::string key) {
  const auto existing = rs.rows.find(key);
  std::optional<StepEntry> row;
  if (existing != rs.rows.end()) {
    row = existing->second;
  }
  if (row && is_final(row->state)) {
    auto r = from_entry(*row, step.id);
    r.gated = step.is_gated();
    capture(rs, step, r);
    if (r.state == StepState::Succeeded && step.is_gated()) {
      rs.remediated = true;
    }
    co_return r;
  }

  const auto unmet = std::find_if(step.when.begin(), step.when.end(),
                                  [&](const Condition& c) { return !condition_holds(rs, c, nullptr); });
  if (unmet != step.when.end()) {
    const std::string note = "condition not met: when " + unmet->step + " ...";
    StepResult skipped = end_without_running(rs, step, key, StepState::Skipped, note, "condition not met");
    co_return skipped;
  }

  auto tmpl = Template::parse(step.run);
  Result<std::vector<std::string>> argv =
      tmpl ? tmpl->render(rs.values) : Result<std::vector<std::string>>(tmpl.error());
  if (!argv) {
    // A capture that did not match or was refused: the step cannot run.
    const std::string note = "refused: " + argv.error().detail;
    StepResult bad = end_without_running(rs, step, key, StepState::Failed, note, note);
    bad.output = note;
    co_return bad;
  }

  if (step.is_gated()) {
    if (row && (row->state == StepState::Interrupted || row->state == StepState::Cancelled)) {
      // Caught by a crash or a cancel: a new row and a new approval, never the old one.
      event(rs, StepEventKind::StepInterruptedReapproval,
            key + " was " + std::string(to_string(row->state)) + "; asking for a new approval");
      row.reset();
    }
    co_return co_await run_gated(rs, step, key, std::move(*argv), std::move(row), section == Section::Rollback);
  }

  StepEntry fresh = (row && row->state == StepState::Pending) ? *row : new_step(rs, key, *argv, false);
  if (fresh.argv != *argv) {
    fresh = new_step(rs, key, *argv, false);
  }
  if (!journal_.transition(fresh, StepState::Pending, StepState::Running)) {
    StepResult r = from_entry(fresh, step.id);
    r.state = StepState::Cancelled;
    r.note = "the step row changed under us";
    co_return r;
  }
  auto r = co_await execute(rs, step, fresh, false);
  capture(rs, step, r);
  co_return r;
}

Task<StepExecutor::DryRunShown> StepExecutor::show_dry_run(RunContext& rs, const Step& step, const std::string& key) {
  DryRunShown shown;
  if (step.dry_run.empty()) {
    co_return shown;
  }
  const std::string dry_key = key + ".dry-run";
  auto dry_tmpl = Template::parse(step.dry_run);
  auto dry_argv = dry_tmpl ? dry_tmpl->render(rs.values) : Result<std::vector<std::string>>(dry_tmpl.error());
  const auto dry_row = rs.rows.find(dry_key);
  if (dry_row != rs.rows.end() && is_final(dry_row->second.state)) {
    shown.output = dry_row->second.output;
    shown.ok = dry_row->second.state == StepState::Succeeded;
  } else if (!dry_argv) {
    shown.output = "dry run refused: " + dry_argv.error().detail;
    shown.ok = false;
  } else {
    StepEntry dr = new_step(rs, dry_key, *dry_argv, false);
    journal_.transition(dr, StepState::Pending, StepState::Running);
    auto res = co_await execute(rs, step, dr, false);
    if (res.state == StepState::Cancelled) {
      shown.cancelled = std::move(res);
      co_return shown;
    }
    shown.output = res.output;
    shown.ok = res.state == StepState::Succeeded;
  }
  co_return shown;
}

StepResult StepExecutor::show_only(RunContext& rs, const Step& step, const std::string& key,
                                   const std::vector<std::string>& argv, const std::optional<StepEntry>& row,
                                   const std::string& dry_output) {
  const StepEntry shown = row ? *row : new_step(rs, key, argv, step.mutating);
  journal_.finish(shown, StepEnd::without_running(StepState::Skipped, "dry run: not executed"));
  StepResult r = from_entry(shown, step.id);
  r.reused = false;
  r.state = StepState::Skipped;
  r.gated = true;
  r.argv = argv;
  r.output = dry_output;
  r.note = "dry run: not executed";
  return r;
}

GateRequest StepExecutor::gate_request(RunContext& rs, const Step& step, const std::string& key,
                                       const std::vector<std::string>& argv, const StepEntry& gated,
                                       const DryRunShown& dry, bool is_rollback) {
  GateRequest req;
  req.run_id = rs.run.run_id;
  req.cluster = rs.run.cluster;
  req.step_id = gated.id;
  req.skill = rs.run.skill.id;
  req.step = step.id;
  req.step_key = key;
  req.title = step.title;
  req.argv = argv;
  req.argv_hash = gated.argv_hash;
  req.dry_run_output = dry.output;
  req.dry_run_ok = dry.ok;
  req.risk = step.risk;
  req.approvers = step.approvers;
  req.allow_self_approval = step.allow_self_approval;
  req.requester = rs.run.requester;
  req.is_rollback = is_rollback;
  req.findings = update_findings(rs);
  return req;
}

Task<StepResult> StepExecutor::run_gated(RunContext& rs, const Step& step, std::string key,
                                         std::vector<std::string> argv, std::optional<StepEntry> row,
                                         bool is_rollback) {
  const std::string hash = argv_hash(argv);
  DryRunShown dry = co_await show_dry_run(rs, step, key);
  if (dry.cancelled) {
    StepResult cancelled = std::move(*dry.cancelled);
    co_return cancelled;
  }
  if (rs.run.dry_run) {
    StepResult shown = show_only(rs, step, key, argv, row, dry.output);
    co_return shown;
  }
  if (row && row->argv_hash != hash) {
    // The paused request was for another argv (changed parameters or captures): never reuse it.
    journal_.finish(*row, StepEnd::without_running(StepState::Cancelled, "superseded: the argv changed"));
    row.reset();
  }
  const StepEntry gated = row ? *row : new_step(rs, key, argv, step.mutating);
  journal_.transition(gated, StepState::Pending, StepState::AwaitingApproval);
  if (options_.on_awaiting_approval) {
    options_.on_awaiting_approval(rs.run.run_id, key);
  }
  event(rs, StepEventKind::ApprovalRequested, key + ": " + join_argv(argv));
  GateRequest req = gate_request(rs, step, key, argv, gated, dry, is_rollback);
  const GateRequest asked = req;
  const GateDecision decision = co_await gate_.request(std::move(req));

  StepResult r = from_entry(gated, step.id);
  r.reused = false;
  r.gated = true;
  r.argv = argv;
  r.output = dry.output;
  if (decision.outcome != GateOutcome::Approved) {
    StepResult declined = not_approved(rs, gated, key, decision, std::move(r));
    co_return declined;
  }
  if (decision.argv_hash != hash) {
    r.note = "refused: the approval was for a different argv (hash " + decision.argv_hash + ")";
    log_->error("run={} step={} {}", rs.run.run_id, key, r.note);
    journal_.finish(gated, StepEnd::without_running(StepState::Denied, r.note));
    gate_.refused(asked, decision);  // the gate records the refusal
    r.state = StepState::Denied;
    co_return r;
  }
  StepResult ran = co_await run_approved(rs, step, gated, decision, std::move(r));
  co_return ran;
}

StepResult StepExecutor::not_approved(RunContext& rs, const StepEntry& gated, const std::string& key,
                                      const GateDecision& decision, StepResult r) {
  const StepState state = decision.outcome == GateOutcome::Denied    ? StepState::Denied
                          : decision.outcome == GateOutcome::Expired ? StepState::Expired
                                                                     : StepState::Cancelled;
  r.note = std::string(to_string(decision.outcome)) +
           (decision.decided_by.empty() ? "" : " by " + decision.decided_by) +
           (decision.reason.empty() ? "" : ": " + decision.reason);
  journal_.finish(gated, StepEnd::without_running(state, r.note));
  event(rs, decision_event(decision.outcome), key + ": " + r.note,
        decision.decided_by.empty() ? "system" : decision.decided_by);
  r.state = state;
  return r;
}

Task<StepResult> StepExecutor::run_approved(RunContext& rs, const Step& step, const StepEntry& gated,
                                            const GateDecision& decision, StepResult r) {
  const std::string actor = decision.decided_by.empty() ? "system" : decision.decided_by;
  // One conditional update: of two resumers only one runs the step.
  if (!journal_.transition(gated, StepState::AwaitingApproval, StepState::Running)) {
    r.state = StepState::Cancelled;
    r.note = "the step was decided elsewhere";
    co_return r;
  }
  event(rs, StepEventKind::ApprovalApproved, gated.key + " by " + decision.decided_by, actor);
  auto res = co_await execute(rs, step, gated, step.mutating);
  res.gated = true;
  ExecutionRecord executed;
  executed.run_id = rs.run.run_id;
  executed.key = gated.key;
  executed.argv_hash = gated.argv_hash;
  executed.approved_by = actor;
  executed.state = res.state;
  journal_.record_execution(executed);
  if (res.state == StepState::Succeeded) {
    rs.remediated = true;
  }
  capture(rs, step, res);
  co_return res;
}

Result<process::ProcessSpec> StepExecutor::process_spec(const RunContext& rs, const Step& step, const StepEntry& row,
                                                        bool approved_mutation) {
  process::ProcessSpec spec;
  std::map<std::string, std::string> extra;
  if (kubernetes::Kubectl::is_kubectl(row.argv)) {
    // A gated step's dry run (its row key ends ".dry-run") may need the write identity: kubectl.h.
    const bool dry_run = row.key.ends_with(".dry-run");
    const auto identity = approved_mutation ? kubernetes::KubectlIdentity::Remediation
                          : dry_run         ? kubernetes::KubectlIdentity::DryRun
                                            : kubernetes::KubectlIdentity::ReadOnly;
    auto inv = rs.kubectl ? rs.kubectl->prepare(row.argv, identity) : kubectl_.prepare(row.argv, identity);
    if (!inv) {
      return inv.error();
    }
    spec.argv = std::move(inv->argv);
    extra = std::move(inv->env);
  } else {
    spec.argv = row.argv;
  }
  spec.env = process::make_environment(options_.env_allowlist, extra, options_.environment);
  spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(step.timeout);
  spec.grace = options_.grace;
  // Enough of each stream is kept in memory for the file; the file is written here, after the
  // redactor, never by the child process (its raw output may hold secrets).
  spec.output_cap = std::max(options_.output_cap, options_.full_output_cap);
  return spec;
}

std::string StepExecutor::output_file_for(const std::string& run_id, const StepEntry& row) {
  if (options_.workspace_root.empty()) {
    return {};
  }
  std::error_code ec;
  const auto dir = std::filesystem::path(options_.workspace_root) / run_id / "steps";
  std::filesystem::create_directories(dir, ec);
  ::chmod((std::filesystem::path(options_.workspace_root) / run_id).c_str(), 0700);
  if (ec) {
    return {};
  }
  return (dir / (std::to_string(row.seq) + "-" + row.key + ".log")).string();
}

Task<StepResult> StepExecutor::execute(RunContext& rs, const Step& step, StepEntry row, bool approved_mutation) {
  StepResult r;
  r.key = row.key;
  r.step_id = step.id;
  r.row_id = row.id;
  r.argv = row.argv;
  r.gated = step.is_gated();
  r.dry_run = row.key.size() > 8 && row.key.ends_with(".dry-run");

  auto spec = process_spec(rs, step, row, approved_mutation);
  if (!spec) {
    r.state = StepState::Failed;
    r.note = "refused: " + spec.error().detail;
    r.output = r.note;
    journal_.finish(row, StepEnd::without_running(r.state, r.output));
    co_return r;
  }
  const std::string output_file = output_file_for(rs.run.run_id, row);
  event(rs, StepEventKind::StepStarted, row.key + ": " + join_argv(row.argv));
  log_->info("run={} step={} running {}", rs.run.run_id, row.key, join_argv(row.argv));
  auto result = co_await runner_.run(std::move(*spec));
  if (!result) {
    r.state = StepState::Failed;
    r.output = result.error().detail;
    r.note = result.error().detail;
    journal_.finish(row, StepEnd::without_running(r.state, r.output));
    event(rs, StepEventKind::StepFinished, row.key + ": failed to start: " + r.output);
    if (options_.on_step_finished) {
      options_.on_step_finished(rs.run.run_id, r);
    }
    co_return r;
  }
  keep_output(rs.run.run_id, row.key, *result, output_file, r);
  journal_.finish(row, outcome_of(r));
  rs.rows[row.key].state = r.state;
  event(rs, StepEventKind::StepFinished,
        row.key + ": " + std::string(to_string(r.state)) +
            (r.exit_code ? " (exit " + std::to_string(*r.exit_code) + ")" : "") +
            (r.signal ? " (signal " + std::to_string(*r.signal) + ")" : ""));
  if (options_.on_step_finished) {
    options_.on_step_finished(rs.run.run_id, r);
  }
  co_return r;
}

void StepExecutor::keep_output(const std::string& run_id, const std::string& key, const process::ProcessResult& result,
                               const std::string& output_file, StepResult& r) {
  r.exit_code = result.exit_code;
  r.signal = result.signal;
  std::string full = result.out;
  if (!result.err.empty()) {
    full += "\n[stderr]\n" + result.err;
  }
  if (options_.redact) {
    full = options_.redact(full);
  }
  const std::size_t written = result.out_bytes + result.err_bytes;
  r.output = utf8_prefix(full, options_.output_cap);
  r.truncated = result.truncated || r.output.size() < full.size();
  if (!output_file.empty() && written > 0) {
    const auto kept = bounded_output(full, options_.full_output_cap, result.truncated ? written : full.size());
    if (auto saved = write_output_file(output_file, kept); saved) {
      r.output_path = output_file;
    } else {
      log_->warn("run={} step={} full output not kept: {}", run_id, key, saved.error().detail);
    }
  }
  r.state = state_of(result);
}

}  // namespace vigil::skills
