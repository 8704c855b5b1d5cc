// `vigil skills …` (bot/cli/skills_commands.cpp) run as the real binary.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;

class SkillsCli : public ::testing::Test {
 protected:
  std::string write_config(bool kubernetes_enabled, const std::string& more_clusters = "") {
    const auto path = dir_ / "vigil.yaml";
    test::write_file(path, "agent:\n  workspace_root: " + (dir_ / "ws").string() +
                               "\n  env_allowlist: [PATH, FAKE_KUBECTL_FIXTURES, FAKE_KUBECTL_LOG]\n"
                               "kubernetes:\n  enabled: " +
                               (kubernetes_enabled ? "true" : "false") +
                               "\n  kubectl: " + (test::test_data_dir() / "support" / "fake_kubectl.sh").string() +
                               "\n  read_only_kubeconfig: /etc/vigil/ro\n  remediation_kubeconfig: /etc/vigil/rw\n" +
                               more_clusters + "storage:\n  database: " + (dir_ / "v.db").string() +
                               "\nskills:\n  dirs: [" + (test::shipped_skills_dir()).string() + "]\n");
    return path.string();
  }
  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"FAKE_KUBECTL_FIXTURES", (test::fixtures_dir() / "kubernetes").string()},
            {"FAKE_KUBECTL_LOG", (dir_ / "kubectl.log").string()},
            {"VIGIL_CONFIG", ""},
            {"VIGIL_DB", ""}};
  }
  test::TempDir dir_;
};

TEST_F(SkillsCli, ValidateOfABrokenDirectoryListsEveryProblemAndExitsTwo) {
  test::write_file(dir_ / "bad" / "one.yaml",
                   "id: one\ntitle: One\nsteps:\n  - id: a\n    run: [echo, '{{ params.who }}']\n    "
                   "mutating: true\n    colour: blue\n");
  test::write_file(dir_ / "bad" / "two.yaml",
                   "id: two\ntitle: Two\nparameters:\n  - name: ns\nsteps:\n  - id: a\n    run: "
                   "[kubectl, get, pods, -n, '{{ params.ns }}']\n");
  const auto r = run_process({vigil_binary().string(), "skills", "validate", (dir_ / "bad").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto one = (dir_ / "bad" / "one.yaml").string();
  const auto two = (dir_ / "bad" / "two.yaml").string();
  EXPECT_NE(r.err.find(one + ":5:17: step a.run: template variable {{ params.who }} is not defined"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(one + ":7:5: step: unknown key 'colour'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(one + ":4:5: step a: mutating steps always require approval "
                             "(requires_approval forced on) (warning)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(two + ":7:35: step a.run: parameter ns is substituted into argv but has "
                             "neither a pattern nor an enum"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("3 problems in the skills"), std::string::npos) << r.err;
}

TEST_F(SkillsCli, ValidateOfTheShippedSkillsExitsZero) {
  const auto r = run_process({vigil_binary().string(), "skills", "validate", (test::shipped_skills_dir()).string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("6 skills ok"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(SkillsCli, ListShowsKubernetesSkillsAsUnavailableWhenDisabled) {
  const auto r = run_process({vigil_binary().string(), "-c", write_config(false), "skills", "list"}, env());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pod-crashloop  Pod crash-looping  [unavailable (kubernetes.enabled is false)]"),
            std::string::npos)
      << r.out;
  const auto run = run_process(
      {vigil_binary().string(), "-c", write_config(false), "skills", "run", "node-not-ready", "node=n1", "--yes"},
      env());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("unavailable (kubernetes.enabled is false)"), std::string::npos) << run.err;
}

TEST_F(SkillsCli, RunWithYesApprovesOnTheTerminalAndPersistsTheRun) {
  const auto r = run_process({vigil_binary().string(), "-c", write_config(true), "skills", "run", "http-5xx-spike",
                              "namespace=shop", "deployment=checkout", "--yes"},
                             env());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("approved (--yes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[kubectl] [scale] [deployment/checkout] [-n] [shop] [--current-replicas=3] [--replicas=4]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("http-5xx-spike: succeeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(verified)"), std::string::npos) << r.out;
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store);
  const auto runs = (*store)->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, RunState::Succeeded);
  EXPECT_EQ(runs[0].skill, "http-5xx-spike");
  EXPECT_FALSE((*store)->list_steps(runs[0].id).empty());
}

TEST_F(SkillsCli, RunAnsweredNoOnTheTerminalIsDenied) {
  const auto r = run_process({vigil_binary().string(), "-c", write_config(true), "skills", "run", "node-not-ready",
                              "node=kind-double-node-worker"},
                             env(), "no\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("type yes to approve"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node-not-ready: denied"), std::string::npos) << r.out;
  EXPECT_EQ(test::read_file(dir_ / "kubectl.log").find("\tcordon\tkind-double-node-worker\n"), std::string::npos);
}

TEST_F(SkillsCli, RunRefusesAnInjectedParameterBeforeAnythingRuns) {
  const auto marker = dir_ / "pwned";
  const auto r = run_process({vigil_binary().string(), "-c", write_config(true), "skills", "run", "pod-crashloop",
                              "namespace=x; touch " + marker.string(), "pod=web-1", "--yes"},
                             env());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("parameter namespace: value refused"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "kubectl.log"));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

// `skills run` goes through the run manager: the run row says what the run came to (fixed), its
// timeline has the trigger and the finish, and `vigil runs show` reads it back.
TEST_F(SkillsCli, RunLeavesARunWithItsResultThatRunsShowReadsBack) {
  const auto config = write_config(true);
  const auto r = run_process({vigil_binary().string(), "-c", config, "skills", "run", "http-5xx-spike",
                              "namespace=shop", "deployment=checkout", "--yes", "--run", "cli-run-1"},
                             env());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("run cli-run-1: http-5xx-spike\n", 0), 0u) << r.out;
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store);
  const auto run = (*store)->get_run("cli-run-1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Succeeded);
  EXPECT_EQ(run->result, RunResult::Fixed);
  EXPECT_EQ(run->trigger_kind, "cli");
  EXPECT_EQ(run->trigger_key, "cli:cli-run-1");
  EXPECT_EQ(run->text, "vigil skills run http-5xx-spike");
  std::vector<std::string> kinds;
  for (const auto& e : (*store)->list_events(run->id)) {
    kinds.push_back(e.kind);
  }
  ASSERT_FALSE(kinds.empty());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "trigger"), kinds.end());
  EXPECT_EQ(kinds.back(), "finished");
  store->reset();

  const auto show = run_process({vigil_binary().string(), "-c", config, "runs", "show", "cli-run-1"}, env());
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("# Run cli-run-"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find(" — fixed"), std::string::npos) << show.out;

  // A finished run is not run again under its id.
  const auto again = run_process({vigil_binary().string(), "-c", config, "skills", "run", "http-5xx-spike",
                                  "namespace=shop", "deployment=checkout", "--yes", "--run", "cli-run-1"},
                                 env());
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_NE(again.err.find("run cli-run-1 is succeeded"), std::string::npos) << again.err;
}

// --dry-run: the read-only steps run, the gated one shows its dry run only; the run is diagnosed.
TEST_F(SkillsCli, DryRunChangesNothingAndIsRecordedAsDiagnosed) {
  const auto r = run_process({vigil_binary().string(), "-c", write_config(true), "skills", "run", "http-5xx-spike",
                              "namespace=shop", "deployment=checkout", "--dry-run"},
                             env());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("http-5xx-spike (dry run)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http-5xx-spike: dry run — dry run: gated steps were shown, not executed"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("approval needed"), std::string::npos) << r.out;
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store);
  const auto runs = (*store)->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, RunState::Succeeded);
  EXPECT_EQ(runs[0].result, RunResult::Diagnosed);
  for (const auto& s : (*store)->list_steps(runs[0].id)) {
    EXPECT_FALSE(s.mutating && s.state == StepState::Succeeded) << s.step;
  }
}

// --cluster: every kubectl call goes to that cluster's identities (its kubeconfigs and contexts), and
// its timeline names it; a cluster that is not configured is a usage mistake before anything runs.
TEST_F(SkillsCli, RunOnAnotherClusterUsesItsIdentitiesOnly) {
  const auto config = write_config(true,
                                   "  cluster: us\n  clusters:\n    - name: eu\n"
                                   "      read_only_kubeconfig: /etc/vigil/all-ro\n"
                                   "      remediation_kubeconfig: /etc/vigil/all-rw\n"
                                   "      read_only_context: eu-reader\n      remediation_context: eu-admin\n");
  auto r = run_process({vigil_binary().string(), "-c", config, "skills", "run", "http-5xx-spike", "namespace=shop",
                        "deployment=checkout", "--dry-run", "--cluster", "eu"},
                       env());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto log = test::read_file(dir_ / "kubectl.log");
  int calls = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line); ++calls) {
    const bool ro = line.starts_with("KUBECONFIG=/etc/vigil/all-ro\t--context=eu-reader\t");
    const bool rw = line.starts_with("KUBECONFIG=/etc/vigil/all-rw\t--context=eu-admin\t") &&
                    line.find("--dry-run=server") != std::string::npos;
    EXPECT_TRUE(ro || rw) << line;
  }
  EXPECT_GE(calls, 6) << log;
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store);
  const auto runs = (*store)->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  std::string timeline;
  for (const auto& e : (*store)->list_events(runs[0].id)) {
    timeline += e.text + "\n";
  }
  EXPECT_NE(timeline.find("investigating with runbook (http-5xx-spike) on cluster eu"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("[eu] deployment: succeeded"), std::string::npos) << timeline;

  std::filesystem::remove(dir_ / "kubectl.log");
  r = run_process({vigil_binary().string(), "-c", config, "skills", "run", "http-5xx-spike", "namespace=shop",
                   "deployment=checkout", "--dry-run", "--cluster", "mars"},
                  env());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("vigil: --cluster mars: no such cluster (us, eu)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "kubectl.log")) << "nothing ran";
}

}  // namespace
}  // namespace vigil
