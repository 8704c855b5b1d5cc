#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::kubernetes {

/// Requests and limits of an agent Pod's container (Kubernetes quantities).
struct AgentPodResources {
  std::string cpu_request = "250m";
  std::string memory_request = "512Mi";
  std::string cpu_limit = "2";
  std::string memory_limit = "2Gi";
  std::string workspace_size = "1Gi";  // the emptyDir workspace's sizeLimit
};

/// Where and how agent Pods run (`agent.kubernetes`).
struct AgentJobOptions {
  std::string namespace_name = "vigil-agents";
  std::string image;                                    // the agent image (deploy/Dockerfile.agent)
  std::string service_account = "vigil-agent";          // bound to the read-only ClusterRole
  std::string api_key_secret = "vigil-agent-api-keys";  // the agents' own API keys, nothing of Vigil's
  AgentPodResources resources;
  std::chrono::seconds ttl_after_finished{3600};
};

/// One turn's Job.
struct AgentJobRequest {
  std::string name;  // agent_job_name()
  std::string run_id;
  std::string backend;                    // claude-code, codex, gemini, command
  std::vector<std::string> command;       // the command backend's argv
  std::chrono::seconds timeout{15 * 60};  // activeDeadlineSeconds
  std::string session_id;                 // resume, may be empty
  bool follow_up = false;
};

inline constexpr const char* kContextMount = "/vigil/context";
inline constexpr const char* kWorkspaceMount = "/workspace";
/// The ConfigMap key naming where each file goes in the workspace: {"f0": "PROMPT.md", …}.
inline constexpr const char* kContextManifest = "manifest.json";

/// "vigil-agent-<run uuid>-<stamp>": unique per turn, a valid DNS label (under 63 characters).
std::string agent_job_name(const std::string& run_id, long long stamp_ms);

/// The API-key variable of a backend, fed from the api_key_secret (empty for `command`).
std::vector<std::string> api_key_variables(const std::string& backend);

/// The argv of the agent container: `vigil agent-pod …` (no shell).
std::vector<std::string> agent_pod_argv(const AgentJobRequest& request);

/// The batch/v1 Job of one agent turn: its own ServiceAccount, backoffLimit 0, activeDeadlineSeconds
/// = the run timeout, ttlSecondsAfterFinished, a locked-down security context, resource limits,
/// the context ConfigMap mounted read-only and an emptyDir workspace. Nothing of Vigil's: no
/// envFrom, no volume but the ConfigMap and emptyDirs, env only the run id and the backend's key.
nlohmann::json agent_job(const AgentJobOptions& options, const AgentJobRequest& request);

/// The ConfigMap holding the turn's context files (relative path, content), keys f0, f1, … and
/// manifest.json mapping them to their paths; owned
/// by the Job (uid) so it goes when the Job goes.
nlohmann::json context_config_map(const AgentJobOptions& options, const AgentJobRequest& request,
                                  const std::vector<std::pair<std::string, std::string>>& files,
                                  const std::string& job_uid);

}  // namespace vigil::kubernetes
