#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace vigil::test {

/// Starts the vigil binary with `args`, the test's environment minus SLACK_* and VIGIL_* plus
/// `extra_env` ("K=V"), stderr to `log_path`. Returns the pid (or -1).
pid_t start_vigil(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log_path);
/// Waits for the process to exit; its exit code, 128+signal, or -1 after killing it at the timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);
/// Polls `condition` until it holds or the timeout passes (a bounded wait for something another
/// process does, never a fixed sleep).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace vigil::test
