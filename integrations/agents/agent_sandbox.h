#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::process {
class ChildProcess;
}

namespace vigil::agents {

/// How agent turns on this host are fenced off from Vigil (agent.isolation).
enum class Isolation {
  Bubblewrap,  // each turn in its own bubblewrap sandbox
  None,        // as Vigil's own user, with only the environment filtered (agent.isolation: none)
  Refused,     // no sandbox could be made and none was not chosen: agent turns do not start
};

/// One sandboxed command: bubblewrap's argv around it. Inside: new user (where the kernel allows),
/// pid, ipc, uts and cgroup namespaces and the host's network (kubectl and the model's API);
/// every capability dropped; a fresh /proc that shows only the sandbox's own processes; a minimal
/// /dev; a private /tmp; the system folders and `read_only` bound read-only; `workspace` bound
/// read-write at its own path and the working directory; everything else (Vigil's database,
/// configuration, secret files, remediation kubeconfig, home) absent. The sandbox dies with its
/// parent, and every process in it dies with its first one.
struct SandboxSpec {
  std::string bwrap = "bwrap";
  std::string workspace;
  std::vector<std::string> read_only;
};

/// The host folders a sandbox binds read-only when they exist: the programs and libraries, the
/// agent CLIs the bootstrap installs (/opt/vigil/agent-clis), and the few files of /etc that
/// name resolution, TLS and user lookup need (never all of /etc: Vigil's configuration lives there).
const std::vector<std::string>& sandbox_system_paths();

/// The whole argv: bubblewrap, its options, `--`, then `command` unchanged.
std::vector<std::string> sandbox_argv(const SandboxSpec& spec, const std::vector<std::string>& command);

/// The decision behind agent.isolation on this host, from what was configured and whether a
/// sandbox starts here (`sandbox_failure`: empty when it does, else why not).
struct IsolationChoice {
  Isolation mode = Isolation::Refused;
  std::string warning;  // logged at every start (isolation: none)
  std::string refusal;  // Refused: why agent turns will not start, and what to do
};
IsolationChoice choose_isolation(std::string_view configured, const std::optional<std::string>& sandbox_failure);

/// Starts `bwrap … true` with a scratch workspace: empty when a sandbox can be made here, else the
/// reason (bubblewrap missing, user namespaces refused, …) in one line.
Task<std::optional<std::string>> probe_sandbox(process::ChildProcess& runner, const std::string& bwrap,
                                               const std::string& scratch_dir);

/// The folder that holds a program's real file (symlinks resolved), for binding it read-only when it
/// lies outside sandbox_system_paths(); empty when it is already inside, or cannot be found.
std::string program_folder_to_bind(const std::string& program, const std::string& path_variable);

}  // namespace vigil::agents

namespace vigil::agents {

/// The isolation decision for every agent turn of a process, made once: the configured
/// agent.isolation and, unless it is none, a probe that a sandbox starts here. The decision is
/// logged once (a warning for none, an error when turns will be refused).
class IsolationGate {
 public:
  IsolationGate(std::string configured, std::string bwrap, std::string scratch_dir, Logger log);
  /// The decision; the first call probes (later ones wait for nothing).
  Task<IsolationChoice> choice(process::ChildProcess& runner);
  const std::string& bwrap() const { return bwrap_; }

 private:
  std::string configured_;
  std::string bwrap_;
  std::string scratch_dir_;
  Logger log_;
  std::optional<IsolationChoice> decided_;
};

}  // namespace vigil::agents
