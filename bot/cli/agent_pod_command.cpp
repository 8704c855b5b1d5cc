#include "bot/cli/agent_pod_command.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "integrations/kubernetes/agent_pod.h"
#include "integrations/process/child_process.h"

namespace vigil {

void register_agent_pod_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<kubernetes::AgentPodArgs>();
  auto* cmd = app.add_subcommand("agent-pod", "run an agent turn inside its Kubernetes Pod (the Job's entrypoint)");
  cmd->group("");  // hidden: only the Job built by Vigil calls it
  cmd->add_option("--backend", args->backend, "claude-code, codex, gemini or command")->required();
  cmd->add_option("--context", args->context_dir, "the mounted context ConfigMap")->required();
  cmd->add_option("--workspace", args->workspace_dir, "the writable workspace (an emptyDir)")->required();
  cmd->add_option("--session", args->session_id, "the CLI session to resume");
  cmd->add_flag("--follow-up", args->follow_up, "answer context/follow-up.md");
  cmd->add_option("command", args->command, "the command backend's argv (after --)");
  cmd->callback([args, &exit_code] {
    args->environment = process::process_environment();
    exit_code = kubernetes::run_agent_pod(*args, std::cout);
  });
}

}  // namespace vigil
