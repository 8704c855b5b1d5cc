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
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// The program argv[0] names, looked up in the child's own PATH.
Result<std::string> resolve_program(const ProcessSpec& spec) {
  if (spec.argv.empty()) {
    return make_error(Errc::InvalidInput, "empty argv");
  }
  const auto path_it = spec.env.find("PATH");
  const auto program = find_program(spec.argv[0], path_it == spec.env.end() ? std::string() : path_it->second);
  if (!program) {
    return make_error(Errc::NotFound, "program not found: " + spec.argv[0]);
  }
  return *program;
}

// The child's stdout and stderr pipes and, when the spec asks for one, the file that keeps every byte.
struct ChildFds {
  Fd out_r, out_w, err_r, err_w, file;
};

Result<void> open_child_fds(const ProcessSpec& spec, ChildFds& fds) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return make_error(Errc::Io, std::string("pipe: ") + std::strerror(errno));
  }
  fds.out_r.fd = out_pipe[0];
  fds.out_w.fd = out_pipe[1];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return make_error(Errc::Io, std::string("pipe: ") + std::strerror(errno));
  }
  fds.err_r.fd = err_pipe[0];
  fds.err_w.fd = err_pipe[1];
  if (!spec.output_file.empty()) {
    fds.file.fd = ::open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fds.file.fd < 0) {
      return make_error(Errc::Io, "cannot write " + spec.output_file + ": " + std::strerror(errno));
    }
  }
  return {};
}

// stdin from /dev/null, stdout and stderr into the pipes, nothing else open; its own process group,
// default signal dispositions, nothing blocked.
void set_up_spawn(posix_spawn_file_actions_t& actions, posix_spawnattr_t& attr, const ChildFds& fds,
                  const std::string& working_dir) {
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, fds.out_w.fd, 1);
  ::posix_spawn_file_actions_adddup2(&actions, fds.err_w.fd, 2);
  // Nothing else of Vigil's: its sockets (Slack, the webhook listener) are not close-on-exec, and a
  // child must neither use them nor keep them open after a crash of Vigil.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  }
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

std::vector<std::string> environment_strings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) {
    out.push_back(k + "=" + v);
  }
  return out;
}

// The null-terminated array of pointers into `strings` (which must outlive it) that exec takes.
std::vector<char*> pointer_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

struct SpawnedChild {
  pid_t pid = -1;
  std::chrono::steady_clock::time_point started;
};

// Starts the program; the write ends of the pipes are closed here, so the readers see end-of-file.
Result<SpawnedChild> spawn_child(const std::string& program, ProcessSpec& spec, ChildFds& fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  set_up_spawn(actions, attr, fds, spec.working_dir);
  auto env_strings = environment_strings(spec.env);
  const auto envp = pointer_array(env_strings);
  const auto argv = pointer_array(spec.argv);

  SpawnedChild child;
  child.started = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&child.pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  fds.out_w.reset();
  fds.err_w.reset();
  if (rc != 0) {
    return make_error(Errc::Io, "cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  }
  return child;
}

// A pidfd for the child. Without one the child cannot be watched, so its group is killed and it is
// reaped.
Result<int> open_pidfd(pid_t pid) {
  const int pidfd_raw = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_raw < 0) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return make_error(Errc::Io, std::string("pidfd_open: ") + std::strerror(errno));
  }
  return pidfd_raw;
}

// Hands the read ends and the output file to a Capture and starts its two readers.
std::shared_ptr<Capture> start_capture(const net::any_io_executor& ex, ChildFds& fds, const ProcessSpec& spec,
                                       const Logger& log) {
  auto cap = std::make_shared<Capture>(ex, fds.out_r.release(), fds.err_r.release());
  cap->cap = spec.output_cap;
  cap->file = fds.file.release();
  cap->on_line = spec.on_line;
  vigil::spawn(ex, read_stream(cap, 0), log, "child stdout reader");
  vigil::spawn(ex, read_stream(cap, 1), log, "child stderr reader");
  return cap;
}

// Waits for the child to exit, its timeout (when it has one) or cancellation; true when it exited.
// Otherwise `result` says whether it timed out or was cancelled.
Task<bool> wait_for_exit(Clock& clock, net::posix::stream_descriptor& pidfd, pid_t pid,
                         std::chrono::milliseconds timeout, ProcessResult& result) {
  bool exited = false;
  if (timeout.count() > 0) {
    auto r = co_await (wait_exit(pidfd) || clock.sleep_for(timeout));
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
  co_return exited;
}

// SIGINT to the child's process group, `grace` to end, then SIGKILL; returns when the leader has exited.
Task<void> stop_group(Clock& clock, const Logger& log, net::posix::stream_descriptor& pidfd, pid_t pid,
                      std::chrono::milliseconds grace, bool timed_out) {
  co_await net::this_coro::reset_cancellation_state();
  log->info("pid {} {}: SIGINT to its process group", pid, timed_out ? "timed out" : "cancelled");
  ::kill(-pid, SIGINT);
  co_await (wait_exit(pidfd) || clock.sleep_for(grace));
  if (!exited_now(pid)) {
    log->warn("pid {} still running after {} ms grace: SIGKILL to its process group", pid, grace.count());
    ::kill(-pid, SIGKILL);
    while (!exited_now(pid)) {
      co_await net::this_coro::reset_cancellation_state();
      co_await wait_exit(pidfd);
    }
  }
}

// Kills what is left of the group and reaps the leader; records how it ended and how long it took.
void reap(pid_t pid, std::chrono::steady_clock::time_point started, ProcessResult& result) {
  // The leader is a zombie, so its pid still names the group: nothing of it may outlive the step.
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

// Gives the readers kDrainLimit to reach end-of-file, then closes the pipes and waits for them.
Task<void> drain(Clock& clock, Capture& cap) {
  if (cap.pending > 0) {
    co_await net::this_coro::reset_cancellation_state();
    co_await (wait_done(cap.done) || clock.sleep_for(kDrainLimit));
    if (cap.pending > 0) {
      boost::system::error_code ignored;
      cap.out.close(ignored);
      cap.err.close(ignored);
      co_await wait_done(cap.done);
    }
  }
}

void take_output(Capture& cap, ProcessResult& result) {
  result.out = std::move(cap.kept[0]);
  result.err = std::move(cap.kept[1]);
  result.out_bytes = cap.total[0];
  result.err_bytes = cap.total[1];
  result.truncated = cap.truncated;
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
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
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

  const auto program = resolve_program(spec);
  if (!program) {
    co_return program.error();
  }
  ChildFds fds;
  if (auto opened = open_child_fds(spec, fds); !opened) {
    co_return opened.error();
  }
  const auto child = spawn_child(*program, spec, fds);
  if (!child) {
    co_return child.error();
  }
  const pid_t pid = child->pid;
  const auto pidfd_raw = open_pidfd(pid);
  if (!pidfd_raw) {
    co_return pidfd_raw.error();
  }
  net::posix::stream_descriptor pidfd(ex, *pidfd_raw);
  auto cap = start_capture(ex, fds, spec, log_);

  ProcessResult result;
  const bool exited = co_await wait_for_exit(clock_, pidfd, pid, spec.timeout, result);
  if (!exited) {
    co_await stop_group(clock_, log_, pidfd, pid, spec.grace, result.timed_out);
  }
  reap(pid, child->started, result);
  co_await drain(clock_, *cap);
  take_output(*cap, result);
  co_return result;
}

}  // namespace vigil::process
