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
/// Waits (bounded) until a process has ended, a zombie included; it need not be our child. The
/// wait is on a pidfd, so it returns as soon as the process ends.
bool wait_until_ended(pid_t pid, std::chrono::milliseconds timeout);
/// Checks `condition` until it holds or the timeout passes: a bounded wait for something another
/// process does. It checks again as soon as a file is written where a process started by
/// start_vigil writes its log (and store), and at least every 20 ms for what leaves no trace in a
/// file (the in-process emulator's state).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace vigil::test
