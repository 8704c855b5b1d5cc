#include "integrations/kubernetes/agent_pod.h"

#include <fstream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "bot/base/logging.h"
#include "integrations/agents/agent_cli.h"
#include "integrations/kubernetes/agent_job.h"
#include "integrations/kubernetes/agent_pod_frames.h"
#include "integrations/process/child_process.h"

namespace vigil::kubernetes {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_regular(const fs::path& file) {
  std::error_code ec;
  if (fs::symlink_status(file, ec).type() != fs::file_type::regular) {
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool safe_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute()) {
    return false;
  }
  for (const auto& part : p) {
    if (part == ".." || part == ".") {
      return false;
    }
  }
  return true;
}

// The file (the ConfigMap's volume links each key through ..data; follow only those).
std::optional<std::string> read_key(const fs::path& dir, const std::string& key) {
  std::ifstream in(dir / key, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<void> place(const fs::path& workspace, const fs::path& rel, const std::string& content) {
  std::error_code ec;
  fs::path dir = workspace;
  for (auto it = rel.begin(); std::next(it) != rel.end(); ++it) {
    dir /= *it;
    if (fs::is_symlink(fs::symlink_status(dir, ec))) {
      return make_error(Errc::InvalidInput, "context path through a symlink: " + rel.string());
    }
    fs::create_directory(dir, ec);
  }
  return agents::write_private_file(workspace / rel, content);
}

Task<int> run_cli(const AgentPodArgs& args, std::ostream& out) {
  SystemClock clock;
  // Nothing but the agent's own stream and the frames may reach the Pod's log (stdout and stderr
  // both end up there): the child-process log stays silent.
  auto log = null_logger("agent-pod");
  process::ChildProcess runner(clock, log);
  agents::AgentCliOptions o;
  o.backend = args.backend;
  o.command = args.command;
  o.env_allowlist = {"PATH", "HOME", "LANG", "LC_ALL", "TZ"};
  o.environment = args.environment;
  o.environment["HOME"] = (args.workspace_dir / ".home").string();
  if (const auto host = args.environment.find("KUBERNETES_SERVICE_HOST"); host != args.environment.end()) {
    const auto port = args.environment.count("KUBERNETES_SERVICE_PORT") ? args.environment.at("KUBERNETES_SERVICE_PORT")
                                                                        : std::string("443");
    const auto kubeconfig = args.workspace_dir / ".kube" / "config";
    std::error_code ec;
    fs::create_directories(kubeconfig.parent_path(), ec);
    (void)agents::write_private_file(
        kubeconfig, in_cluster_kubeconfig("https://" + host->second + ":" + port, args.service_account_dir));
    o.read_only_kubeconfig = kubeconfig.string();
  }
  agents::AgentTurn turn;
  turn.run_id = args.environment.count("INCIDENT_ID") ? args.environment.at("INCIDENT_ID") : std::string();
  turn.session_id = args.session_id;
  if (args.follow_up) {
    turn.question = read_regular(args.workspace_dir / "context" / "follow-up.md").value_or("(follow-up)");
  }
  process::ProcessSpec spec;
  spec.argv = agents::agent_argv(o, turn);
  spec.env = agents::agent_environment(o, turn.run_id, args.workspace_dir.string());
  spec.working_dir = args.workspace_dir.string();
  spec.output_cap = 64 * 1024;
  spec.on_line = [&out](std::string_view line, bool is_stderr) {
    if (is_stderr) {
      out << kStderrFrame;
    }
    out << line << '\n';
    out.flush();
  };
  auto ran = co_await runner.run(std::move(spec));
  if (!ran) {
    out << kStderrFrame << "agent-pod: " << ran.error().message() << '\n';
    co_return 127;
  }
  int code = 128 + ran->signal.value_or(0);
  if (ran->exit_code) {
    code = *ran->exit_code;
  }
  co_return code;
}

}  // namespace

Result<void> materialize_context(const fs::path& context_dir, const fs::path& workspace) {
  const auto manifest_text = read_key(context_dir, kContextManifest);
  if (!manifest_text) {
    return make_error(Errc::NotFound, "no " + std::string(kContextManifest) + " in " + context_dir.string());
  }
  const auto manifest = nlohmann::json::parse(*manifest_text, nullptr, false);
  if (!manifest.is_object()) {
    return make_error(Errc::InvalidInput, std::string(kContextManifest) + " is not a JSON object");
  }
  std::error_code ec;
  fs::create_directories(workspace / "output", ec);
  fs::create_directories(workspace / ".home", ec);
  for (const auto& [key, path] : manifest.items()) {
    if (!path.is_string() || key.find('/') != std::string::npos || !safe_relative(path.get<std::string>())) {
      return make_error(Errc::InvalidInput, "bad context entry " + key);
    }
    const auto content = read_key(context_dir, key);
    if (!content) {
      return make_error(Errc::NotFound, "context file " + key + " missing");
    }
    if (auto placed = place(workspace, path.get<std::string>(), *content); !placed) {
      return placed.error();
    }
  }
  return {};
}

std::string in_cluster_kubeconfig(const std::string& server, const std::string& sa_dir) {
  std::ostringstream k;
  k << "apiVersion: v1\nkind: Config\n"
    << "clusters:\n- name: in-cluster\n  cluster:\n    server: " << server << "\n"
    << "    certificate-authority: " << sa_dir << "/ca.crt\n"
    << "users:\n- name: agent\n  user:\n    tokenFile: " << sa_dir << "/token\n"
    << "contexts:\n- name: agent\n  context:\n    cluster: in-cluster\n    user: agent\n"
    << "current-context: agent\n";
  return k.str();
}

int run_agent_pod(const AgentPodArgs& args, std::ostream& out) {
  if (auto laid = materialize_context(args.context_dir, args.workspace_dir); !laid) {
    out << kStderrFrame << "agent-pod: " << laid.error().message() << '\n' << exit_frame(2) << '\n';
    return 2;
  }
  boost::asio::io_context io;
  int code = 1;
  boost::asio::co_spawn(
      io, [&]() -> Task<void> { code = co_await run_cli(args, out); }, boost::asio::detached);
  io.run();
  for (const char* name : {"summary.md", "proposals.json"}) {
    if (const auto content = read_regular(args.workspace_dir / "output" / name)) {
      const auto capped = content->substr(0, returned_output_cap(name));
      for (const auto& line : output_frames(name, capped)) {
        out << line << '\n';
      }
    }
  }
  out << exit_frame(code) << '\n';
  out.flush();
  return code;
}

}  // namespace vigil::kubernetes
