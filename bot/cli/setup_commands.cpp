#include "bot/cli/setup_commands.h"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "bot/cli/cli.h"
#include "bot/core/config.h"
#include "bot/cli/health_probe.h"
#include "bot/cli/init_wizard.h"

namespace vigil {
namespace {

struct InitOptions {
  std::string output = "vigil.yaml";
  std::string env_file;  // empty: vigil.env beside the output
};

// The terminal's settings while a secret is typed with echo off, so a signal can put them back.
termios saved_terminal{};
volatile std::sig_atomic_t echo_is_off = 0;

extern "C" void restore_echo_and_reraise(int signal_number) {
  if (echo_is_off != 0) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);  // async-signal-safe
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Echo of typed characters on stdin's terminal off (false) or back on (true); Ctrl-C or a
// termination signal while it is off still leaves the terminal echoing.
void set_terminal_echo(bool on) {
  if (!on) {
    if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) {
      return;
    }
    termios quiet = saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    echo_is_off = 1;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      std::signal(sig, restore_echo_and_reraise);
    }
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    return;
  }
  if (echo_is_off != 0) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
    echo_is_off = 0;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      std::signal(sig, SIG_DFL);
    }
  }
}

int cmd_init(const InitOptions& o) {
  const std::filesystem::path output(o.output);
  const auto env_file = o.env_file.empty() ? output.parent_path() / "vigil.env" : std::filesystem::path(o.env_file);
  // A person at a terminal is asked before a value in the env file changes and types secrets
  // unseen; piped answers are read as lines and never replace what is there.
  InitTerminal terminal;
  if (::isatty(STDIN_FILENO) == 1) {
    terminal.interactive = true;
    terminal.echo = set_terminal_echo;
  }
  InitWizard wizard(std::cin, std::cout, terminal);
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
  auto* init =
      app.add_subcommand("init",
                         "interactive set-up: asks for tokens, channels, kubeconfigs, alert sources, their alert "
                         "channel and approvers; writes the config file and merges the tokens into a 0600 env file "
                         "(creates no folder)");
  init->add_option("-o,--output", options->output, "configuration file to write (default vigil.yaml)");
  init->add_option("--env-file", options->env_file, "where the tokens go (default: vigil.env beside the output)");
  init->callback([options, &exit_code] { exit_code = cmd_init(*options); });

  auto* health =
      app.add_subcommand("healthcheck", "GET /healthz on http.listen; exit 0 when it answers 200 (for HEALTHCHECK)");
  health->callback([&config_path, &exit_code] { exit_code = cmd_healthcheck(config_path); });
}

}  // namespace vigil
