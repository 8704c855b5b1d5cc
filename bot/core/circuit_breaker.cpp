#include "bot/core/circuit_breaker.h"

#include "bot/store/store.h"
#include "bot/core/timeline.h"

namespace vigil {
namespace {

// How many finished runs the breaker reads back: ignored runs (people's) sit between the
// automatic ones, so it reads more than the threshold.
constexpr int kHistoryRuns = 200;

std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

std::string resume_hint(const std::string& key) {
  return "`/triage resume-auto " + key + "`";
}

}  // namespace

bool is_automatic_trigger_kind(std::string_view trigger_kind) {
  return trigger_kind == "alert" || trigger_kind == "webhook";
}

BreakerWeight breaker_weight(bool automatic, RunResult result) {
  if (!automatic) {
    return BreakerWeight::Ignored;
  }
  switch (result) {
    case RunResult::Failed:
    case RunResult::TimedOut:
      return BreakerWeight::SystemFailure;
    case RunResult::Fixed:
    case RunResult::Diagnosed:
    case RunResult::Denied:
      return BreakerWeight::Healthy;
    case RunResult::NothingToDo:
    case RunResult::Skipped:
    case RunResult::NeedsInput:
    case RunResult::Cancelled:
    case RunResult::Interrupted:
      return BreakerWeight::Ignored;
  }
  return BreakerWeight::Ignored;
}

bool breaker_should_open(const std::vector<BreakerWeight>& newest_first, int threshold) {
  if (threshold <= 0) {
    return false;
  }
  int failures = 0;
  for (auto w : newest_first) {
    if (w == BreakerWeight::Healthy) {
      return false;
    }
    if (w == BreakerWeight::SystemFailure && ++failures >= threshold) {
      return true;
    }
  }
  return false;
}

bool skips_for_pause(bool automatic, const std::optional<AutoTriagePause>& pause, long long now) {
  return automatic && pause && pause->active(now);
}

std::string skipped_text(const AutoTriagePause& p) {
  return "automatic triage with " + p.key + " is paused since " + human_time(p.paused_at) + " (" + p.reason +
         "); nothing was run for this alert. It resumes by itself at " + human_time(p.resume_at) +
         ", or resume it now with " + resume_hint(p.key) + ".";
}

std::string pause_announcement(const AutoTriagePause& p) {
  return "Automatic triage with " + p.key + " is paused until " + human_time(p.resume_at) + ": " + p.reason +
         ".\nAlerts for it are recorded but not triaged meanwhile; each says so in its own thread. "
         "Resume it now with " +
         resume_hint(p.key) + ".";
}

CircuitBreaker::CircuitBreaker(Store& store, Clock& clock, int threshold, std::chrono::seconds pause_for)
    : store_(store), clock_(clock), threshold_(threshold), pause_for_(pause_for) {}

std::string CircuitBreaker::key_for(const std::string& backend, const std::string& skill) {
  return backend == "runbook" && !skill.empty() ? "skill:" + skill : "backend:" + backend;
}

std::optional<AutoTriagePause> CircuitBreaker::active_pause(const std::string& key) {
  auto p = store_.get_auto_triage_pause(key);
  if (p && p->active(to_unix(clock_.now()))) {
    return p;
  }
  return std::nullopt;
}

std::optional<AutoTriagePause> CircuitBreaker::record_finish(const RunRecord& run) {
  const auto result = run.shown_result();
  if (!result || breaker_weight(is_automatic_trigger_kind(run.trigger_kind), *result) != BreakerWeight::SystemFailure) {
    return std::nullopt;  // only a system failure of an automatic run can open the breaker
  }
  const auto key = key_for(run.backend, run.skill);
  const long long now = to_unix(clock_.now());
  // Failures only count after the last pause ended (or was ended by a person).
  long long since = 0;
  if (auto p = store_.get_auto_triage_pause(key)) {
    if (p->active(now)) {
      return std::nullopt;
    }
    since = p->resumed_at ? *p->resumed_at : p->resume_at;
  }
  const auto runs =
      store_.recent_finished_runs(run.backend, run.backend == "runbook" ? run.skill : "", since, kHistoryRuns);
  std::vector<BreakerWeight> weights;
  std::vector<const RunRecord*> failing;
  for (const auto& r : runs) {
    const auto shown = r.shown_result();
    // A run that finished "succeeded" before results were recorded worked: it counts as healthy.
    const auto w = shown
                       ? breaker_weight(is_automatic_trigger_kind(r.trigger_kind), *shown)
                       : (is_automatic_trigger_kind(r.trigger_kind) ? BreakerWeight::Healthy : BreakerWeight::Ignored);
    weights.push_back(w);
    if (w == BreakerWeight::SystemFailure && static_cast<int>(failing.size()) < threshold_) {
      failing.push_back(&r);
    }
  }
  if (!breaker_should_open(weights, threshold_)) {
    return std::nullopt;
  }
  std::string reason = std::to_string(threshold_) + " automatic runs in a row failed:";
  for (const auto* r : failing) {
    reason += " run " + short_id(r->id) + " (" + (r->error.empty() ? "failed" : r->error.substr(0, 120)) + ");";
  }
  reason.pop_back();
  AutoTriagePause pause{key, now, now + pause_for_.count(), reason, "", std::nullopt};
  store_.pause_auto_triage(pause);
  return pause;
}

bool CircuitBreaker::resume(const std::string& key, const std::string& by) {
  return store_.resume_auto_triage(key, by, to_unix(clock_.now()));
}

}  // namespace vigil
