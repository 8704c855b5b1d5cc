#include "skills/findings.h"

#include <gtest/gtest.h>

#include "skills/skill_loader.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

Condition matching(const std::string& step, const std::string& regex) {
  Condition c;
  c.step = step;
  c.output_matches = regex;
  return c;
}

Skill shipped(const std::string& id) {
  const auto path = test::shipped_skills_dir() / (id + ".yaml");
  auto load = SkillLoader::load_file(path.string());
  for (const auto& e : load.errors) {
    ADD_FAILURE() << e.to_string();
  }
  if (load.skills.empty()) {
    return {};
  }
  return load.skills.front();
}

// A fixture as kubectl printed it: HolmesGPT's two JSON header lines and its stdout:/stderr:
// markers removed (tests/fixtures/SOURCES.md), as tests/support/fake_kubectl.sh does.
std::string kubectl_output(const std::string& name) {
  auto text = test::read_file(test::fixtures_dir() / "kubernetes" / name);
  if (!text.empty() && text[0] == '{') {
    for (int i = 0; i < 2; ++i) {
      text = text.substr(text.find('\n') + 1);
    }
  }
  if (text.rfind("stdout:\n", 0) == 0) {
    text = text.substr(8);
  }
  if (const auto err = text.rfind("\nstderr:"); err != std::string::npos) {
    text.resize(err + 1);
  }
  return text;
}

StepOutcome ok(const std::string& output) {
  return {"succeeded", output};
}

std::vector<FindingResult> evaluate(const Skill& skill, const FindingInputs& in) {
  std::vector<std::string> problems;
  auto found = evaluate_findings(skill.findings, in, &problems);
  for (const auto& p : problems) {
    ADD_FAILURE() << p;
  }
  return found;
}

bool has_line(const FindingResult& f, const std::string& part) {
  for (const auto& e : f.evidence) {
    if (e.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(Findings, PodCrashloopOomKilledNamesTheExitCodeAndTheLimit) {
  const auto skill = shipped("pod-crashloop");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_oomkilled_crashloop.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].id, "oom_killed");
  EXPECT_EQ(found[0].text, "the container was OOMKilled (exit 137) at its memory limit 100Mi");
  EXPECT_EQ(found[0].step, "describe_pod");
  EXPECT_TRUE(has_line(found[0], "Reason:       OOMKilled"));
  EXPECT_TRUE(has_line(found[0], "Exit Code:    137"));
  EXPECT_TRUE(has_line(found[0], "memory:  100Mi"));
  EXPECT_LE(found[0].evidence.size(), kMaxEvidenceLines);
}

TEST(Findings, PodCrashloopStartErrorQuotesTheRuntimeMessage) {
  const auto skill = shipped("pod-crashloop");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_crashloopbackoff.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].id, "cannot_start");
  EXPECT_EQ(found[0].text.rfind("the container cannot start (exit 128): failed to create containerd task", 0), 0u)
      << found[0].text;
  EXPECT_NE(found[0].text.find("\"wge\": executable file not found"), std::string::npos) << found[0].text;
}

TEST(Findings, PodCrashloopExitCodeWithTheLastLogLineAndTheLatestRollout) {
  const auto skill = shipped("pod-crashloop");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_node_not_ready_event.txt"));
  in.steps["previous_logs"] =
      ok("2025-08-12T03:44:58Z starting server on :8080\n"
         "2025-08-12T03:45:01Z fatal: connection to db refused\n");
  in.steps["rollout_history"] = ok(kubectl_output("kubectl_rollout_history_deployment.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, "exit_code");
  EXPECT_EQ(
      found[0].text,
      "the container exits 255 (Unknown); its last log line: 2025-08-12T03:45:01Z fatal: connection to db refused");
  EXPECT_TRUE(has_line(found[0], "Exit Code:    255"));
  EXPECT_TRUE(has_line(found[0], "fatal: connection to db refused"));
  EXPECT_EQ(found[1].id, "latest_rollout");
  EXPECT_EQ(found[1].text,
            "latest rollout: revision 3 (kubectl set image deployment/nginx-deployment nginx=nginx:1.161), after "
            "revision 2; check whether the crash began with it");
  EXPECT_TRUE(has_line(found[1], "nginx=nginx:1.16.1"));
}

TEST(Findings, StepsThatHaveNotRunMakeNoFinding) {
  const auto skill = shipped("pod-crashloop");
  FindingInputs in;
  EXPECT_TRUE(evaluate(skill, in).empty());
  // A failed describe (the pod is gone) says nothing either.
  in.steps["describe_pod"] = {"failed", "Error from server (NotFound): pods \"web-1\" not found"};
  EXPECT_TRUE(evaluate(skill, in).empty());
}

TEST(Findings, OomKilledSkillCountsRestarts) {
  const auto skill = shipped("oom-killed");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_oomkilled_crashloop.txt"));
  in.steps["memory_usage"] =
      ok("POD                                        NAME           CPU(cores)   MEMORY(bytes)\n"
         "analytics-exporter-fast-76897854c-cw5wh   memory-eater   1m           98Mi\n");
  const auto found = evaluate(skill, in);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].text, "the container was OOMKilled (exit 137) at its memory limit 100Mi, 6 restarts so far");
  EXPECT_TRUE(has_line(found[0], "98Mi"));
}

TEST(Findings, OomKilledSkillSaysWhenTheLastEndWasNotAnOom) {
  const auto skill = shipped("oom-killed");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_node_not_ready_event.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].text, "not OOMKilled this time: the container last ended with Unknown (exit 255)");
}

TEST(Findings, ImagePullFailureQuotesTheRegistrysError) {
  const auto skill = shipped("image-pull-failure");
  FindingInputs in;
  in.steps["describe_pod"] = ok(kubectl_output("kubectl_describe_pod_imagepullbackoff.txt"));
  in.steps["rollout_history"] = ok(kubectl_output("kubectl_rollout_history_deployment.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_GE(found.size(), 2u);
  EXPECT_EQ(found[0].id, "pull_error");
  EXPECT_EQ(found[0].text,
            "the image yourcompany/crw:latest cannot be pulled: pull access denied, repository does not exist or may "
            "require authorization: server message: insufficient_scope: authorization failed");
  EXPECT_TRUE(has_line(found[0], "Error: ImagePullBackOff"));
  EXPECT_EQ(found.back().id, "latest_rollout");
  EXPECT_NE(found.back().text.find("undoing it goes back to the image of revision 2"), std::string::npos);
}

TEST(Findings, DeploymentRolloutStuckOnItsProgressDeadline) {
  const auto skill = shipped("deployment-rollout-stuck");
  FindingInputs in;
  in.values.params = {{"deployment", "nginx-deployment"}, {"namespace", "default"}};
  in.steps["rollout_status"] = {"failed", kubectl_output("kubectl_rollout_status_progress_deadline.txt")};
  in.steps["rollout_history"] = ok(kubectl_output("kubectl_rollout_history_deployment.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].text,
            "the rollout of deployment nginx-deployment exceeded its progress deadline (Waiting for deployment "
            "\"nginx-deployment\" rollout to finish: 2 out of 3 new replicas have been updated...)");
  EXPECT_TRUE(has_line(found[0], "exceeded its progress deadline"));
  EXPECT_EQ(found[1].id, "not_complete");
  EXPECT_EQ(found[2].text,
            "latest rollout: revision 3 (kubectl set image deployment/nginx-deployment nginx=nginx:1.161), after "
            "revision 2; undoing it goes back to revision 2");
}

TEST(Findings, NodeNotReadyWithItsConditionMessage) {
  const auto skill = shipped("node-not-ready");
  FindingInputs in;
  in.values.params = {{"node", "kind-double-node-worker"}};
  in.steps["describe_node"] = ok(kubectl_output("kubectl_describe_node_not_ready.txt"));
  in.steps["nodes"] =
      ok("NAME                             STATUS     ROLES           AGE   VERSION\n"
         "kind-double-node-worker          NotReady   <none>          42d   v1.31.2\n");
  const auto found = evaluate(skill, in);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].text,
            "node kind-double-node-worker is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting "
            "node status.");
  EXPECT_TRUE(has_line(found[0], "Ready            Unknown"));
  EXPECT_TRUE(has_line(found[0], "kind-double-node-worker          NotReady"));
}

TEST(Findings, NodeReadyAgainSaysSo) {
  const auto skill = shipped("node-not-ready");
  FindingInputs in;
  in.values.params = {{"node", "kind-double-node-worker"}};
  in.steps["describe_node"] = ok(kubectl_output("kubectl_describe_node_ready.txt"));
  const auto found = evaluate(skill, in);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text,
            "node kind-double-node-worker is Ready now (kubelet is posting ready status): the alert may have cleared");
}

TEST(Findings, Http5xxSpikeNamesFailingPodsAndTheLatestError) {
  const auto skill = shipped("http-5xx-spike");
  FindingInputs in;
  in.values.params = {{"namespace", "namespace-54b"}, {"deployment", "checkout"}};
  in.steps["pods"] = ok(kubectl_output("kubectl_get_pods_wide_imagepullbackoff.txt"));
  in.steps["recent_logs"] =
      ok("2025-08-12T03:44:58Z GET /cart 200\n2025-08-12T03:45:01Z GET /checkout 503 upstream "
         "error: connection refused\n2025-08-12T03:45:02Z GET /health 200\n");
  const auto found = evaluate(skill, in);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].text, "pods in namespace-54b are failing (ImagePullBackOff), which can explain the 5xx");
  EXPECT_TRUE(has_line(found[0], "fast-fail-pod   0/1     ImagePullBackOff"));
  EXPECT_EQ(found[1].text,
            "the deployment logs errors; the latest: 2025-08-12T03:45:01Z GET /checkout 503 upstream error: "
            "connection refused");
}

TEST(Findings, EvidenceAndValuesAreBounded) {
  Finding f;
  f.id = "big";
  f.when = {matching("s", "x")};
  f.captures = {FindingCapture{"v", "s", "(x+)", false, "unknown", {}}};
  f.say = "value {{ findings.v }}";
  f.evidence = {EvidencePattern{"s", "x", {}}};
  FindingInputs in;
  std::string out;
  for (int i = 0; i < 50; ++i) {
    out += std::string(1000, 'x') + "\n";
  }
  in.steps["s"] = ok(out);
  const auto found = evaluate_findings({f}, in);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LE(found[0].text.size(), kMaxFindingTextBytes + 4);
  EXPECT_EQ(found[0].evidence.size(), 1u);  // the same line once
  EXPECT_LE(found[0].evidence[0].size(), kMaxEvidenceLineBytes + 4);
}

TEST(Findings, ARegexThatGivesUpIsAProblemNotACrash) {
  Finding f;
  f.id = "slow";
  f.when = {matching("s", "(a+)+$")};
  f.say = "never";
  FindingInputs in;
  in.steps["s"] = ok(std::string(1000, 'a') + "!");
  std::vector<std::string> problems;
  EXPECT_TRUE(evaluate_findings({f}, in, &problems).empty());  // gave up (a problem) or no match
  for (const auto& p : problems) {
    EXPECT_NE(p.find("when s.output_matches"), std::string::npos) << p;
  }
}

TEST(Findings, PlaceholdersAreChecked) {
  EXPECT_TRUE(finding_placeholders("exit {{ findings.code }} on {{ params.pod }}").has_value());
  EXPECT_FALSE(finding_placeholders("{{ findings }}").has_value());
  EXPECT_FALSE(finding_placeholders("{{ env.HOME }}").has_value());
  EXPECT_FALSE(finding_placeholders("{{ findings.x").has_value());
}

}  // namespace
}  // namespace vigil::skills
