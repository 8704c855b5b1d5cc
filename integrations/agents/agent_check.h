#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/base/task.h"
#include "integrations/agents/agent_cli.h"

namespace vigil::process {
class ChildProcess;
}

namespace vigil::agents {

/// One line of `vigil agents check`: what was checked, whether it passed, and what was seen.
struct AgentCheckLine {
  std::string what;  // binary, credentials, sandbox, cluster
  bool ok = false;
  std::string detail;
};

/// Whether one agent backend can run here: its CLI and version, its credentials (present or not,
/// never their values), the sandbox starting, and from inside it, read-only access to the cluster.
struct AgentCheckReport {
  std::string backend;
  std::vector<AgentCheckLine> lines;
  bool ok() const;
};

/// The environment variables that can carry a backend's credentials (any one is enough); empty
/// for the command backend, which brings its own.
const std::vector<std::string>& credential_variables(std::string_view backend);

/// The credentials line, from the agent's environment source (values are never looked at beyond
/// being non-empty).
AgentCheckLine check_credentials(std::string_view backend, const std::map<std::string, std::string>& environment);

/// From `kubectl auth can-i --list`: the grants that are not read-only, as "verbs on resource"
/// (creating self-subject reviews, which every identity may, is not a write).
std::vector<std::string> write_grants(std::string_view can_i_list);

/// The cluster line from what `kubectl auth can-i --list` did in the sandbox.
AgentCheckLine cluster_line(int exit_code, std::string_view out, std::string_view err);

/// Runs every check for `options.backend`; `scratch_dir` is a workspace made for the check and
/// removed after.
Task<AgentCheckReport> check_agent_backend(process::ChildProcess& runner, const AgentCliOptions& options,
                                           const std::string& scratch_dir);

/// The report as people read it: "<backend>: ok|FAILED" then one indented line per check.
std::string format_check_report(const AgentCheckReport& report);

}  // namespace vigil::agents
