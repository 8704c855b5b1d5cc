#include "integrations/agents/agent_sandbox.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "integrations/agents/agent_cli.h"

namespace vigil::agents {
namespace {

// Where `flag a b` occurs in argv (its index), or argv.size().
std::size_t find_triple(const std::vector<std::string>& argv, const std::string& flag, const std::string& a,
                        const std::string& b) {
  for (std::size_t i = 0; i + 2 < argv.size(); ++i) {
    if (argv[i] == flag && argv[i + 1] == a && argv[i + 2] == b) {
      return i;
    }
  }
  return argv.size();
}

TEST(AgentSandbox, ArgvFencesTheCommandIntoItsWorkspace) {
  const auto argv = sandbox_argv({"bwrap", "/var/lib/vigil/workspaces/r1", {"/etc/vigil/ro.kubeconfig"}},
                                 {"claude", "-p", "Read PROMPT.md"});
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.front(), "bwrap");
  // New namespaces (the user namespace where the kernel allows), the network shared back, no
  // capabilities, dying with Vigil.
  for (const auto* flag : {"--unshare-all", "--share-net", "--die-with-parent"}) {
    EXPECT_NE(std::find(argv.begin(), argv.end(), flag), argv.end()) << flag;
  }
  const auto cap = std::find(argv.begin(), argv.end(), "--cap-drop");
  ASSERT_NE(cap, argv.end());
  EXPECT_EQ(*(cap + 1), "ALL");
  // A /proc of its own: Vigil's processes (and their environ) are not in it.
  EXPECT_LT(find_triple(argv, "--proc", "/proc", "--dev"), argv.size());
  // The workspace is the one thing written, and the working directory.
  const auto bind = find_triple(argv, "--bind", "/var/lib/vigil/workspaces/r1", "/var/lib/vigil/workspaces/r1");
  ASSERT_LT(bind, argv.size());
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--bind"), 1);
  EXPECT_LT(find_triple(argv, "--ro-bind", "/etc/vigil/ro.kubeconfig", "/etc/vigil/ro.kubeconfig"), argv.size());
  // The private /tmp comes before every bind, so a bind under the host's /tmp is not hidden by it.
  const auto tmpfs = std::find(argv.begin(), argv.end(), "--tmpfs");
  ASSERT_NE(tmpfs, argv.end());
  EXPECT_LT(static_cast<std::size_t>(tmpfs - argv.begin()), bind);
  // Never all of /etc (Vigil's configuration and secrets live there), and never /var or /home.
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--ro-bind" || argv[i] == "--ro-bind-try" || argv[i] == "--bind") {
      EXPECT_NE(argv[i + 1], "/etc");
      EXPECT_NE(argv[i + 1], "/");
      EXPECT_NE(argv[i + 1].rfind("/home", 0), 0u) << argv[i + 1];
      EXPECT_FALSE(argv[i + 1].rfind("/var/lib/vigil", 0) == 0 && argv[i + 1] != "/var/lib/vigil/workspaces/r1")
          << argv[i + 1];
    }
  }
  // The command itself comes last, unchanged, after "--".
  const auto dashes = std::find(argv.begin(), argv.end(), "--");
  ASSERT_NE(dashes, argv.end());
  EXPECT_EQ(std::vector<std::string>(dashes + 1, argv.end()),
            (std::vector<std::string>{"claude", "-p", "Read PROMPT.md"}));
}

TEST(AgentSandbox, IsolationIsChosenNeverDefaultedToNone) {
  const auto sandboxed = choose_isolation("auto", std::nullopt);
  EXPECT_EQ(sandboxed.mode, Isolation::Bubblewrap);
  EXPECT_TRUE(sandboxed.warning.empty());
  const auto refused = choose_isolation("auto", std::string("bwrap is not installed"));
  EXPECT_EQ(refused.mode, Isolation::Refused);
  EXPECT_NE(refused.refusal.find("bwrap is not installed"), std::string::npos);
  EXPECT_NE(refused.refusal.find("agent.isolation: none"), std::string::npos) << "says how to opt out";
  EXPECT_EQ(choose_isolation("bubblewrap", std::string("no user namespaces")).mode, Isolation::Refused);
  const auto none = choose_isolation("none", std::string("whatever"));
  EXPECT_EQ(none.mode, Isolation::None);
  EXPECT_FALSE(none.warning.empty());
  EXPECT_EQ(choose_isolation("kubernetes", std::nullopt).mode, Isolation::Refused);
}

TEST(AgentSandbox, TurnSandboxBindsTheKubeconfigAndTheProgramOnly) {
  AgentCliOptions o;
  o.backend = "claude-code";
  o.read_only_kubeconfig = "/etc/vigil/ro.kubeconfig";
  o.read_only_paths = {"/srv/runbooks"};
  const auto spec = turn_sandbox(o, "/w/r1", "/opt/agents/bin");
  EXPECT_EQ(spec.workspace, "/w/r1");
  EXPECT_EQ(spec.read_only, (std::vector<std::string>{"/etc/vigil/ro.kubeconfig", "/srv/runbooks", "/opt/agents/bin"}));
  // In the sandbox the agent's home is inside its workspace.
  o.environment = {{"HOME", "/root"}, {"PATH", "/usr/bin"}};
  o.env_allowlist = {"HOME", "PATH"};
  EXPECT_EQ(agent_environment(o, "r1", "/w/r1", true).at("HOME"), "/w/r1/home");
  EXPECT_EQ(agent_environment(o, "r1", "/w/r1", false).at("HOME"), "/root");
}

TEST(AgentSandbox, ProgramsInSystemFoldersNeedNoBind) {
  EXPECT_EQ(program_folder_to_bind("sh", "/usr/bin:/bin"), "");
  EXPECT_EQ(program_folder_to_bind("no-such-program-here", "/usr/bin"), "");
}

}  // namespace
}  // namespace vigil::agents
