#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil::kubernetes {

/// What `vigil agent-pod` is told by its Job (agent_pod_argv) and its environment.
struct AgentPodArgs {
  std::string backend;
  std::filesystem::path context_dir;    // the ConfigMap, mounted read-only
  std::filesystem::path workspace_dir;  // an emptyDir
  std::string session_id;
  bool follow_up = false;
  std::vector<std::string> command;                // the command backend's argv
  std::map<std::string, std::string> environment;  // the Pod's own
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

/// Writes the ConfigMap's files into the workspace at the paths its manifest.json names (relative,
/// no "..", never through a symlink), and makes output/ and .home/.
Result<void> materialize_context(const std::filesystem::path& context_dir, const std::filesystem::path& workspace);

/// A kubeconfig for the Pod's own ServiceAccount (token file and CA of the mounted account).
std::string in_cluster_kubeconfig(const std::string& server, const std::string& service_account_dir);

/// The agent Pod's entrypoint: lays out the workspace, runs the backend's CLI by argv (no shell)
/// with the read-only environment, copies its stdout to `out` line by line (stderr lines marked),
/// then frames output/summary.md and output/proposals.json and the exit code (agent_pod_frames.h).
/// Returns the CLI's exit code (128 + signal when a signal ended it).
int run_agent_pod(const AgentPodArgs& args, std::ostream& out);

}  // namespace vigil::kubernetes
