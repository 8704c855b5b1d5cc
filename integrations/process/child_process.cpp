#include "integrations/process/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

extern char** environ;

namespace vigil::process {
namespace net = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// After the leader is gone, readers get this long to see end-of-file before the pipes are closed.
constexpr std::chrono::milliseconds kDrainLimit{2000};
// A line longer than this is delivered in pieces. An agent's JSON line carries a whole tool result
// (a file it read, a log it fetched), so this is well above what a terminal line would need.
constexpr std::size_t kMaxLine = 1024 * 1024;

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// The output of one process, shared by the two reader coroutines and the runner.
struct Capture {
  Capture(net::any_io_executor ex, int out_fd, int err_fd)
      : out(ex, out_fd), err(ex, err_fd), done(ex, net::steady_timer::time_point::max()) {}
  net::posix::stream_descriptor out;
  net::posix::stream_descriptor err;
  net::steady_timer done;  // expires when both readers have finished
  int pending = 2;
  std::size_t cap = 0;
  int file = -1;
  std::function<void(std::string_view, bool)> on_line;
  std::array<std::string, 2> kept;
  std::array<std::size_t, 2> total{0, 0};
  std::array<std::string, 2> partial;
  bool truncated = false;

  ~Capture() {
    if (file >= 0) {
      ::close(file);
    }
  }

  void take(int which, const char* data, std::size_t n) {
    total[which] += n;
    auto& k = kept[which];
    if (k.size() < cap) {
      k.append(data, std::min(n, cap - k.size()));
    }
    if (total[which] > cap) {
      truncated = true;
    }
    if (file >= 0) {
      std::size_t off = 0;
      while (off < n) {
        const auto w = ::write(file, data + off, n - off);
        if (w <= 0) {
          if (w < 0 && errno == EINTR) {
            continue;
          }
          break;
        }
        off += static_cast<std::size_t>(w);
      }
    }
    if (on_line) {
      split_lines(which, std::string_view(data, n));
    }
  }

  // Whole lines are handed over straight from the read buffer; only a line cut by the end of a
  // read is copied (into partial) until its end arrives.
  void split_lines(int which, std::string_view data) {
    auto& p = partial[which];
    while (!data.empty()) {
      const auto nl = data.find('\n');
      const auto piece = data.substr(0, nl == std::string_view::npos ? data.size() : nl);
      const auto room = kMaxLine - p.size();
      if (piece.size() >= room) {
        // Too long for one line: delivered in pieces of kMaxLine.
        p.append(piece.substr(0, room));
        on_line(p, which == 1);
        p.clear();
        data.remove_prefix(room);
        continue;
      }
      if (nl == std::string_view::npos) {
        p.append(piece);
        return;
      }
      if (p.empty()) {
        on_line(piece, which == 1);
      } else {
        p.append(piece);
        on_line(p, which == 1);
        p.clear();
      }
      data.remove_prefix(nl + 1);
    }
  }

  void finish(int which) {
    if (on_line && !partial[which].empty()) {
      on_line(partial[which], which == 1);
      partial[which].clear();
    }
    if (--pending == 0) {
      // An expiry in the past also completes a wait that starts later.
      done.expires_at(net::steady_timer::time_point::min());
    }
  }
};

Task<void> read_stream(std::shared_ptr<Capture> cap, int which) {
  // Readers stop at end-of-file (or when the runner closes the pipe), never on cancellation.
  const auto ignore_all_cancellation = [](net::cancellation_type_t) { return net::cancellation_type::none; };
  co_await net::this_coro::reset_cancellation_state(ignore_all_cancellation);
  auto& sd = which == 0 ? cap->out : cap->err;
  std::array<char, 64 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await sd.async_read_some(net::buffer(buf), kToken);
    if (n > 0) {
      cap->take(which, buf.data(), n);
    }
    if (ec) {
      break;
    }
  }
  cap->finish(which);
}

// Completes when the pidfd says the process has exited (it stays a zombie until reaped);
// false when the wait was cancelled.
Task<bool> wait_exit(net::posix::stream_descriptor& pidfd) {
  auto [ec] = co_await pidfd.async_wait(net::posix::stream_descriptor::wait_read, kToken);
  co_return !ec;
}

Task<void> wait_done(net::steady_timer& done) {
  auto [ec] = co_await done.async_wait(kToken);
  (void)ec;  // expired (done) or cancelled (the caller gave up waiting)
}

bool exited_now(pid_t pid) {
  siginfo_t info{};
  info.si_pid = 0;
  // WNOWAIT: look without reaping, so the pid (and the group id) stay ours until we reap.
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

}  // namespace

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) {
      out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  return out;
}

std::map<std::string, std::string> make_environment(const std::vector<std::string>& allowlist,
                                                    const std::map<std::string, std::string>& extra,
                                                    const std::map<std::string, std::string>& source) {
  std::map<std::string, std::string> out;
  for (const auto& name : allowlist) {
    if (const auto it = source.find(name); it != source.end()) {
      out[name] = it->second;
    }
  }
  for (const auto& [k, v] : extra) {
    out[k] = v;
  }
  return out;
}

std::optional<std::string> find_program(const std::string& name, const std::string& path) {
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string::npos) {
    return name;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) {
      dir = ".";
    }
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

ChildProcess::ChildProcess(Clock& clock, Logger log) : clock_(clock), log_(std::move(log)) {}

Task<Result<ProcessResult>> ChildProcess::run(ProcessSpec spec) {
  // Cancellation is observed and answered with SIGINT/SIGKILL below, never thrown.
  co_await net::this_coro::throw_if_cancelled(false);
  auto ex = co_await net::this_coro::executor;

  if (spec.argv.empty()) {
    co_return make_error(Errc::InvalidInput, "empty argv");
  }
  const auto path_it = spec.env.find("PATH");
  const auto program =
      find_program(spec.argv[0], path_it == spec.env.end() ? std::string() : path_it->second);
  if (!program) {
    co_return make_error(Errc::NotFound, "program not found: " + spec.argv[0]);
  }

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    co_return make_error(Errc::Io, std::string("pipe: ") + std::strerror(errno));
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    co_return make_error(Errc::Io, std::string("pipe: ") + std::strerror(errno));
  }
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);

  Fd file;
  if (!spec.output_file.empty()) {
    file.fd = ::open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (file.fd < 0) {
      co_return make_error(Errc::Io, "cannot write " + spec.output_file + ": " + std::strerror(errno));
    }
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  // Nothing else of Vigil's: its sockets (Slack, the webhook listener) are not close-on-exec, and a
  // child must neither use them nor keep them open after a crash of Vigil.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
  }
  // Own process group, default signal dispositions, nothing blocked.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [k, v] : spec.env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : spec.argv) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  pid_t pid = -1;
  const auto started = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&pid, program->c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  out_w.reset();
  err_w.reset();
  if (rc != 0) {
    co_return make_error(Errc::Io, "cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  }

  const int pidfd_raw = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_raw < 0) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    co_return make_error(Errc::Io, std::string("pidfd_open: ") + std::strerror(errno));
  }
  net::posix::stream_descriptor pidfd(ex, pidfd_raw);

  auto cap = std::make_shared<Capture>(ex, out_r.release(), err_r.release());
  cap->cap = spec.output_cap;
  cap->file = file.release();
  cap->on_line = spec.on_line;
  vigil::spawn(ex, read_stream(cap, 0), log_, "child stdout reader");
  vigil::spawn(ex, read_stream(cap, 1), log_, "child stderr reader");

  ProcessResult result;
  bool exited = false;
  if (spec.timeout.count() > 0) {
    auto r = co_await (wait_exit(pidfd) || clock_.sleep_for(spec.timeout));
    exited = exited_now(pid);
    if (!exited) {
      const auto cs = co_await net::this_coro::cancellation_state;
      if (cs.cancelled() != net::cancellation_type::none) {
        result.cancelled = true;
      } else if (r.index() == 1 && std::get<1>(r)) {
        result.timed_out = true;
      }
    }
  } else {
    co_await wait_exit(pidfd);
    exited = exited_now(pid);
    if (!exited) {
      result.cancelled = true;
    }
  }
  if (!exited && !result.timed_out && !result.cancelled) {
    // Neither ended nor timed out: only cancellation can wake us early.
    result.cancelled = true;
  }
  if (!exited) {
    co_await net::this_coro::reset_cancellation_state();
    log_->info("pid {} {}: SIGINT to its process group", pid,
               result.timed_out ? "timed out" : "cancelled");
    ::kill(-pid, SIGINT);
    co_await (wait_exit(pidfd) || clock_.sleep_for(spec.grace));
    if (!exited_now(pid)) {
      log_->warn("pid {} still running after {} ms grace: SIGKILL to its process group", pid,
                 spec.grace.count());
      ::kill(-pid, SIGKILL);
      while (!exited_now(pid)) {
        co_await net::this_coro::reset_cancellation_state();
        co_await wait_exit(pidfd);
      }
    }
  }
  // The leader is a zombie, so its pid still names the group: nothing of it may outlive the step.
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }

  if (cap->pending > 0) {
    co_await net::this_coro::reset_cancellation_state();
    co_await (wait_done(cap->done) || clock_.sleep_for(kDrainLimit));
    if (cap->pending > 0) {
      boost::system::error_code ignored;
      cap->out.close(ignored);
      cap->err.close(ignored);
      co_await wait_done(cap->done);
    }
  }
  result.out = std::move(cap->kept[0]);
  result.err = std::move(cap->kept[1]);
  result.out_bytes = cap->total[0];
  result.err_bytes = cap->total[1];
  result.truncated = cap->truncated;
  co_return result;
}

}  // namespace vigil::process
