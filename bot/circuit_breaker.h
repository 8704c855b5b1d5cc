#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bot/base/clock.h"
#include "bot/model.h"

namespace vigil {

class Store;

/// After `threshold` consecutive failed runs of the same skill (runbook backend) or backend
/// (agent backends), automatic triage for it pauses for `pause_for`, or until a person resumes it
/// (`/triage resume-auto`). The state lives in the store, so a restart does not forget it.
class CircuitBreaker {
 public:
  CircuitBreaker(Store& store, Clock& clock, int threshold, std::chrono::seconds pause_for);

  /// "skill:<id>" for runbook runs of a skill, else "backend:<name>".
  static std::string key_for(const std::string& backend, const std::string& skill);

  /// The active pause for `key`, if any.
  std::optional<AutoTriagePause> active_pause(const std::string& key);
  /// Called when a run finished; returns the pause when this run's failure opened the breaker.
  std::optional<AutoTriagePause> record_finish(const std::string& backend, const std::string& skill);
  /// Ends a pause early; false when nothing was paused.
  bool resume(const std::string& key, const std::string& by);

 private:
  Store& store_;
  Clock& clock_;
  int threshold_;
  std::chrono::seconds pause_for_;
};

}  // namespace vigil
