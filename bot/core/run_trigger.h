#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "skills/incident.h"

namespace vigil {

/// What starts a run: a slash command, an alert (message or webhook), a mention, a runbook request
/// or the terminal. Persisted with the run (as its "trigger" timeline row) so a queued run can
/// start after a restart.
struct RunTrigger {
  std::string kind;  // slash_command, alert, mention, webhook, runbook, cli
  std::string key;   // dedup: a redelivered trigger with the same key finds the same run
  std::string requester;
  std::string text;
  std::string channel;
  std::string thread_ts;  // when the run's thread already exists (an alert message's own thread)
  std::string backend;    // empty: the channel's or the configured default
  std::string skill;      // /runbook run: this skill, no matching
  std::map<std::string, std::string> params;
  skills::Incident incident;
  std::string incident_id;
  nlohmann::json event = nlohmann::json::object();  // the input as received, for the agent's context
  bool automatic = false;                           // alerts and webhooks: subject to the circuit breaker
  bool dry_run = false;                             // runbook runs from the terminal: never ask, never change
  /// Before the run starts: the cluster of the channel's binding (or `vigil skills run --cluster`);
  /// after: the cluster the run works on (cluster_choice.h), empty when only one is configured.
  std::string cluster;
  /// Why no cluster could be chosen (an unknown `cluster` label): the run fails with it, touching none.
  std::string cluster_problem;
  /// The new run's id when the caller names it (`vigil skills run --run ID`); empty: a fresh one.
  /// Not persisted: it is the run's own id.
  std::string run_id;

  nlohmann::json to_json() const;
  static RunTrigger from_json(const nlohmann::json& j);
};

}  // namespace vigil
