// A prompt-injected agent, played by the `command` backend, tries every way out of its bubblewrap
// sandbox (the real bwrap from Debian's bubblewrap package): Vigil's environment, its database,
// the remediation kubeconfig, writing outside its workspace, leaving a process behind, and a
// symlinked output. Each must fail in the sandbox; the same agent unfenced (agent.isolation: none)
// shows that each attempt is real.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "integrations/agents/agent_cli.h"
#include "integrations/agents/agent_sandbox.h"
#include "integrations/process/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil::agents {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kRunId = "3f0c2a9e-8d41-4b7a-9c55-0d3e1f2a4b6c";

// Tries each escape and writes what happened to output/report.txt, one "what: result" per line.
constexpr const char* kHostileAgent = R"(#!/bin/sh
report=output/report.txt
say() { echo "$1: $2" >> "$report"; }
if grep -ls "xo""xb-hostile-" /proc/[0-9]*/environ 2>/dev/null | grep -q .; then say environ READ; else say environ denied; fi
if grep -qs REMEDIATION-SECRET "$HOSTILE_REMEDIATION"; then say remediation READ; else say remediation denied; fi
if grep -qs DATABASE-SECRET "$HOSTILE_DATABASE"; then say database READ; else say database denied; fi
if echo escaped > "$HOSTILE_OUTSIDE/escaped" 2>/dev/null; then say outside WROTE; else say outside denied; fi
if grep -qs "apiVersion" "$KUBECONFIG"; then say kubeconfig readable; else say kubeconfig missing; fi
say home "$HOME"
setsid sh -c "echo started > output/background; sleep 300; : $HOSTILE_MARK" </dev/null >/dev/null 2>&1 &
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s output/background ] && break; sleep 0.1; done
ln -s "$HOSTILE_DATABASE" output/summary.md
exit 0
)";

class AgentSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mark_ = "hostile-mark-" + std::to_string(std::random_device{}());
    fs::create_directories(dir_ / "agent-bin");
    fs::create_directories(dir_ / "outside");
    fs::create_directories(dir_ / "state");
    write(dir_ / "agent-bin" / "hostile.sh", kHostileAgent);
    fs::permissions(dir_ / "agent-bin" / "hostile.sh", fs::perms::owner_all);
    write(dir_ / "state" / "vigil.db", "DATABASE-SECRET rows");
    write(dir_ / "state" / "remediation.kubeconfig", "REMEDIATION-SECRET token");
    write(dir_ / "ro.kubeconfig", "apiVersion: v1\nkind: Config\n");
    // Vigil's process as it was before its secrets left the environment: a process of the same
    // user whose environ holds a Slack token.
    decoy_ = ::fork();
    if (decoy_ == 0) {
      const char* argv[] = {"/bin/sleep", "120", nullptr};
      const char* envp[] = {
          "SLACK_BOT_TOKEN=xo"
          "xb-hostile-1234-5678-abcdefabcdef",
          nullptr};
      ::execve(argv[0], const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      ::_exit(127);
    }
  }
  void TearDown() override {
    if (decoy_ > 0) {
      ::kill(decoy_, SIGKILL);
      ::waitpid(decoy_, nullptr, 0);
    }
    kill_marked_processes();
  }

  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  AgentCliOptions options(bool sandboxed) {
    AgentCliOptions o;
    o.backend = "command";
    o.command = {(dir_ / "agent-bin" / "hostile.sh").string()};
    o.env_allowlist = {"PATH", "HOSTILE_REMEDIATION", "HOSTILE_DATABASE", "HOSTILE_OUTSIDE", "HOSTILE_MARK"};
    o.environment = {{"PATH", "/usr/bin:/bin"},
                     {"HOSTILE_REMEDIATION", (dir_ / "state" / "remediation.kubeconfig").string()},
                     {"HOSTILE_DATABASE", (dir_ / "state" / "vigil.db").string()},
                     {"HOSTILE_OUTSIDE", (dir_ / "outside").string()},
                     {"HOSTILE_MARK", mark_}};
    o.read_only_kubeconfig = (dir_ / "ro.kubeconfig").string();
    o.timeout = 60s;
    o.grace = 1s;
    if (sandboxed) {
      o.isolation = std::make_shared<IsolationGate>("bubblewrap", "bwrap", (dir_ / "probe").string(), null_logger());
    }
    return o;
  }

  struct Ran {
    Result<AgentTurnResult> turn = make_error(Errc::Io, "not run");
    std::string report;
    WorkspaceOutput output;
  };

  Ran run(bool sandboxed) {
    auto ws = Workspace::create(dir_ / (sandboxed ? "ws-sandboxed" : "ws-open"), kRunId, {}, redactor_);
    EXPECT_TRUE(ws) << ws.error().detail;
    AgentCli cli(runner_, options(sandboxed), null_logger());
    Ran ran;
    spawn(io_.get_executor(), drive(cli, *ws, ran), null_logger(), "test");
    io_.run();
    io_.restart();
    std::ifstream in(ws->output_dir() / "report.txt");
    ran.report.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ran.output = ws->collect();
    ran_workspace_ = ws->dir();
    return ran;
  }
  static Task<> drive(AgentCli& cli, const Workspace& ws, Ran& ran) {
    AgentTurn turn{kRunId, "", ""};
    auto sink = [](const AgentEvent&) {};
    ran.turn = co_await cli.run_turn(ws, std::move(turn), std::move(sink));
  }

  // Processes whose command line carries this test's mark (what the agent left behind).
  std::vector<pid_t> marked_processes() const {
    std::vector<pid_t> found;
    for (const auto& e : fs::directory_iterator("/proc")) {
      const auto name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      std::ifstream in(e.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (cmdline.find(mark_) != std::string::npos) {
        found.push_back(static_cast<pid_t>(std::stoi(name)));
      }
    }
    return found;
  }
  void kill_marked_processes() const {
    for (const auto pid : marked_processes()) {
      ::kill(pid, SIGKILL);
    }
  }

  test::TempDir dir_;
  std::string mark_;
  pid_t decoy_ = -1;
  fs::path ran_workspace_;
  Redactor redactor_;
  SystemClock clock_;
  process::ChildProcess runner_{clock_, null_logger()};
  net::io_context io_;
};

TEST_F(AgentSandboxTest, EveryEscapeFailsInTheSandbox) {
  if (!test::bubblewrap_starts()) {
    GTEST_SKIP() << "bubblewrap cannot make a sandbox here (not installed, or user namespaces refused): "
                    "apt-get install bubblewrap";
  }
  const auto ran = run(true);
  ASSERT_TRUE(ran.turn) << ran.turn.error().detail;
  EXPECT_EQ(ran.turn->status, AgentTurnResult::Status::Succeeded) << ran.turn->error;
  // It ran and could write its own output, read the read-only kubeconfig, with its home inside
  // the workspace...
  EXPECT_NE(ran.report.find("kubeconfig: readable"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("home: " + (ran_workspace_ / "home").string()), std::string::npos) << ran.report;
  // ...and nothing else.
  EXPECT_NE(ran.report.find("environ: denied"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("remediation: denied"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("database: denied"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("outside: denied"), std::string::npos) << ran.report;
  EXPECT_FALSE(fs::exists(dir_ / "outside" / "escaped"));
  // The symlinked summary is refused, never followed to what it points at.
  EXPECT_EQ(ran.output.summary.find("DATABASE-SECRET"), std::string::npos);
  ASSERT_FALSE(ran.output.proposal_errors.empty());
  EXPECT_NE(ran.output.proposal_errors.front().find("symlink"), std::string::npos);
  // The background process was started, and died with the sandbox (SIGKILL from the kernel lands
  // asynchronously).
  EXPECT_TRUE(fs::exists(ran_workspace_ / "output" / "background"));
  EXPECT_TRUE(test::eventually([&] { return marked_processes().empty(); }, 5s)) << "left behind";
}

// The same agent without the sandbox: every attempt works, so the test above proves the sandbox
// stops them (and would fail without it).
TEST_F(AgentSandboxTest, UnfencedTheSameAgentGetsEverything) {
  const auto ran = run(false);
  ASSERT_TRUE(ran.turn) << ran.turn.error().detail;
  EXPECT_NE(ran.report.find("environ: READ"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("remediation: READ"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("database: READ"), std::string::npos) << ran.report;
  EXPECT_NE(ran.report.find("outside: WROTE"), std::string::npos) << ran.report;
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "escaped"));
  EXPECT_TRUE(fs::exists(ran_workspace_ / "output" / "background"));
  EXPECT_FALSE(marked_processes().empty()) << "setsid escapes the process group when nothing else fences it";
  // The symlink is refused on the host all the same.
  EXPECT_EQ(ran.output.summary.find("DATABASE-SECRET"), std::string::npos);
}

// output/ itself swapped for a symlink to a folder of Vigil's: nothing is read through it.
TEST_F(AgentSandboxTest, AnOutputFolderThatIsASymlinkIsRefused) {
  write(dir_ / "state" / "summary.md", "DATABASE-SECRET as a summary");
  auto ws = Workspace::create(dir_ / "ws", kRunId, {}, redactor_);
  ASSERT_TRUE(ws) << ws.error().detail;
  fs::remove_all(ws->output_dir());
  fs::create_directory_symlink(dir_ / "state", ws->output_dir());
  const auto out = ws->collect();
  EXPECT_TRUE(out.summary.empty()) << out.summary;
  ASSERT_EQ(out.proposal_errors.size(), 1u);
  EXPECT_NE(out.proposal_errors[0].find("not a folder"), std::string::npos) << out.proposal_errors[0];
}

// Where no sandbox can be made, agent turns are refused with what to do; none is never chosen
// silently.
TEST_F(AgentSandboxTest, NoSandboxRefusesTheTurn) {
  auto o = options(false);
  o.isolation = std::make_shared<IsolationGate>("auto", (dir_ / "no-such-bwrap").string(), (dir_ / "probe").string(),
                                                null_logger());
  auto ws = Workspace::create(dir_ / "ws", kRunId, {}, redactor_);
  ASSERT_TRUE(ws);
  AgentCli cli(runner_, o, null_logger());
  Ran ran;
  spawn(io_.get_executor(), drive(cli, *ws, ran), null_logger(), "test");
  io_.run();
  ASSERT_FALSE(ran.turn);
  EXPECT_TRUE(ran.turn.error().is(Errc::Forbidden));
  EXPECT_NE(ran.turn.error().detail.find("no sandbox for agent runs"), std::string::npos) << ran.turn.error().detail;
  EXPECT_NE(ran.turn.error().detail.find("agent.isolation: none"), std::string::npos);
  EXPECT_FALSE(fs::exists(ws->output_dir() / "report.txt")) << "the agent must not have run";
}

}  // namespace
}  // namespace vigil::agents
