#pragma once

namespace vigil {

/// Exit codes of the vigil program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a runtime failure
inline constexpr int kExitUsage = 2;    // usage or configuration error

/// The whole command line: parses argv with CLI11 and runs the chosen command.
int run_cli(int argc, char** argv);

}  // namespace vigil
