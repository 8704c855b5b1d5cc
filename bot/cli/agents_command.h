#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil agents check [--backend NAME]`: for each configured agent backend (or the one
/// named), its CLI and version, its credentials (present or not), the sandbox starting, and from
/// inside the sandbox `kubectl auth can-i --list` showing read-only access to the API server. Exit
/// 0 only when every check passes, 1 when one fails, 2 on a configuration error.
void register_agents_command(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
