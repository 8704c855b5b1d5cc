// Real child processes: output, environment, process groups, timeout and cancellation.
#include "integrations/process/child_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil::process {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

Task<> drive(ChildProcess& runner, ProcessSpec spec, std::optional<Result<ProcessResult>>& out) {
  out = co_await runner.run(std::move(spec));
}

class ChildProcessTest : public ::testing::Test {
 protected:
  Result<ProcessResult> run(ProcessSpec spec) {
    std::optional<Result<ProcessResult>> out;
    spawn(io_.get_executor(), drive(runner_, std::move(spec), out), null_logger(), "test");
    io_.run();
    io_.restart();
    EXPECT_TRUE(out.has_value());
    return std::move(*out);
  }

  static std::map<std::string, std::string> base_env() { return make_environment({"PATH"}, {}, process_environment()); }

  // A process is gone, or a zombie waiting for its parent (init) to reap it. SIGKILL is
  // delivered asynchronously: wait (bounded, on a pidfd) until the kernel has ended the process.
  static bool is_dead(pid_t pid) { return test::wait_until_ended(pid, std::chrono::seconds(2)); }

  SystemClock clock_;
  ChildProcess runner_{clock_, null_logger()};
  net::io_context io_;
  test::TempDir dir_;
};

TEST_F(ChildProcessTest, CapturesStdoutStderrAndExitCode) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  spec.env = base_env();
  auto r = run(spec);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->signal);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->succeeded());
}

// A step or an agent must not get Vigil's own sockets (the Slack websockets, the webhook
// listener: an agent could accept() on it and read webhook tokens), and a step left running by a
// crashed Vigil must not keep them open (the restarted Vigil could not bind its port). Found by the
// crash-restart test.
TEST_F(ChildProcessTest, VigilsOwnDescriptorsAreNotInherited) {
  const int inheritable = ::socket(AF_INET, SOCK_STREAM, 0);  // no SOCK_CLOEXEC, like Asio's sockets
  ASSERT_GE(inheritable, 3);
  const auto fd = "/proc/$$/fd/" + std::to_string(inheritable);
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "if [ -e " + fd + " ]; then echo inherited; else echo closed; fi"};
  spec.env = base_env();
  auto r = run(spec);
  ::close(inheritable);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->out, "closed\n");
}

TEST_F(ChildProcessTest, ArgvIsNeverInterpretedByAShell) {
  const auto marker = dir_ / "pwned";
  ProcessSpec spec;
  spec.argv = {"echo", "x; touch " + marker.string(), "$(id)", "`id`"};
  spec.env = base_env();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "x; touch " + marker.string() + " $(id) `id`\n");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(ChildProcessTest, EnvironmentIsOnlyTheAllowListPlusExtras) {
  ProcessSpec spec;
  spec.argv = {"env"};
  spec.env = make_environment(
      {"PATH", "VIGIL_TEST_ALLOWED"}, {{"KUBECONFIG", "/etc/ro"}},
      {{"PATH", "/usr/bin:/bin"}, {"VIGIL_TEST_ALLOWED", "yes"}, {"SLACK_BOT_TOKEN", std::string("xo") + "xb-secret"}});
  spec.working_dir = dir_.path().string();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_NE(r->out.find("VIGIL_TEST_ALLOWED=yes\n"), std::string::npos);
  EXPECT_NE(r->out.find("KUBECONFIG=/etc/ro\n"), std::string::npos);
  EXPECT_EQ(r->out.find("SLACK_BOT_TOKEN"), std::string::npos);
}

TEST_F(ChildProcessTest, WorkingDirectoryIsSet) {
  ProcessSpec spec;
  spec.argv = {"pwd"};
  spec.env = base_env();
  spec.working_dir = dir_.path().string();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, std::filesystem::canonical(dir_.path()).string() + "\n");
}

TEST_F(ChildProcessTest, OutputIsCappedInMemoryAndCompleteOnDisk) {
  ProcessSpec spec;
  spec.argv = {"head", "-c", "100000", "/dev/zero"};
  spec.env = base_env();
  spec.output_cap = 1000;
  spec.output_file = (dir_ / "out.log").string();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_EQ(r->out_bytes, 100000u);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "out.log"), 100000u);
  EXPECT_EQ(std::filesystem::status(dir_ / "out.log").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ChildProcessTest, LinesAreStreamedToTheCallback) {
  std::vector<std::string> lines;
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "printf 'a\\nb\\n'; printf 'c' >&2"};
  spec.env = base_env();
  spec.on_line = [&lines](std::string_view line, bool is_stderr) {
    lines.push_back(std::string(is_stderr ? "err:" : "out:") + std::string(line));
  };
  auto r = run(spec);
  ASSERT_TRUE(r);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"err:c", "out:a", "out:b"}));
}

TEST_F(ChildProcessTest, LinesCutAcrossReadsArriveWholeAndAnOverlongLineComesInPiecesOf1MiB) {
  std::vector<std::string> lines;
  ProcessSpec spec;
  // 3,000 numbered lines (about 90 KB, so reads cut lines in two), then one line of 2,500,000
  // characters, then "end".
  spec.argv = {"/bin/sh", "-c",
               "i=0; while [ $i -lt 3000 ]; do echo \"line number $i of the output\"; i=$((i+1)); done; "
               "head -c 2500000 /dev/zero | tr '\\0' x; printf '\\nend\\n'"};
  spec.env = base_env();
  spec.on_line = [&lines](std::string_view line, bool) { lines.emplace_back(line); };
  auto r = run(spec);
  ASSERT_TRUE(r);
  ASSERT_EQ(lines.size(), 3000u + 3u + 1u);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(lines[static_cast<std::size_t>(i)], "line number " + std::to_string(i) + " of the output");
  }
  EXPECT_EQ(lines[3000], std::string(1 << 20, 'x'));
  EXPECT_EQ(lines[3001], std::string(1 << 20, 'x'));
  EXPECT_EQ(lines[3002], std::string(2500000 - 2 * (1 << 20), 'x'));
  EXPECT_EQ(lines[3003], "end");
}

TEST_F(ChildProcessTest, MissingProgramIsAnError) {
  ProcessSpec spec;
  spec.argv = {"no-such-program-vigil"};
  spec.env = base_env();
  auto r = run(spec);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::NotFound));
}

TEST_F(ChildProcessTest, TimeoutIgnoringSigintIsKilledAfterGraceWithItsChildren) {
  const auto pidfile = dir_ / "child.pid";
  ProcessSpec spec;
  // The shell ignores SIGINT and so does its background child (it inherits the disposition).
  spec.argv = {"/bin/sh", "-c", "trap '' INT; sleep 30 & echo $! > " + pidfile.string() + "; wait; wait; wait"};
  spec.env = base_env();
  spec.timeout = 200ms;
  spec.grace = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = run(spec);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 5s);
  const pid_t child = std::stoi(test::read_file(pidfile));
  EXPECT_TRUE(is_dead(child)) << "grandchild " << child << " survived";
}

TEST_F(ChildProcessTest, TimeoutHonouringSigintEndsWithinGrace) {
  ProcessSpec spec;
  spec.argv = {"sleep", "30"};
  spec.env = base_env();
  spec.timeout = 100ms;
  spec.grace = 10s;
  const auto start = std::chrono::steady_clock::now();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGINT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ChildProcessTest, BackgroundLeftoversDieWhenTheLeaderExits) {
  const auto pidfile = dir_ / "bg.pid";
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > " + pidfile.string() + "; exit 0"};
  spec.env = base_env();
  auto r = run(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(is_dead(std::stoi(test::read_file(pidfile))));
}

TEST_F(ChildProcessTest, CancellationStopsTheGroup) {
  const auto pidfile = dir_ / "c.pid";
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > " + pidfile.string() + "; echo ready; wait"};
  spec.env = base_env();
  spec.grace = 300ms;
  net::cancellation_signal cancel;
  spec.on_line = [&cancel](std::string_view line, bool) {
    if (line == "ready") {
      cancel.emit(net::cancellation_type::terminal);
    }
  };
  std::optional<Result<ProcessResult>> out;
  spawn(io_.get_executor(), drive(runner_, spec, out), null_logger(), "test", cancel.slot());
  io_.run();
  ASSERT_TRUE(out && *out);
  EXPECT_TRUE((*out)->cancelled);
  EXPECT_FALSE((*out)->timed_out);
  EXPECT_FALSE((*out)->exit_code && *(*out)->exit_code == 0);
  EXPECT_TRUE(is_dead(std::stoi(test::read_file(pidfile))));
}

}  // namespace
}  // namespace vigil::process
