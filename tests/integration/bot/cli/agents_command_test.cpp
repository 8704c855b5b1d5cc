// `vigil agents check` (bot/cli/agents_command.cpp) run as the real binary: a working backend, a
// broken one, missing credentials, no sandbox, and an agents' kubeconfig that may write. The
// CLI and kubectl are small scripts here; the sandbox is the real bubblewrap, and where a real
// kubectl client is installed it is asked about an API server that does not answer.
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;
namespace fs = std::filesystem;

constexpr const char* kFakeClaude =
    "#!/bin/sh\n[ \"$1\" = --version ] && echo '2.1.332 (Claude Code)' && exit 0\nexit 3\n";

// kubectl auth can-i --list as v1.32 prints it; FAKE_GRANTS=write adds a write grant.
constexpr const char* kFakeKubectl = R"(#!/bin/sh
[ "$1 $2 $3" = "auth can-i --list" ] || exit 9
grep -q apiVersion "$KUBECONFIG" || { echo "error: no kubeconfig at $KUBECONFIG" >&2; exit 1; }
echo "Resources                                       Non-Resource URLs   Resource Names   Verbs"
echo "selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]"
echo "pods                                            []                  []               [get list watch]"
grep -q may-write "$KUBECONFIG" && echo "deployments.apps                                []                  []               [get patch]"
exit 0
)";

class AgentsCheckCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "bin" / "claude", kFakeClaude);
    test::write_file(dir_ / "bin" / "kubectl", kFakeKubectl);
    fs::permissions(dir_ / "bin" / "claude", fs::perms::owner_all);
    fs::permissions(dir_ / "bin" / "kubectl", fs::perms::owner_all);
    test::write_file(dir_ / "ro.kubeconfig", "apiVersion: v1\nkind: Config\n");
  }

  // A configuration for `backend` with the fake CLI; `extra_agent` lines go under agent:.
  std::string config(const std::string& backend, const std::string& extra_agent = "",
                     const std::string& kubernetes = "") const {
    const auto path = dir_ / "vigil.yaml";
    std::string text = "agent:\n  backend: " + backend + "\n  workspace_root: " + (dir_ / "ws").string() +
                       "\n  env_allowlist: [PATH]\n";
    if (backend == "claude-code") {
      text += "  command: [" + (dir_ / "bin" / "claude").string() + "]\n";
    }
    text += extra_agent;
    text += "storage:\n  database: " + (dir_ / "v.db").string() + "\n" + kubernetes;
    test::write_file(path, text);
    return path.string();
  }
  std::string kubernetes(const std::string& kubeconfig, const std::string& kubectl) const {
    return "kubernetes:\n  enabled: true\n  kubectl: " + kubectl + "\n  read_only_kubeconfig: " + kubeconfig +
           "\n  remediation_kubeconfig: " + (dir_ / "rw.kubeconfig").string() + "\n";
  }
  test::ProcessOutput check(const std::string& config_path, const std::string& api_key = "") const {
    return run_process({vigil_binary().string(), "--config", config_path, "agents", "check"},
                       {{"ANTHROPIC_API_KEY", api_key}, {"VIGIL_CONFIG", ""}, {"VIGIL_DB", ""}});
  }

  test::TempDir dir_;
};

TEST_F(AgentsCheckCli, AWorkingBackendPassesEveryLine) {
  if (!test::bubblewrap_starts()) {
    GTEST_SKIP() << "bubblewrap cannot make a sandbox here: apt-get install bubblewrap";
  }
  const auto r = check(
      config("claude-code", "", kubernetes((dir_ / "ro.kubeconfig").string(), (dir_ / "bin" / "kubectl").string())),
      "sk-"
      "ant-test-key-0123456789");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("claude-code: ok\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok    binary: " + (dir_ / "bin" / "claude").string() + " 2.1.332 (Claude Code)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok    credentials: ANTHROPIC_API_KEY is set"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok    sandbox: bubblewrap"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok    cluster: reached the API server; read-only access"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("sk-ant-test"), std::string::npos) << "a credential is never printed";
}

TEST_F(AgentsCheckCli, MissingCredentialsAndAWritableKubeconfigFail) {
  if (!test::bubblewrap_starts()) {
    GTEST_SKIP() << "bubblewrap cannot make a sandbox here: apt-get install bubblewrap";
  }
  test::write_file(dir_ / "rw-as-ro.kubeconfig", "apiVersion: v1\n# may-write\n");
  const auto r = check(config(
      "claude-code", "", kubernetes((dir_ / "rw-as-ro.kubeconfig").string(), (dir_ / "bin" / "kubectl").string())));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("claude-code: FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  credentials: none: set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("FAIL  cluster: the agents' kubeconfig may write: patch on deployments.apps"), std::string::npos)
      << r.out;
}

TEST_F(AgentsCheckCli, ABrokenBackendFails) {
  // Unfenced, so the binary line is checked wherever this runs (the sandbox has tests of its own).
  const auto r =
      check(config("command", "  command: [" + (dir_ / "bin" / "no-such-agent").string() + "]\n  isolation: none\n"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  binary: " + (dir_ / "bin" / "no-such-agent").string() + " not found"), std::string::npos)
      << r.out;
}

TEST_F(AgentsCheckCli, NoSandboxFailsAndSaysWhatToDo) {
  const auto r = check(config("claude-code", "  bwrap: " + (dir_ / "no-bwrap").string() + "\n"), "sk-ant-key");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  sandbox: no sandbox for agent runs on this host"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("apt-get install bubblewrap"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  binary: not checked: no sandbox"), std::string::npos) << r.out;
  // Unfenced by choice, the same host passes (and says so).
  const auto none =
      check(config("claude-code", "  bwrap: " + (dir_ / "no-bwrap").string() + "\n  isolation: none\n"), "sk-ant-key");
  EXPECT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_NE(none.out.find("ok    sandbox: none: agent.isolation is none"), std::string::npos) << none.out;
}

TEST_F(AgentsCheckCli, RunbookOnlyHasNothingToCheck) {
  const auto r = check(config("runbook"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no agent backend is configured"), std::string::npos) << r.out;
}

// The real kubectl client, from inside the sandbox, against an API server that does not answer.
TEST_F(AgentsCheckCli, RealKubectlReportsAnUnreachableApiServer) {
  const auto kubectl = test::find_on_path("kubectl");
  if (!kubectl) {
    GTEST_SKIP() << "no kubectl client installed";
  }
  if (!test::bubblewrap_starts()) {
    GTEST_SKIP() << "bubblewrap cannot make a sandbox here: apt-get install bubblewrap";
  }
  test::write_file(dir_ / "unreachable.kubeconfig",
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
                   "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n"
                   "users:\n- name: u\n  user:\n    token: not-a-real-token\n");
  const auto r =
      check(config("claude-code", "", kubernetes((dir_ / "unreachable.kubeconfig").string(), kubectl->string())),
            "sk-ant-key");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  cluster: kubectl auth can-i --list failed (is the API server reachable?)"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace vigil
