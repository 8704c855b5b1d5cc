#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"
#include "integrations/agents/agent_runner.h"
#include "integrations/agents/agent_sandbox.h"
#include "integrations/agents/agent_stream_parser.h"
#include "integrations/agents/workspace.h"

namespace vigil::process {
class ChildProcess;
}

namespace vigil::agents {

/// How the agent CLIs are run. Built from the `agent` and `kubernetes` configuration.
struct AgentCliOptions {
  std::string backend;               // claude-code, codex, gemini, command
  std::vector<std::string> command;  // argv for `command`; for the others an optional program path
  std::chrono::milliseconds timeout{15 * 60 * 1000};
  std::chrono::milliseconds grace{30'000};
  std::vector<std::string> env_allowlist;
  std::map<std::string, std::string> environment;  // the source the allow-list picks from
  std::string read_only_kubeconfig;
  std::string kubectl = "kubectl";  // what the agents run (agents check asks it what they may do)
  std::size_t output_cap = 256 * 1024;
  /// Where turns run: in a bubblewrap sandbox, refused, or (null, as inside an agent's own Pod)
  /// unfenced. Shared by every AgentCli of the process.
  std::shared_ptr<IsolationGate> isolation;
  std::vector<std::string> read_only_paths;  // agent.read_only_paths: bound read-only into the sandbox
};

/// The argv for a turn (no shell; the prompt is a file in the workspace, so untrusted incident text
/// never lands in argv). Each CLI may investigate and report and no more: claude-code reads, runs
/// read-only kubectl and writes only under output/; codex runs in its workspace-write sandbox with
/// network for kubectl; gemini keeps its shell tool for read-only kubectl only. Every flag is
/// checked against the real CLI's --help (tests/integration/integrations/agents/).
std::vector<std::string> agent_argv(const AgentCliOptions& options, const AgentTurn& turn);
/// The environment: the allow-list, the backend's API-key variable, INCIDENT_ID,
/// INCIDENT_WORKSPACE, VIGIL_READ_ONLY=true (and CLAUDE_READ_ONLY_MODE=true for Claude Code), and
/// KUBECONFIG pointing at the read-only kubeconfig. In a sandbox HOME is the workspace's home/.
std::map<std::string, std::string> agent_environment(const AgentCliOptions& options, const std::string& run_id,
                                                     const std::string& workspace_dir, bool sandboxed = false);
/// The sandbox of one turn: the workspace read-write; the read-only kubeconfig, agent.read_only_paths
/// and the program's own folder (when outside the system folders) read-only.
SandboxSpec turn_sandbox(const AgentCliOptions& options, const std::string& workspace_dir,
                         const std::string& program_folder);

/// Runs agent CLIs in their workspace, turning their output stream into AgentEvents as it arrives.
class AgentCli : public AgentRunner {
 public:
  AgentCli(process::ChildProcess& runner, AgentCliOptions options, Logger log);

  /// Runs one turn to its end (cancel through the awaiting coroutine's cancellation slot: SIGINT to
  /// the agent's process group, then SIGKILL after the grace). Output goes to agent.log in full.
  Task<Result<AgentTurnResult>> run_turn(const Workspace& workspace, AgentTurn turn, EventSink sink) override;

  const AgentCliOptions& options() const { return options_; }

 private:
  process::ChildProcess& runner_;
  AgentCliOptions options_;
  Logger log_;
};

}  // namespace vigil::agents
