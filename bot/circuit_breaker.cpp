#include "bot/circuit_breaker.h"

#include "bot/store.h"

namespace vigil {

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

std::optional<AutoTriagePause> CircuitBreaker::record_finish(const std::string& backend,
                                                             const std::string& skill) {
  const auto key = key_for(backend, skill);
  const long long now = to_unix(clock_.now());
  // Failures only count after the last pause ended (or was ended by a person).
  long long since = 0;
  if (auto p = store_.get_auto_triage_pause(key)) {
    if (p->active(now)) {
      return std::nullopt;
    }
    since = p->resumed_at ? *p->resumed_at : p->resume_at;
  }
  const auto states = store_.recent_finished_states(backend, backend == "runbook" ? skill : "", since, threshold_);
  if (static_cast<int>(states.size()) < threshold_) {
    return std::nullopt;
  }
  for (auto s : states) {
    if (s != RunState::Failed && s != RunState::TimedOut) {
      return std::nullopt;
    }
  }
  AutoTriagePause pause{key, now, now + pause_for_.count(),
                        std::to_string(threshold_) + " consecutive failed runs", "", std::nullopt};
  store_.pause_auto_triage(pause);
  return pause;
}

bool CircuitBreaker::resume(const std::string& key, const std::string& by) {
  return store_.resume_auto_triage(key, by, to_unix(clock_.now()));
}

}  // namespace vigil
