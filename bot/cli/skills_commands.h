#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil skills list | validate DIR… | run SKILL key=value… [--dry-run] [--yes]`.
/// `config_path` is the global --config value (read when a command runs); the chosen command's
/// exit code is written to `exit_code`.
void register_skills_commands(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
