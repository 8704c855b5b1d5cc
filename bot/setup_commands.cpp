#include "bot/setup_commands.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "bot/cli.h"
#include "bot/config.h"
#include "bot/health_probe.h"
#include "bot/init_wizard.h"

namespace vigil {
namespace {

struct InitOptions {
  std::string output = "vigil.yaml";
  std::string env_file;  // empty: vigil.env beside the output
};

int cmd_init(const InitOptions& o) {
  const std::filesystem::path output(o.output);
  const auto env_file = o.env_file.empty() ? output.parent_path() / "vigil.env"
                                           : std::filesystem::path(o.env_file);
  InitWizard wizard(std::cin, std::cout);
  const auto r = wizard.run(output, env_file);
  if (!r) {
    std::cerr << "vigil init: " << r.error().detail << "\n";
    return r.error().is(Errc::Io) ? kExitFailure : kExitUsage;
  }
  return kExitOk;
}

int cmd_healthcheck(const std::string& config_flag) {
  auto env = current_environment();
  std::string path = config_flag;
  if (path.empty() && env.count("VIGIL_CONFIG")) {
    path = env["VIGIL_CONFIG"];
  }
  const auto load = load_config(path, env);
  if (!load.ok()) {
    std::cerr << "vigil healthcheck: the configuration does not load (vigil config check)\n";
    return kExitUsage;
  }
  const auto status = probe_http(load.config.http.listen, "/healthz", std::chrono::seconds(3));
  if (!status) {
    std::cerr << "vigil healthcheck: " << status.error().detail << "\n";
    return kExitFailure;
  }
  if (*status != 200) {
    std::cerr << "vigil healthcheck: /healthz answered " << *status << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_setup_commands(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto options = std::make_shared<InitOptions>();
  auto* init = app.add_subcommand(
      "init", "interactive set-up: asks for tokens, channels, kubeconfigs, alert sources and "
              "approvers, writes the config file and a 0600 env file with the tokens");
  init->add_option("-o,--output", options->output, "configuration file to write (default vigil.yaml)");
  init->add_option("--env-file", options->env_file,
                   "where the tokens go (default: vigil.env beside the output)");
  init->callback([options, &exit_code] { exit_code = cmd_init(*options); });

  auto* health = app.add_subcommand(
      "healthcheck", "GET /healthz on http.listen; exit 0 when it answers 200 (for HEALTHCHECK)");
  health->callback([&config_path, &exit_code] { exit_code = cmd_healthcheck(config_path); });
}

}  // namespace vigil
