#pragma once

namespace vigil {

/// Exit codes of the vigil program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // a runtime failure
inline constexpr int kExitUsage = 2;        // usage or configuration error
inline constexpr int kExitNoChange = 3;     // `triage --local`: the run worked but changed nothing it was
                                            // asked to (fix denied, nothing to do, needs input, skipped)
inline constexpr int kExitCancelled = 130;  // `triage --local`: cancelled (Ctrl-C)

/// The whole command line: parses argv with CLI11 and runs the chosen command.
int run_cli(int argc, char** argv);

}  // namespace vigil
