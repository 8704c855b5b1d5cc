#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::process {

/// What to run. The environment is the child's whole environment: nothing is inherited.
struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is a path, or a name looked up in env PATH
  std::map<std::string, std::string> env;
  std::string working_dir;                  // empty: the current directory
  std::chrono::milliseconds timeout{0};     // 0: no timeout
  std::chrono::milliseconds grace{30'000};  // SIGINT → grace → SIGKILL
  std::size_t output_cap = 256 * 1024;      // bytes of each stream kept in memory
  std::string output_file;                  // when set, every byte of both streams goes here (0600)
  /// Called for each complete line (and a final unterminated one), stdout and stderr alike.
  std::function<void(std::string_view line, bool is_stderr)> on_line;
};

struct ProcessResult {
  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when a signal ended it
  bool timed_out = false;
  bool cancelled = false;
  bool truncated = false;  // more output than output_cap; the file has all of it
  std::chrono::milliseconds duration{0};
  std::string out;  // the first output_cap bytes of stdout
  std::string err;  // the first output_cap bytes of stderr
  std::size_t out_bytes = 0;
  std::size_t err_bytes = 0;

  bool succeeded() const { return exit_code && *exit_code == 0 && !timed_out && !cancelled; }
};

/// The process's own environment as a map.
std::map<std::string, std::string> process_environment();

/// The child environment: the allow-listed names from `source` plus `extra` (extra wins).
std::map<std::string, std::string> make_environment(const std::vector<std::string>& allowlist,
                                                    const std::map<std::string, std::string>& extra,
                                                    const std::map<std::string, std::string>& source);

/// Resolves a program name against a PATH value; a name with a slash is returned as it is.
std::optional<std::string> find_program(const std::string& name, const std::string& path);

/// Runs programs as child processes without a shell, each in its own process group, reading their
/// output asynchronously on the caller's io_context (no thread per process).
///
/// A timeout, or cancellation through the awaiting coroutine's cancellation slot, sends SIGINT to
/// the whole group, waits `grace`, then sends SIGKILL to the group. When the leader has exited,
/// whatever is left in its group is killed, so no background process outlives a step.
/// Waits use the injected Clock.
class ChildProcess {
 public:
  ChildProcess(Clock& clock, Logger log);

  /// A failure to start (program not found, fork failure) is an error; any exit is a result.
  Task<Result<ProcessResult>> run(ProcessSpec spec);

 private:
  Clock& clock_;
  Logger log_;
};

}  // namespace vigil::process
