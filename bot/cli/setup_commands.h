#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Adds `vigil init` (the interactive set-up) and `vigil healthcheck` (GET /healthz for container
/// HEALTHCHECKs) to the command line. `config_path` is the global --config value, read when the
/// command runs; `exit_code` receives the command's exit code.
void add_setup_commands(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
