#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/clock.h"
#include "bot/store/model.h"

namespace vigil {

class Store;

/// How a finished run weighs on the breaker of its skill or backend.
enum class BreakerWeight {
  Ignored,        // says nothing about the system: a person's run, nothing to do, skipped, cancelled…
  Healthy,        // an automatic run that worked (fixed, diagnosed, or its fix was denied by a person)
  SystemFailure,  // an automatic run that failed or timed out: a step, the agent or Vigil failed
};

/// Alerts and webhooks start runs by themselves; slash commands, mentions, /runbook run, the
/// terminal and proposals are people's requests.
bool is_automatic_trigger_kind(std::string_view trigger_kind);

/// Pure: only automatic runs count, and of those only a failure or a time-out counts against the
/// system. A person's bad input (a slash command or mention, a run that needed parameters, nothing
/// to do, a denial, a cancellation) never does.
BreakerWeight breaker_weight(bool automatic, RunResult result);

/// Pure: the weights of the latest finished runs, newest first. True when the newest `threshold`
/// runs that count are all system failures (ignored runs neither add to nor break the streak).
bool breaker_should_open(const std::vector<BreakerWeight>& newest_first, int threshold);

/// Pure: whether this trigger is skipped (recorded as a run with result Skipped, nothing run)
/// because automatic triage for its skill or backend is paused at `now`.
bool skips_for_pause(bool automatic, const std::optional<AutoTriagePause>& pause, long long now);

/// What the skipped alert's own thread says: "automatic triage with X is paused since …
/// (reason); resume with `/triage resume-auto X`".
std::string skipped_text(const AutoTriagePause& pause);

/// The top-level announcement of a new pause in the incident channel: what is paused, why (the
/// failing runs), until when, and how to resume.
std::string pause_announcement(const AutoTriagePause& pause);

/// After `threshold` consecutive automatic runs of the same skill (runbook backend) or backend
/// (agent backends) failed for reasons of the system, automatic triage for it pauses for
/// `pause_for`, or until a person resumes it (`/triage resume-auto`). The state lives in the
/// store, so a restart does not forget it.
class CircuitBreaker {
 public:
  CircuitBreaker(Store& store, Clock& clock, int threshold, std::chrono::seconds pause_for);

  /// "skill:<id>" for runbook runs of a skill, else "backend:<name>".
  static std::string key_for(const std::string& backend, const std::string& skill);

  /// The active pause for `key`, if any.
  std::optional<AutoTriagePause> active_pause(const std::string& key);
  /// Called when a run finished (its result recorded); returns the pause when this run's failure
  /// opened the breaker. Runs that do not count (breaker_weight) never open it. A run is automatic
  /// when its trigger kind is (is_automatic_trigger_kind), for this run as for the earlier ones.
  std::optional<AutoTriagePause> record_finish(const RunRecord& run);
  /// Ends a pause early; false when nothing was paused.
  bool resume(const std::string& key, const std::string& by);

 private:
  Store& store_;
  Clock& clock_;
  int threshold_;
  std::chrono::seconds pause_for_;
};

}  // namespace vigil
