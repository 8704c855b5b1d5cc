#include "integrations/agents/agent_sandbox.h"

#include <filesystem>

#include "integrations/process/child_process.h"

namespace vigil::agents {
namespace {

namespace fs = std::filesystem;

bool is_under(const std::string& path, const std::string& folder) {
  if (path.size() < folder.size() || path.compare(0, folder.size(), folder) != 0) {
    return false;
  }
  return path.size() == folder.size() || path[folder.size()] == '/' || folder == "/";
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  if (const auto last = text.rfind('\n'); last != std::string::npos) {
    text = text.substr(last + 1);
  }
  return text.size() > 300 ? text.substr(0, 300) : text;
}

}  // namespace

const std::vector<std::string>& sandbox_system_paths() {
  static const std::vector<std::string> paths = {
      "/usr",
      "/bin",
      "/sbin",
      "/lib",
      "/lib32",
      "/lib64",
      "/opt/vigil/agent-clis",
      "/etc/alternatives",
      "/etc/ssl",
      "/etc/ca-certificates",
      "/etc/resolv.conf",
      "/etc/hosts",
      "/etc/nsswitch.conf",
      "/etc/host.conf",
      "/etc/gai.conf",
      "/etc/passwd",
      "/etc/group",
      "/etc/localtime",
      "/etc/ld.so.cache",
      "/etc/ld.so.conf",
      "/etc/ld.so.conf.d",
  };
  return paths;
}

std::vector<std::string> sandbox_argv(const SandboxSpec& spec, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {spec.bwrap,
                                   // user (where the kernel allows), pid, ipc, uts, cgroup and
                                   // network namespaces, then the host's network back for kubectl
                                   // and the model's API
                                   "--unshare-all", "--share-net", "--die-with-parent", "--cap-drop", "ALL",
                                   "--hostname", "vigil-agent"};
  // The private /tmp first: what is bound below may live under the host's /tmp.
  argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});
  for (const auto& path : sandbox_system_paths()) {
    argv.insert(argv.end(), {"--ro-bind-try", path, path});
  }
  for (const auto& path : spec.read_only) {
    argv.insert(argv.end(), {"--ro-bind", path, path});
  }
  argv.insert(argv.end(),
              {"--bind", spec.workspace, spec.workspace, "--remount-ro", "/", "--chdir", spec.workspace, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

IsolationChoice choose_isolation(std::string_view configured, const std::optional<std::string>& sandbox_failure) {
  IsolationChoice choice;
  if (configured == "none") {
    choice.mode = Isolation::None;
    choice.warning =
        "agent.isolation is none: agent runs share Vigil's user and can read what it can (its database, "
        "files and /proc); use bubblewrap on a host, or kubernetes";
    return choice;
  }
  if (configured == "kubernetes") {
    choice.mode = Isolation::Refused;
    choice.refusal = "agent.isolation is kubernetes: agent turns run as Pods of their own, never on Vigil's host";
    return choice;
  }
  if (!sandbox_failure) {
    choice.mode = Isolation::Bubblewrap;
    return choice;
  }
  choice.mode = Isolation::Refused;
  choice.refusal = "no sandbox for agent runs on this host (" + *sandbox_failure +
                   "): install bubblewrap and allow user namespaces, use agent.isolation: kubernetes, or set "
                   "agent.isolation: none to run agents unfenced";
  return choice;
}

Task<std::optional<std::string>> probe_sandbox(process::ChildProcess& runner, const std::string& bwrap,
                                               const std::string& scratch_dir) {
  std::error_code ec;
  fs::create_directories(scratch_dir, ec);
  process::ProcessSpec spec;
  spec.argv = sandbox_argv(SandboxSpec{bwrap, scratch_dir, {}}, {"true"});
  spec.env = process::make_environment({"PATH"}, {}, process::process_environment());
  spec.timeout = std::chrono::seconds(20);
  spec.grace = std::chrono::seconds(1);
  auto ran = co_await runner.run(std::move(spec));
  fs::remove_all(scratch_dir, ec);
  if (!ran) {
    std::optional<std::string> missing = bwrap + " is not installed (Debian: apt-get install bubblewrap)";
    co_return missing;
  }
  if (ran->exit_code && *ran->exit_code == 0) {
    co_return std::nullopt;
  }
  auto reason = one_line(ran->err);
  if (reason.empty()) {
    reason = "bubblewrap exited with code " + std::to_string(ran->exit_code.value_or(-1));
  }
  std::optional<std::string> failure = reason;
  co_return failure;
}

std::string program_folder_to_bind(const std::string& program, const std::string& path_variable) {
  const auto found = process::find_program(program, path_variable);
  if (!found) {
    return {};
  }
  std::error_code ec;
  const auto real = fs::canonical(*found, ec);
  if (ec) {
    return {};
  }
  const auto folder = real.parent_path().string();
  for (const auto& system : sandbox_system_paths()) {
    if (is_under(real.string(), system)) {
      return {};
    }
  }
  return folder;
}

}  // namespace vigil::agents

namespace vigil::agents {

IsolationGate::IsolationGate(std::string configured, std::string bwrap, std::string scratch_dir, Logger log)
    : configured_(std::move(configured)),
      bwrap_(std::move(bwrap)),
      scratch_dir_(std::move(scratch_dir)),
      log_(std::move(log)) {}

Task<IsolationChoice> IsolationGate::choice(process::ChildProcess& runner) {
  if (decided_) {
    co_return *decided_;
  }
  std::optional<std::string> failure;
  if (configured_ != "none" && configured_ != "kubernetes") {
    failure = co_await probe_sandbox(runner, bwrap_, scratch_dir_);
  }
  if (decided_) {  // another turn decided while this one probed
    co_return *decided_;
  }
  decided_ = choose_isolation(configured_, failure);
  if (!decided_->warning.empty()) {
    log_->warn("{}", decided_->warning);
  } else if (!decided_->refusal.empty()) {
    log_->error("agent runs will be refused: {}", decided_->refusal);
  } else {
    log_->info("agent runs are sandboxed with bubblewrap ({})", bwrap_);
  }
  co_return *decided_;
}

}  // namespace vigil::agents
