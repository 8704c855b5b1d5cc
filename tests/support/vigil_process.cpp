#include "tests/support/vigil_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <set>

#include "tests/support/test_paths.h"

extern char** environ;

namespace vigil::test {
namespace {

/// Where the processes started by start_vigil write their log (and, in the tests, their store):
/// eventually() wakes up when something is written there.
std::mutex g_watched_mu;
std::set<std::string> g_watched_dirs;

void watch_dir_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) {
    return;
  }
  std::lock_guard lock(g_watched_mu);
  g_watched_dirs.insert(std::move(dir));
}

/// An inotify descriptor that becomes readable when a file in a watched directory is written.
class Activity {
 public:
  Activity() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0) {
      return;
    }
    std::lock_guard lock(g_watched_mu);
    for (const auto& dir : g_watched_dirs) {
      (void)::inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO);
    }
  }
  ~Activity() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  /// Waits until something is written, or at most `bound` (for what leaves no trace in a file,
  /// such as the in-process Slack emulator's state).
  void wait(std::chrono::milliseconds bound) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, fd_ >= 0 ? 1 : 0, static_cast<int>(bound.count())) > 0) {
      char buffer[4096];
      while (::read(fd_, buffer, sizeof buffer) > 0) {
      }
    }
  }

 private:
  int fd_;
};

}  // namespace

pid_t start_vigil(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log_path) {
  watch_dir_of(log_path);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    if (kv.rfind("SLACK_", 0) != 0 && kv.rfind("VIGIL_", 0) != 0) {
      env_strings.push_back(kv);
    }
  }
  // Tests run in parallel: the HTTP listener takes a free port unless the test chooses one.
  bool has_http_addr = false;
  for (const auto& kv : extra_env) {
    has_http_addr = has_http_addr || kv.rfind("VIGIL_HTTP_ADDR=", 0) == 0;
  }
  if (!has_http_addr) {
    env_strings.emplace_back("VIGIL_HTTP_ADDR=127.0.0.1:0");
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{vigil_binary().string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // Only stdin, stdout and stderr: an inherited listener (the Slack emulator's) would keep its port
  // accepting connections after the test stops it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

bool wait_until_ended(pid_t pid, std::chrono::milliseconds timeout) {
  // A pidfd becomes readable when the process ends (as a zombie too): the wait is on that event.
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    return errno == ESRCH;  // already gone
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ended = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) {
      ended = true;
      break;
    }
    if (n < 0 && errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return ended;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  (void)wait_until_ended(pid, timeout);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Activity activity;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    activity.wait(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace vigil::test
