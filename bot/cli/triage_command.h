#pragma once

#include <optional>
#include <string>

#include "bot/store/model.h"

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil triage --local "<text>" [--alert FILE [--source S]] [--backend B] [--yes]`:
/// a whole triage without Slack, progress printed and approvals asked on the terminal.
void register_triage_command(CLI::App& app, const std::string& config_path, int& exit_code);

/// The exit code of `vigil triage --local` for what its run came to: 0 fixed or diagnosed, 3 no
/// change made (fix denied, nothing to do, needs input, skipped), 130 cancelled, 1 failed, timed
/// out, interrupted or unknown.
int triage_exit_code(std::optional<RunResult> result);

}  // namespace vigil
