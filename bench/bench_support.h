#pragma once
// Helpers shared by the benchmark programs that drive a child process (`vigil serve`, the Bolt
// app) against the Slack emulator: starting and stopping it, and reading its CPU time and memory
// from /proc.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "integrations/slack/emulator/slack_emulator.h"

extern char** environ;

namespace vigil::bench {

inline std::string app_token() {
  return std::string("xa") + "pp-1-BENCH-0-" + "emulated";
}
inline std::string bot_token() {
  return std::string("xo") + "xb-0-0-" + "emulated";
}

/// Starts `argv` with exactly `env`, stdout and stderr appended to `log_path`, in `cwd` when given.
/// Returns the pid or -1.
inline pid_t start_process(std::vector<std::string> argv, std::vector<std::string> env, const std::string& log_path,
                           const std::string& cwd = "") {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // no inherited sockets: a stopped peer stays stopped
  if (!cwd.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  }
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

/// SIGTERM, then SIGKILL after `grace`. Returns the exit code, 128+signal, or -1.
inline int stop_process(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(20)) {
  if (pid <= 0) {
    return -1;
  }
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      break;
    }
    if (r < 0) {
      return -1;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/// Starts the `vigil` binary as `vigil --config <dir>/config.yaml serve` in `dir` against the
/// emulator at `api_url` (PATH and HOME only, plus the Slack settings), its output in
/// <dir>/vigil.log. Returns the pid or -1.
inline pid_t start_vigil_serve(const std::filesystem::path& vigil, const std::filesystem::path& dir,
                               const std::string& api_url) {
  const char* path_env = std::getenv("PATH");
  return start_process({vigil.string(), "--config", (dir / "config.yaml").string(), "serve"},
                       {std::string("PATH=") + (path_env ? path_env : "/usr/bin:/bin"), "HOME=" + dir.string(),
                        "SLACK_API_URL=" + api_url, "SLACK_APP_TOKEN=" + app_token(), "SLACK_BOT_TOKEN=" + bot_token()},
                       (dir / "vigil.log").string(), dir.string());
}

/// An events_api envelope carrying a person's message in a public channel, as Slack sends it
/// for message.channels.
inline nlohmann::json channel_message_envelope(const std::string& envelope_id, const std::string& event_id,
                                               const std::string& user, const std::string& channel,
                                               const std::string& text, const std::string& ts) {
  return nlohmann::json{{"envelope_id", envelope_id},
                        {"type", "events_api"},
                        {"accepts_response_payload", false},
                        {"payload",
                         {{"type", "event_callback"},
                          {"event_id", event_id},
                          {"team_id", "T111"},
                          {"event",
                           {{"type", "message"},
                            {"user", user},
                            {"channel", channel},
                            {"channel_type", "channel"},
                            {"text", text},
                            {"ts", ts}}}}}};
}

/// A slash_commands envelope as Slack sends it over Socket Mode: `/triage <text>` from `user` in
/// `channel`, answered through `response_url`.
inline nlohmann::json slash_command_envelope(const std::string& id, const std::string& response_url,
                                             const std::string& text, const std::string& channel = "C111",
                                             const std::string& user = "U0BENCH0001") {
  return nlohmann::json{{"envelope_id", "env-" + id},
                        {"type", "slash_commands"},
                        {"accepts_response_payload", true},
                        {"payload",
                         {{"token", "unused"},
                          {"team_id", "T111"},
                          {"team_domain", "emulated"},
                          {"channel_id", channel},
                          {"channel_name", "general"},
                          {"user_id", user},
                          {"user_name", "bench"},
                          {"command", "/triage"},
                          {"text", text},
                          {"api_app_id", "A0VIGIL"},
                          {"is_enterprise_install", "false"},
                          {"response_url", response_url},
                          {"trigger_id", "1337." + id}}}};
}

/// "PATH=…" for a child's environment: this process's PATH, or the usual one.
inline std::string path_variable() {
  const char* path = std::getenv("PATH");
  return std::string("PATH=") + (path ? path : "/usr/local/bin:/usr/bin:/bin");
}

/// Where `name` is on PATH (an executable file), if anywhere.
inline std::optional<std::filesystem::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= p.size()) {
    const auto colon = p.find(':', pos);
    const std::filesystem::path dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (!dir.empty() && ::access((dir / name).c_str(), X_OK) == 0) {
      return dir / name;
    }
    if (colon == std::string::npos) {
      break;
    }
    pos = colon + 1;
  }
  return std::nullopt;
}

/// The last `bytes` of a file (a child's log, when it did not come up).
inline std::string tail_of(const std::string& path, std::size_t bytes = 1500) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

/// A positive integer from the environment, or `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::max(1, std::atoi(v)) : fallback;
}

/// User + system CPU seconds of the process (all its threads), from /proc/<pid>/stat.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  // Fields after the name start at 3 (state); utime is 14, stime 15.
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// A "Vm…:" line of /proc/<pid>/status in KiB (VmRSS, VmHWM), or -1.
inline long status_kib(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::stol(line.substr(key.size() + 1));
    }
  }
  return -1;
}

inline double mib(long kib) {
  return static_cast<double>(kib) / 1024.0;
}

/// The q-quantile (0..1) of `values` (sorted here), or 0 when empty.
inline double quantile(std::vector<double> values, double q) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const auto i = std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())));
  return values[i];
}

inline double max_of(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

/// The acks of envelopes the emulator sent, waited for until `limit` from now: how many came, how
/// many after Slack's deadline, and their latency (frame written → ack read) in milliseconds.
struct AckFigures {
  int acked = 0;
  int late = 0;
  double p50 = 0, p99 = 0, max = 0;
};
inline AckFigures collect_acks(slack::SlackEmulator& emu, const std::vector<std::string>& envelope_ids,
                               std::chrono::milliseconds limit) {
  AckFigures f;
  std::vector<double> ack_ms;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (const auto& id : envelope_ids) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (auto a = emu.wait_for_ack(id, std::max(left, std::chrono::milliseconds(0)))) {
      ack_ms.push_back(static_cast<double>(a->latency.count()) / 1000.0);
      f.late += a->late ? 1 : 0;
    }
  }
  f.acked = static_cast<int>(ack_ms.size());
  f.p50 = quantile(ack_ms, 0.50);
  f.p99 = quantile(ack_ms, 0.99);
  f.max = max_of(ack_ms);
  return f;
}

}  // namespace vigil::bench
