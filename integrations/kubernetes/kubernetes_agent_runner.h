#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"
#include "integrations/agents/agent_cli.h"
#include "integrations/agents/agent_runner.h"
#include "integrations/kubernetes/agent_job.h"
#include "integrations/kubernetes/kube_api.h"

namespace vigil::kubernetes {

struct KubernetesRunnerOptions {
  AgentJobOptions job;
  std::chrono::milliseconds poll{2000};  // how often the Pod's phase and log are read
  /// Vigil's own deadline is the run timeout plus this (scheduling, image pull); the Job's
  /// activeDeadlineSeconds is the run timeout itself.
  std::chrono::milliseconds start_allowance{5 * 60 * 1000};
  std::size_t log_cap = 8 * 1024 * 1024;  // limitBytes of a pods/log read
  std::size_t context_cap = 900 * 1024;   // the ConfigMap's files (the API takes 1 MiB)
};

/// The files of a workspace that go into a turn's ConfigMap: PROMPT.md, context/** and an
/// earlier output/summary.md, regular files only (symlinks are never followed), relative paths.
std::vector<std::pair<std::string, std::string>> agent_context_files(const agents::Workspace& workspace,
                                                                     std::size_t cap);

/// Runs each agent turn as a Job of its own in the agents namespace: the context goes in as a
/// ConfigMap owned by the Job, the stream comes back by reading the Pod's log as it grows, the
/// outputs come back framed at the end of that log (`vigil agent-pod`) and are written into the
/// run's workspace. Cancel deletes the Job (propagationPolicy Background); a turn past the run
/// timeout is ended by the Job's activeDeadlineSeconds, and past Vigil's own deadline by deleting it.
class KubernetesAgentRunner final : public agents::AgentRunner {
 public:
  KubernetesAgentRunner(KubeApi& api, Clock& clock, KubernetesRunnerOptions options, agents::AgentCliOptions cli,
                        Logger log);

  Task<Result<agents::AgentTurnResult>> run_turn(const agents::Workspace& workspace, agents::AgentTurn turn,
                                                 EventSink sink) override;

 private:
  struct Followed;
  Task<Result<void>> create_job(const AgentJobRequest& request,
                                const std::vector<std::pair<std::string, std::string>>& files);
  Task<Followed> follow(const AgentJobRequest& request, const agents::Workspace& workspace, const EventSink& sink);
  Task<void> delete_job(const std::string& name, const char* why);
  std::string ns_path(const std::string& api, const std::string& resource) const;

  KubeApi& api_;
  Clock& clock_;
  KubernetesRunnerOptions options_;
  agents::AgentCliOptions cli_;
  Logger log_;
  std::string session_;  // of the last turn's stream
  int malformed_ = 0;
  agents::AgentUsage usage_;
  std::vector<std::string> api_errors_;
};

}  // namespace vigil::kubernetes
