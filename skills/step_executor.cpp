#include "skills/step_executor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <boost/asio/this_coro.hpp>

#include "bot/base/utf8.h"
#include "bot/store/store.h"
#include "integrations/process/child_process.h"
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

StepResult from_row(const StepRecord& row, const std::string& step_id) {
  StepResult r;
  r.key = row.step;
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
  return s == StepState::Succeeded || s == StepState::Failed || s == StepState::TimedOut ||
         s == StepState::Skipped || s == StepState::Denied || s == StepState::Expired;
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
    out += "… [output cut at " + std::to_string(kept) + " bytes; the step wrote " +
           std::to_string(total) + " bytes in all]\n";
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
  std::map<std::string, StepRecord> rows;      // persisted rows by key (the latest per key)
  int next_seq = 1;
  bool remediated = false;
  std::vector<FindingResult> findings;  // as last told to on_findings
};

StepExecutor::StepExecutor(Store& store, process::ChildProcess& runner, ApprovalGate& gate,
                           Clock& clock, ExecutorOptions options, Logger log)
    : store_(store),
      runner_(runner),
      gate_(gate),
      clock_(clock),
      options_(std::move(options)),
      kubectl_(options_.kubectl),
      log_(std::move(log)) {}

long long StepExecutor::now_s() const { return to_unix(clock_.now()); }
long long StepExecutor::now_ms() const { return to_unix_ms(clock_.now()); }

void StepExecutor::event(const std::string& run_id, const std::string& kind,
                         const std::string& text, const std::string& actor) {
  RunEvent e;
  e.run_id = run_id;
  e.at_ms = now_ms();
  e.kind = kind;
  e.actor = actor;
  e.text = text;
  store_.append_event(e);
  if (options_.on_event) {
    options_.on_event(e);
  }
}

Task<Result<SkillRunReport>> StepExecutor::run(SkillRun run) {
  co_await net::this_coro::throw_if_cancelled(false);
  RunContext rs;
  rs.run = std::move(run);
  const Skill& skill = rs.run.skill;
  if (!store_.get_run(rs.run.run_id)) {
    co_return make_error(Errc::NotFound, "no run " + rs.run.run_id);
  }
  rs.values.incident = rs.run.incident.values();
  // Every parameter is checked before anything runs.
  auto params = resolve_parameters(skill, rs.run.params, rs.values.incident);
  if (!params) {
    event(rs.run.run_id, "skill_refused", skill.id + ": " + params.error().detail);
    log_->warn("run={} skill {} refused: {}", rs.run.run_id, skill.id, params.error().detail);
    co_return params.error();
  }
  rs.values.params = std::move(*params);

  for (const auto& row : store_.list_steps(rs.run.run_id)) {
    rs.next_seq = std::max(rs.next_seq, row.seq + 1);
    auto it = rs.rows.find(row.step);
    if (it == rs.rows.end() || it->second.seq < row.seq) {
      rs.rows[row.step] = row;
    }
    if (row.state == StepState::Running) {
      co_return make_error(Errc::Conflict, "step " + row.step + " of run " + rs.run.run_id +
                                               " is running (mark it interrupted first)");
    }
  }
  if (rs.rows.empty()) {
    event(rs.run.run_id, "skill_started", skill.id);
  } else {
    event(rs.run.run_id, "skill_resumed", skill.id);
  }

  SkillRunReport report;
  bool stopped = false;
  for (const auto& step : skill.steps) {
    auto res = co_await run_step(rs, step, Section::Main, step.id);
    const StepState state = res.state;
    const OnFailure on_failure = step.on_failure;
    report.steps.push_back(res);
    rs.results[step.id] = std::move(res);
    if (state == StepState::Skipped || state == StepState::Succeeded) {
      continue;
    }
    if (state == StepState::Denied) {
      report.outcome = RunOutcome::Denied;
      report.message = "step " + step.id + " was denied";
      stopped = true;
      break;
    }
    if (state == StepState::Expired) {
      report.outcome = RunOutcome::Expired;
      report.message = "the approval for step " + step.id + " expired";
      stopped = true;
      break;
    }
    if (state == StepState::Cancelled || state == StepState::Interrupted) {
      report.outcome = RunOutcome::Cancelled;
      report.message = "cancelled at step " + step.id;
      stopped = true;
      break;
    }
    if (is_failure(state)) {
      if (on_failure == OnFailure::Continue) {
        continue;
      }
      report.outcome = RunOutcome::Failed;
      report.message = "step " + step.id + " failed";
      stopped = true;
      if (on_failure == OnFailure::Rollback && !rs.run.dry_run) {
        report.rollback_offered = true;
        report.rolled_back = co_await run_rollback(rs, report);
      }
      break;
    }
  }

  if (!stopped && rs.run.dry_run) {
    report.outcome = RunOutcome::DryRun;
    report.message = "dry run: gated steps were shown, not executed";
  }
  if (!stopped && !rs.run.dry_run && rs.remediated && !skill.verify.steps.empty()) {
    report.verification = co_await run_verify(rs, report);
    if (report.verification == Verification::NotVerified) {
      report.outcome = RunOutcome::Failed;
      report.message = "the remediation was not verified";
      if (!skill.rollback.empty()) {
        report.rollback_offered = true;
        report.rolled_back = co_await run_rollback(rs, report);
      }
    } else if (report.verification == Verification::NotRun) {
      report.outcome = RunOutcome::Cancelled;
      report.message = "cancelled during verification";
    }
  }
  if (report.message.empty()) {
    report.message = "all steps done";
  }
  report.findings = update_findings(rs);
  event(rs.run.run_id, "skill_finished",
        skill.id + ": " + std::string(to_string(report.outcome)) + " (" + report.message + ")");
  co_return report;
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
      const bool ok = res.state == StepState::Succeeded &&
                      condition_holds(rs, step.expect, &res);
      report.steps.push_back(res);
      rs.results[step.id] = std::move(res);
      if (!ok) {
        all_ok = false;
        break;
      }
    }
    if (all_ok) {
      event(rs.run.run_id, "verified", "verified after " + std::to_string(attempt) + " attempt(s)");
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
  event(rs.run.run_id, "not_verified",
        "not verified after " + std::to_string(verify.attempts) + " attempt(s)");
  co_return Verification::NotVerified;
}

Task<bool> StepExecutor::run_rollback(RunContext& rs, SkillRunReport& report) {
  event(rs.run.run_id, "rollback_offered", "rollback offered as a new gated proposal");
  bool all_ok = true;
  for (const auto& step : rs.run.skill.rollback) {
    const std::string rollback_key = "rollback." + step.id;
    auto res = co_await run_step(rs, step, Section::Rollback, rollback_key);
    const StepState state = res.state;
    report.steps.push_back(std::move(res));
    if (state == StepState::Skipped) {
      continue;
    }
    if (state != StepState::Succeeded) {
      all_ok = false;
      break;
    }
  }
  co_return all_ok;
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

bool StepExecutor::condition_holds(const RunContext& rs, const Condition& c,
                                   const StepResult* subject) const {
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
  if (!c.output_matches.empty()) {
    const auto found = regex_search(c.output_matches, output, RegexLines::Whole);
    if (!found) {
      log_->warn("run={} when.output_matches {}; the condition does not hold", rs.run.run_id,
                 found.error().detail);
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

StepRecord StepExecutor::new_row(RunContext& rs, const Step& step, const std::string& key,
                                 const std::vector<std::string>& argv, bool mutating) {
  StepRecord row;
  row.run_id = rs.run.run_id;
  row.skill = rs.run.skill.id;
  row.step = key;
  row.seq = rs.next_seq++;
  row.argv = argv;
  row.argv_hash = argv_hash(argv);
  row.mutating = mutating;
  row.state = StepState::Pending;
  (void)step;
  store_.create_step(row);
  rs.rows[key] = row;
  return row;
}

Task<StepResult> StepExecutor::run_step(RunContext& rs, const Step& step, Section section,
                                        std::string key) {
  const auto existing = rs.rows.find(key);
  std::optional<StepRecord> row;
  if (existing != rs.rows.end()) {
    row = existing->second;
  }
  if (row && is_final(row->state)) {
    auto r = from_row(*row, step.id);
    r.gated = step.is_gated();
    capture(rs, step, r);
    if (r.state == StepState::Succeeded && step.is_gated()) {
      rs.remediated = true;
    }
    co_return r;
  }

  if (step.when && !condition_holds(rs, *step.when, nullptr)) {
    StepRecord skipped = new_row(rs, step, key, step.run, step.mutating);
    store_.finish_step(skipped.id, StepState::Skipped, std::nullopt, std::nullopt,
                       "condition not met: when " + step.when->step + " ...", false, "", now_s());
    StepResult r;
    r.key = key;
    r.step_id = step.id;
    r.row_id = skipped.id;
    r.state = StepState::Skipped;
    r.argv = step.run;
    r.note = "condition not met";
    rs.rows[key].state = StepState::Skipped;
    co_return r;
  }

  auto tmpl = Template::parse(step.run);
  Result<std::vector<std::string>> argv =
      tmpl ? tmpl->render(rs.values) : Result<std::vector<std::string>>(tmpl.error());
  if (!argv) {
    // A capture that did not match or was refused: the step cannot run.
    StepRecord bad = new_row(rs, step, key, step.run, step.mutating);
    store_.finish_step(bad.id, StepState::Failed, std::nullopt, std::nullopt,
                       "refused: " + argv.error().detail, false, "", now_s());
    StepResult r;
    r.key = key;
    r.step_id = step.id;
    r.row_id = bad.id;
    r.state = StepState::Failed;
    r.argv = step.run;
    r.note = "refused: " + argv.error().detail;
    r.output = r.note;
    rs.rows[key].state = StepState::Failed;
    co_return r;
  }

  if (step.is_gated()) {
    if (row && (row->state == StepState::Interrupted || row->state == StepState::Cancelled)) {
      // Caught by a crash or a cancel: a new row and a new approval, never the old one.
      event(rs.run.run_id, "step_interrupted_reapproval",
            key + " was " + std::string(to_string(row->state)) + "; asking for a new approval");
      row.reset();
    }
    co_return co_await run_gated(rs, step, key, std::move(*argv), std::move(row),
                                 section == Section::Rollback);
  }

  StepRecord fresh = (row && row->state == StepState::Pending)
                         ? *row
                         : new_row(rs, step, key, *argv, false);
  if (fresh.argv != *argv) {
    fresh = new_row(rs, step, key, *argv, false);
  }
  if (!store_.transition_step(fresh.id, {StepState::Pending}, StepState::Running, now_s())) {
    StepResult r = from_row(fresh, step.id);
    r.state = StepState::Cancelled;
    r.note = "the step row changed under us";
    co_return r;
  }
  auto r = co_await execute(rs, step, fresh, false);
  capture(rs, step, r);
  co_return r;
}

Task<StepResult> StepExecutor::run_gated(RunContext& rs, const Step& step, std::string key,
                                         std::vector<std::string> argv,
                                         std::optional<StepRecord> row, bool is_rollback) {
  const std::string hash = argv_hash(argv);
  std::string dry_output;
  bool dry_ok = true;
  if (!step.dry_run.empty()) {
    const std::string dry_key = key + ".dry-run";
    auto dry_tmpl = Template::parse(step.dry_run);
    auto dry_argv = dry_tmpl ? dry_tmpl->render(rs.values)
                             : Result<std::vector<std::string>>(dry_tmpl.error());
    const auto dry_row = rs.rows.find(dry_key);
    if (dry_row != rs.rows.end() && is_final(dry_row->second.state)) {
      dry_output = dry_row->second.output;
      dry_ok = dry_row->second.state == StepState::Succeeded;
    } else if (!dry_argv) {
      dry_output = "dry run refused: " + dry_argv.error().detail;
      dry_ok = false;
    } else {
      StepRecord dr = new_row(rs, step, dry_key, *dry_argv, false);
      store_.transition_step(dr.id, {StepState::Pending}, StepState::Running, now_s());
      auto res = co_await execute(rs, step, dr, false);
      if (res.state == StepState::Cancelled) {
        co_return res;
      }
      dry_output = res.output;
      dry_ok = res.state == StepState::Succeeded;
    }
  }

  if (rs.run.dry_run) {
    StepRecord shown = row ? *row : new_row(rs, step, key, argv, step.mutating);
    store_.finish_step(shown.id, StepState::Skipped, std::nullopt, std::nullopt,
                       "dry run: not executed", false, "", now_s());
    StepResult r = from_row(shown, step.id);
    r.reused = false;
    r.state = StepState::Skipped;
    r.gated = true;
    r.argv = argv;
    r.output = dry_output;
    r.note = "dry run: not executed";
    co_return r;
  }

  if (row && row->argv_hash != hash) {
    // The paused request was for another argv (changed parameters or captures): never reuse it.
    store_.finish_step(row->id, StepState::Cancelled, std::nullopt, std::nullopt,
                       "superseded: the argv changed", false, "", now_s());
    row.reset();
  }
  StepRecord gated = row ? *row : new_row(rs, step, key, argv, step.mutating);
  store_.transition_step(gated.id, {StepState::Pending}, StepState::AwaitingApproval, now_s());
  store_.transition_run(rs.run.run_id, {vigil::RunState::Running}, vigil::RunState::AwaitingApproval,
                        now_ms(), "system", "step " + key + " awaits approval");
  event(rs.run.run_id, "approval_requested", key + ": " + join_argv(argv));
  AuditEntry requested;
  requested.at_ms = now_ms();
  requested.actor = rs.run.requester.empty() ? "system" : rs.run.requester;
  requested.action = "approval.requested";
  requested.run_id = rs.run.run_id;
  requested.detail = key + " " + hash;
  store_.append_audit(requested);

  GateRequest req;
  req.run_id = rs.run.run_id;
  req.step_id = gated.id;
  req.skill = rs.run.skill.id;
  req.step = step.id;
  req.title = step.title;
  req.argv = argv;
  req.argv_hash = hash;
  req.dry_run_output = dry_output;
  req.dry_run_ok = dry_ok;
  req.risk = step.risk;
  req.approvers = step.approvers;
  req.allow_self_approval = step.allow_self_approval;
  req.requester = rs.run.requester;
  req.is_rollback = is_rollback;
  req.findings = update_findings(rs);
  const GateDecision decision = co_await gate_.request(std::move(req));

  store_.transition_run(rs.run.run_id, {vigil::RunState::AwaitingApproval}, vigil::RunState::Running,
                        now_ms(), decision.decided_by.empty() ? "system" : decision.decided_by,
                        "step " + key + " " + std::string(to_string(decision.outcome)));
  AuditEntry decided;
  decided.at_ms = now_ms();
  decided.actor = decision.decided_by.empty() ? "system" : decision.decided_by;
  decided.action = "approval." + std::string(to_string(decision.outcome));
  decided.run_id = rs.run.run_id;
  decided.detail = key + " " + decision.argv_hash + (decision.reason.empty() ? "" : " " + decision.reason);
  store_.append_audit(decided);

  StepResult r = from_row(gated, step.id);
  r.reused = false;
  r.gated = true;
  r.argv = argv;
  r.output = dry_output;
  if (decision.outcome != GateOutcome::Approved) {
    const StepState state = decision.outcome == GateOutcome::Denied    ? StepState::Denied
                            : decision.outcome == GateOutcome::Expired ? StepState::Expired
                                                                       : StepState::Cancelled;
    r.note = std::string(to_string(decision.outcome)) +
             (decision.decided_by.empty() ? "" : " by " + decision.decided_by) +
             (decision.reason.empty() ? "" : ": " + decision.reason);
    store_.finish_step(gated.id, state, std::nullopt, std::nullopt, r.note, false, "", now_s());
    event(rs.run.run_id, "approval_" + std::string(to_string(decision.outcome)), key + ": " + r.note,
          decision.decided_by.empty() ? "system" : decision.decided_by);
    r.state = state;
    co_return r;
  }
  if (decision.argv_hash != hash) {
    r.note = "refused: the approval was for a different argv (hash " + decision.argv_hash + ")";
    log_->error("run={} step={} {}", rs.run.run_id, key, r.note);
    store_.finish_step(gated.id, StepState::Denied, std::nullopt, std::nullopt, r.note, false, "",
                       now_s());
    AuditEntry refused;
    refused.at_ms = now_ms();
    refused.actor = "system";
    refused.action = "approval.refused";
    refused.run_id = rs.run.run_id;
    refused.detail = key + " approved " + decision.argv_hash + " but argv is " + hash;
    store_.append_audit(refused);
    r.state = StepState::Denied;
    co_return r;
  }
  // One conditional update: of two resumers only one runs the step.
  if (!store_.transition_step(gated.id, {StepState::AwaitingApproval}, StepState::Running, now_s())) {
    r.state = StepState::Cancelled;
    r.note = "the step was decided elsewhere";
    co_return r;
  }
  event(rs.run.run_id, "approval_approved", key + " by " + decision.decided_by,
        decision.decided_by.empty() ? "system" : decision.decided_by);
  auto res = co_await execute(rs, step, gated, step.mutating);
  res.gated = true;
  AuditEntry executed;
  executed.at_ms = now_ms();
  executed.actor = decision.decided_by.empty() ? "system" : decision.decided_by;
  executed.action = "step.executed";
  executed.run_id = rs.run.run_id;
  executed.detail = key + " " + hash + " " + std::string(to_string(res.state));
  store_.append_audit(executed);
  if (res.state == StepState::Succeeded) {
    rs.remediated = true;
  }
  capture(rs, step, res);
  co_return res;
}

Task<StepResult> StepExecutor::execute(RunContext& rs, const Step& step, StepRecord row,
                                       bool approved_mutation) {
  StepResult r;
  r.key = row.step;
  r.step_id = step.id;
  r.row_id = row.id;
  r.argv = row.argv;
  r.gated = step.is_gated();
  r.dry_run = row.step.size() > 8 && row.step.ends_with(".dry-run");

  process::ProcessSpec spec;
  std::map<std::string, std::string> extra;
  if (kubernetes::Kubectl::is_kubectl(row.argv)) {
    auto inv = kubectl_.prepare(row.argv, approved_mutation);
    if (!inv) {
      r.state = StepState::Failed;
      r.note = "refused: " + inv.error().detail;
      r.output = r.note;
      store_.finish_step(row.id, r.state, std::nullopt, std::nullopt, r.output, false, "", now_s());
      co_return r;
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
  std::string output_file;
  if (!options_.workspace_root.empty()) {
    std::error_code ec;
    const auto dir = std::filesystem::path(options_.workspace_root) / rs.run.run_id / "steps";
    std::filesystem::create_directories(dir, ec);
    ::chmod((std::filesystem::path(options_.workspace_root) / rs.run.run_id).c_str(), 0700);
    if (!ec) {
      output_file = (dir / (std::to_string(row.seq) + "-" + row.step + ".log")).string();
    }
  }
  event(rs.run.run_id, "step_started", row.step + ": " + join_argv(row.argv));
  log_->info("run={} step={} running {}", rs.run.run_id, row.step, join_argv(row.argv));
  auto result = co_await runner_.run(std::move(spec));
  if (!result) {
    r.state = StepState::Failed;
    r.output = result.error().detail;
    r.note = result.error().detail;
    store_.finish_step(row.id, r.state, std::nullopt, std::nullopt, r.output, false, "", now_s());
    event(rs.run.run_id, "step_finished", row.step + ": failed to start: " + r.output);
    if (options_.on_step_finished) {
      options_.on_step_finished(rs.run.run_id, r);
    }
    co_return r;
  }
  r.exit_code = result->exit_code;
  r.signal = result->signal;
  std::string full = result->out;
  if (!result->err.empty()) {
    full += "\n[stderr]\n" + result->err;
  }
  if (options_.redact) {
    full = options_.redact(full);
  }
  const std::size_t written = result->out_bytes + result->err_bytes;
  r.output = utf8_prefix(full, options_.output_cap);
  r.truncated = result->truncated || r.output.size() < full.size();
  if (!output_file.empty() && written > 0) {
    const auto kept = bounded_output(full, options_.full_output_cap, result->truncated ? written : full.size());
    if (auto saved = write_output_file(output_file, kept); saved) {
      r.output_path = output_file;
    } else {
      log_->warn("run={} step={} full output not kept: {}", rs.run.run_id, row.step, saved.error().detail);
    }
  }
  if (result->cancelled) {
    r.state = StepState::Cancelled;
  } else if (result->timed_out) {
    r.state = StepState::TimedOut;
  } else if (result->succeeded()) {
    r.state = StepState::Succeeded;
  } else {
    r.state = StepState::Failed;
  }
  store_.finish_step(row.id, r.state, r.exit_code, r.signal, r.output, r.truncated, r.output_path,
                     now_s());
  rs.rows[row.step].state = r.state;
  event(rs.run.run_id, "step_finished",
        row.step + ": " + std::string(to_string(r.state)) +
            (r.exit_code ? " (exit " + std::to_string(*r.exit_code) + ")" : "") +
            (r.signal ? " (signal " + std::to_string(*r.signal) + ")" : ""));
  if (options_.on_step_finished) {
    options_.on_step_finished(rs.run.run_id, r);
  }
  co_return r;
}

}  // namespace vigil::skills
