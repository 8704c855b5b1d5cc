#pragma once

#include <string>
#include <vector>

namespace vigil {

/// The environment variables that carry Vigil's own secrets (Slack tokens, webhook secrets, API
/// tokens of PagerDuty, OpsGenie and Alertmanager). The agents' own API keys are not among them:
/// the agent's environment allow-list passes those on.
const std::vector<std::string>& secret_environment_names();

/// Once the configuration holds them, removes Vigil's secrets from its own environment, so no
/// child inherits them and /proc/<pid>/environ no longer shows them: each value is overwritten in
/// place (environ shows the memory the process started with) and then unset. The process is also
/// made non-dumpable, so other processes of its user cannot read its memory or environ through
/// /proc or ptrace. Returns the names that were set.
std::vector<std::string> forget_secret_environment(const std::vector<std::string>& names);

}  // namespace vigil
