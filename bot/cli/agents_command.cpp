#include "bot/cli/agents_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <set>

#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/cli/cli.h"
#include "integrations/agents/agent_check.h"
#include "integrations/process/child_process.h"

namespace vigil {
namespace {

// The agent backends the configuration can start: agent.backend and every channel binding's.
std::vector<std::string> configured_backends(const Config& config) {
  std::set<std::string> backends;
  if (config.agent.backend != "runbook") {
    backends.insert(config.agent.backend);
  }
  for (const auto& binding : config.channels) {
    if (!binding.backend.empty() && binding.backend != "runbook") {
      backends.insert(binding.backend);
    }
  }
  return {backends.begin(), backends.end()};
}

Task<> check_all(process::ChildProcess& runner, const Config& config, const std::vector<std::string>& backends,
                 std::vector<agents::AgentCheckReport>& reports) {
  const auto options = run_manager_options(config, null_logger());
  for (const auto& backend : backends) {
    auto cli = options.agent;
    cli.backend = backend;
    const auto scratch = config.agent.workspace_root + "/.agents-check-" + std::to_string(::getpid());
    auto report = co_await agents::check_agent_backend(runner, cli, scratch);
    reports.push_back(std::move(report));
  }
}

int cmd_agents_check(const std::string& config_path, const std::string& only_backend) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  auto backends = only_backend.empty() ? configured_backends(*config) : std::vector<std::string>{only_backend};
  if (backends.empty()) {
    std::cout << "no agent backend is configured (agent.backend is runbook and no channel names another)\n";
    return kExitOk;
  }
  if (config->agent.isolation == "kubernetes") {
    std::cout << "agent.isolation is kubernetes: agents run as Pods; their checks run in the cluster\n";
  }
  boost::asio::io_context io{1};
  SystemClock clock;
  process::ChildProcess runner(clock, null_logger());
  std::vector<agents::AgentCheckReport> reports;
  spawn(io.get_executor(), check_all(runner, *config, backends, reports), null_logger(), "agents check");
  io.run();
  bool all_ok = reports.size() == backends.size();
  for (const auto& report : reports) {
    std::cout << agents::format_check_report(report);
    all_ok = all_ok && report.ok();
  }
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace

void register_agents_command(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto backend = std::make_shared<std::string>();
  auto* agents = app.add_subcommand("agents", "check the agent backends");
  agents->require_subcommand(1);
  auto* check = agents->add_subcommand(
      "check", "for each agent backend: its CLI, credentials, the sandbox, and read-only access to the cluster");
  check->add_option("--backend", *backend, "check this backend only (claude-code, codex, gemini, command)")
      ->check(CLI::IsMember({"claude-code", "codex", "gemini", "command"}));
  check->callback([&config_path, &exit_code, backend] { exit_code = cmd_agents_check(config_path, *backend); });
}

}  // namespace vigil
