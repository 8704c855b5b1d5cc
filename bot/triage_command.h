#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil triage --local "<text>" [--alert FILE [--source S]] [--backend B] [--yes]`:
/// a whole triage without Slack, progress printed and approvals asked on the terminal.
void register_triage_command(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
