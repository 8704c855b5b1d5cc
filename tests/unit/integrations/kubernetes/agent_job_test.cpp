// The Job (and Pod spec) Vigil builds for an agent turn, checked field by field: what a cluster
// admin reviewing the Pod would look for first.
#include "integrations/kubernetes/agent_job.h"

#include <gtest/gtest.h>

#include "integrations/kubernetes/agent_pod_frames.h"

namespace vigil::kubernetes {
namespace {

using nlohmann::json;

AgentJobOptions options() {
  AgentJobOptions o;
  o.namespace_name = "vigil-agents";
  o.image = "registry.example/vigil-agent:1";
  o.service_account = "vigil-agent";
  o.api_key_secret = "vigil-agent-api-keys";
  return o;
}

AgentJobRequest request(const std::string& backend = "claude-code") {
  AgentJobRequest r;
  r.run_id = "0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11";
  r.name = agent_job_name(r.run_id, 1'800'000'000'123);
  r.backend = backend;
  r.timeout = std::chrono::seconds(900);
  return r;
}

const json& pod_spec(const json& job) {
  return job["spec"]["template"]["spec"];
}

TEST(AgentJob, TheJobRunsOnceWithinTheRunTimeoutAndIsCleanedUp) {
  const auto job = agent_job(options(), request());
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["namespace"], "vigil-agents");
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 900);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 3600);
  EXPECT_EQ(pod_spec(job)["restartPolicy"], "Never");
  EXPECT_EQ(job["metadata"]["labels"]["vigil.dev/run-id"], "0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11");
}

TEST(AgentJob, ThePodSpecIsLockedDown) {
  const auto spec = pod_spec(agent_job(options(), request()));
  EXPECT_EQ(spec["serviceAccountName"], "vigil-agent");
  EXPECT_EQ(spec["automountServiceAccountToken"], true);
  EXPECT_EQ(spec["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  ASSERT_EQ(spec["containers"].size(), 1u);
  const auto& c = spec["containers"][0];
  const auto& sc = c["securityContext"];
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["privileged"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], json::array({"ALL"}));
  EXPECT_FALSE(sc["capabilities"].contains("add"));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_FALSE(spec.contains("hostNetwork"));
  EXPECT_FALSE(spec.contains("hostPID"));
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "250m");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "512Mi");
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "2");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "2Gi");
}

TEST(AgentJob, NothingOfVigilsReachesThePodOnlyTheAgentsOwnKey) {
  const auto spec = pod_spec(agent_job(options(), request("claude-code")));
  const auto& c = spec["containers"][0];
  EXPECT_FALSE(c.contains("envFrom"));
  std::vector<std::string> names;
  for (const auto& e : c["env"]) {
    names.push_back(e["name"]);
    if (e.contains("valueFrom")) {
      // Secret values only from the agents' own Secret, never from another one.
      EXPECT_EQ(e["valueFrom"]["secretKeyRef"]["name"], "vigil-agent-api-keys") << e.dump();
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"INCIDENT_ID", "VIGIL_READ_ONLY", "HOME", "ANTHROPIC_API_KEY",
                                             "CLAUDE_CODE_OAUTH_TOKEN"}));
  for (const auto& n : names) {
    EXPECT_EQ(n.find("SLACK"), std::string::npos);
    EXPECT_EQ(n.find("KUBECONFIG"), std::string::npos);
  }
  // Volumes: the context ConfigMap (read-only) and scratch emptyDirs; no Secret, no hostPath.
  for (const auto& v : spec["volumes"]) {
    EXPECT_TRUE(v.contains("configMap") || v.contains("emptyDir")) << v.dump();
  }
  EXPECT_EQ(spec["volumes"][0]["configMap"]["name"],
            agent_job_name("0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11", 1'800'000'000'123));
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/vigil/context");
  EXPECT_EQ(c["volumeMounts"][0]["readOnly"], true);
  // A codex Pod gets codex's key only.
  const auto codex = pod_spec(agent_job(options(), request("codex")))["containers"][0]["env"];
  EXPECT_EQ(codex.back()["name"], "OPENAI_API_KEY");
  EXPECT_EQ(codex.size(), 4u);
}

TEST(AgentJob, TheContainerRunsVigilAgentPodByArgv) {
  auto r = request("codex");
  r.session_id = "sess-1";
  r.follow_up = true;
  const auto c = pod_spec(agent_job(options(), r))["containers"][0];
  EXPECT_EQ(c["command"], json::array({"vigil", "agent-pod", "--backend", "codex", "--context", "/vigil/context",
                                       "--workspace", "/workspace", "--session", "sess-1", "--follow-up"}));
  EXPECT_EQ(c["image"], "registry.example/vigil-agent:1");
}

TEST(AgentJob, NamesAreValidDnsLabelsUniquePerTurn) {
  const auto a = agent_job_name("0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11", 1'800'000'000'123);
  const auto b = agent_job_name("0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11", 1'800'000'000'124);
  EXPECT_NE(a, b);
  EXPECT_LE(a.size(), 63u);
  EXPECT_EQ(a.rfind("vigil-agent-0b7c9c1e-5a43-4f0e-9d55-2f3b8f0c6a11-", 0), 0u);
  for (char ch : a) {
    EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') << a;
  }
}

TEST(AgentJob, TheContextConfigMapIsOwnedByTheJobAndMapsFilesToPaths) {
  const auto map = context_config_map(options(), request(),
                                      {{"PROMPT.md", "investigate"}, {"context/incident.json", "{}"}}, "uid-1");
  EXPECT_EQ(map["metadata"]["ownerReferences"][0]["kind"], "Job");
  EXPECT_EQ(map["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ(map["data"]["f0"], "investigate");
  EXPECT_EQ(map["data"]["f1"], "{}");
  EXPECT_EQ(json::parse(map["data"]["manifest.json"].get<std::string>()),
            (json{{"f0", "PROMPT.md"}, {"f1", "context/incident.json"}}));
}

TEST(AgentPodFrames, OutputsComeBackThroughTheLogAndOthersAreRefused) {
  const std::string summary(10'000, 'x');
  PodFrameReader reader;
  EXPECT_FALSE(reader.feed(R"({"type":"assistant"})"));
  for (const auto& line : output_frames("summary.md", summary)) {
    EXPECT_TRUE(reader.feed(line));
  }
  for (const auto& line : output_frames("proposals.json", "[]")) {
    EXPECT_TRUE(reader.feed(line));
  }
  EXPECT_TRUE(reader.feed(output_frames("../../etc/passwd", "root")[0]));
  EXPECT_TRUE(reader.feed(std::string(kStderrFrame) + "warning"));
  EXPECT_TRUE(reader.feed(exit_frame(3)));
  const auto outputs = reader.outputs();
  EXPECT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs.at("summary.md"), summary);
  EXPECT_EQ(outputs.at("proposals.json"), "[]");
  EXPECT_EQ(reader.exit_code(), 3);
  EXPECT_EQ(reader.errors(), std::vector<std::string>{"output refused: ../../etc/passwd"});
}

}  // namespace
}  // namespace vigil::kubernetes
