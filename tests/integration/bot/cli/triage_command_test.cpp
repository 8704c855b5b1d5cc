// End-to-end: `vigil triage --local`, the binary itself, with real child processes.
#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

class TriageCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "vigil.yaml",
                     "skills:\n  dirs: [" + (test::test_data_dir() / "fixtures" / "skills_runmanager").string() +
                         "]\nagent:\n  workspace_root: " + (dir_ / "ws").string() + "\n  command: [" +
                         (test::test_data_dir() / "support" / "agents" / "fake_agent.sh").string() +
                         "]\n  env_allowlist: [PATH, FAKE_AGENT_MODE, FAKE_AGENT_FIXTURES]\n"
                         // the agent runs in its sandbox: the fixtures it replays are bound in
                         // (unfenced where this machine cannot make one: the sandbox has tests of its own)
                         "  read_only_paths: [" +
                         (test::fixtures_dir() / "agents").string() + "]\n" +
                         (test::bubblewrap_starts() ? "" : "  isolation: none\n") +
                         "storage:\n  database: " + (dir_ / "v.db").string() + "\n");
    test::write_file(dir_ / "alert.json", R"({"status":"firing","alerts":[{"status":"firing",
      "labels":{"alertname":"TestAlert","deployment":"checkout","namespace":"shop","severity":"critical"},
      "annotations":{"summary":"checkout is down"},"fingerprint":"abc"}]})");
  }
  test::ProcessOutput triage(std::vector<std::string> args, const std::string& input = "",
                             std::vector<std::pair<std::string, std::string>> env = {}) {
    std::vector<std::string> argv = {test::vigil_binary().string(), "--config", (dir_ / "vigil.yaml").string(),
                                     "triage", "--local"};
    argv.insert(argv.end(), args.begin(), args.end());
    env.emplace_back("FAKE_AGENT_FIXTURES", (test::fixtures_dir() / "agents").string());
    return test::run_process(argv, env, input);
  }
  test::TempDir dir_;
};

TEST_F(TriageCommandTest, RunbookTriageFromAnAlertAsksOnTheTerminal) {
  const auto r = triage({"--alert", (dir_ / "alert.json").string(), "--backend", "runbook"}, "yes\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("runbook: Restart a test deployment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("looking at checkout in shop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("argv: [echo] [restarted] [checkout]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("type yes to approve"), std::string::npos);
  EXPECT_NE(r.out.find(": fixed — `vigil runs show"), std::string::npos) << r.out;
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store);
  const auto runs = (*store)->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  const auto steps = (*store)->list_steps(runs[0].id);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back().state, StepState::Succeeded);
  EXPECT_EQ(steps.back().argv, (std::vector<std::string>{"echo", "restarted", "checkout"}));
}

TEST_F(TriageCommandTest, DeclinedApprovalRunsNothing) {
  const auto r = triage({"--alert", (dir_ / "alert.json").string(), "--backend", "runbook"}, "no\n");
  EXPECT_NE(r.out.find(": fix denied, no change made — `vigil runs show"), std::string::npos) << r.out;
  EXPECT_EQ(r.exit_code, 3) << "no change made" << r.err;
  auto store = Store::open((dir_ / "v.db").string());
  const auto runs = (*store)->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  for (const auto& s : (*store)->list_steps(runs[0].id)) {
    EXPECT_FALSE(s.mutating && s.state == StepState::Succeeded) << s.step;
  }
}

TEST_F(TriageCommandTest, AgentBackendPrintsToolCallsAndSummary) {
  const auto r = triage({"api is down", "--backend", "command", "--yes"}, "", {{"FAKE_AGENT_MODE", "replay"}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("tool_call  Bash: ls -la"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OOMKilled"), std::string::npos);
  EXPECT_EQ(r.out.find("1234567890-abcdefghij"), std::string::npos) << "token leaked to the terminal";
}

TEST_F(TriageCommandTest, UsageMistakesExitTwo) {
  EXPECT_EQ(triage({}).exit_code, 2);
  EXPECT_EQ(triage({"--alert", (dir_ / "missing.json").string()}).exit_code, 2);
  test::write_file(dir_ / "bad.json", "{\"nope\":1}");
  const auto bad = triage({"--alert", (dir_ / "bad.json").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not an Alertmanager"), std::string::npos) << bad.err;
  EXPECT_EQ(triage({"x", "--backend", "gpt"}).exit_code, 2);
}

// The shipped pod-crashloop runbook against a fake kubectl answering with a real OOMKilled pod
// description: every diagnostic step's output and the diagnosis are printed before the question.
TEST_F(TriageCommandTest, EvidenceAndDiagnosisArePrintedBeforeTheQuestion) {
  test::write_file(dir_ / "kube.yaml",
                   "agent:\n  workspace_root: " + (dir_ / "ws").string() +
                       "\n  env_allowlist: [PATH, FAKE_KUBECTL_FIXTURES]\n"
                       "kubernetes:\n  enabled: true\n  kubectl: " +
                       (test::test_data_dir() / "support" / "fake_kubectl.sh").string() +
                       "\n  read_only_kubeconfig: /etc/vigil/ro\n  remediation_kubeconfig: /etc/vigil/rw\n"
                       "storage:\n  database: " +
                       (dir_ / "k.db").string() + "\nskills:\n  dirs: [" + (test::shipped_skills_dir()).string() +
                       "]\n");
  test::write_file(dir_ / "oom.json", R"({"status":"firing","alerts":[{"status":"firing",
      "labels":{"alertname":"KubePodCrashLooping","namespace":"default","pod":"analytics-exporter-fast-76897854c-cw5wh"},
      "annotations":{"summary":"analytics-exporter is crash looping"},"fingerprint":"oom1"}]})");
  const auto r = test::run_process({test::vigil_binary().string(), "--config", (dir_ / "kube.yaml").string(), "triage",
                                    "--local", "--alert", (dir_ / "oom.json").string(), "--backend", "runbook"},
                                   {{"FAKE_KUBECTL_FIXTURES", (test::fixtures_dir() / "kubernetes").string()}}, "no\n");
  const auto question = r.out.find("run it?");
  ASSERT_NE(question, std::string::npos) << r.out << r.err;
  const auto before = r.out.substr(0, question);
  // The pod's description, the crashed container's logs, the events: as each step finished.
  EXPECT_NE(before.find("describe_pod: succeeded (exit 0)"), std::string::npos) << r.out;
  EXPECT_NE(before.find("│ Name:             analytics-exporter-fast-76897854c-cw5wh"), std::string::npos) << r.out;
  EXPECT_NE(before.find("│ 2025-08-12T03:45:01Z fatal: connection to db refused"), std::string::npos) << r.out;
  EXPECT_NE(before.find("Back-off restarting failed container main"), std::string::npos) << r.out;
  // The diagnosis and its evidence, then why the fix is proposed.
  const auto diagnosis = before.find("Diagnosis: the container was OOMKilled (exit 137) at its memory limit 100Mi");
  EXPECT_NE(diagnosis, std::string::npos) << r.out;
  EXPECT_NE(before.find("│ Exit Code:    137", diagnosis), std::string::npos) << r.out;
  EXPECT_NE(before.find("why this fix: the container was OOMKilled (exit 137)"), std::string::npos) << r.out;
  EXPECT_NE(before.find("argv: [kubectl] [rollout] [restart] [deployment/analytics-exporter-fast]"), std::string::npos)
      << r.out;
  // The summary leads with the diagnosis too.
  const auto summary = r.out.find("*Diagnosis:* the container was OOMKilled", question);
  EXPECT_NE(summary, std::string::npos) << r.out;
}

}  // namespace
}  // namespace vigil
