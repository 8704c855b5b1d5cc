// `vigil agent-pod`, the entrypoint of an agent's Pod, run as the built binary: it lays out the
// workspace from the mounted context, runs the CLI by argv with the read-only environment, and hands
// back the stream, the outputs and the exit code in its stdout (the Pod's log).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "integrations/kubernetes/agent_pod_frames.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

TEST(AgentPodCommand, RunsTheCliInTheWorkspaceAndFramesItsOutputsInTheLog) {
  test::TempDir dir;
  // The ConfigMap as the kubelet mounts it: one file per key, and the manifest naming their paths.
  fs::create_directories(dir / "context");
  test::write_file(dir / "context" / "f0", "Investigate.\n");
  test::write_file(dir / "context" / "f1", "{\"title\":\"api is down\"}");
  test::write_file(dir / "context" / "manifest.json", R"({"f0":"PROMPT.md","f1":"context/incident.json"})");
  // The agent: prints a stream line and a warning, reads its context, writes its outputs.
  const auto agent = dir / "agent.sh";
  test::write_file(agent,
                   "#!/bin/sh\n"
                   "echo '{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s1\"}'\n"
                   "echo 'warming up' >&2\n"
                   "echo \"prompt=$(cat PROMPT.md) slack=${SLACK_BOT_TOKEN:-none} kube=$KUBECONFIG home=$HOME\"\n"
                   "cat context/incident.json > output/summary.md\n"
                   "echo '[]' > output/proposals.json\n"
                   "exit 3\n");
  ::chmod(agent.c_str(), 0755);
  fs::create_directories(dir / "workspace");
  const auto out =
      test::run_process({test::vigil_binary().string(), "agent-pod", "--backend", "command", "--context",
                         (dir / "context").string(), "--workspace", (dir / "workspace").string(), "--", agent.string()},
                        {{"SLACK_BOT_TOKEN", "must-not-leak"},
                         {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                         {"KUBERNETES_SERVICE_PORT", "443"},
                         {"INCIDENT_ID", "run-1"}});
  EXPECT_EQ(out.exit_code, 3) << out.err;

  kubernetes::PodFrameReader frames;
  std::vector<std::string> stream;
  std::istringstream lines(out.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!frames.feed(line)) {
      stream.push_back(line);
    }
  }
  const auto ws = fs::weakly_canonical(dir / "workspace").string();
  ASSERT_EQ(stream.size(), 2u) << out.out;
  EXPECT_EQ(stream[0], R"({"type":"system","subtype":"init","session_id":"s1"})");
  EXPECT_EQ(stream[1], "prompt=Investigate. slack=none kube=" + ws + "/.kube/config home=" + ws + "/.home");
  EXPECT_NE(out.out.find(std::string(kubernetes::kStderrFrame) + "warming up"), std::string::npos) << out.out;
  EXPECT_EQ(frames.exit_code(), 3);
  const auto outputs = frames.outputs();
  EXPECT_EQ(outputs.at("summary.md"), "{\"title\":\"api is down\"}");
  EXPECT_EQ(outputs.at("proposals.json"), "[]\n");
  // kubectl in the Pod uses the Pod's own ServiceAccount, through a kubeconfig in the workspace.
  const auto kubeconfig = test::read_file(dir / "workspace" / ".kube" / "config");
  EXPECT_NE(kubeconfig.find("server: https://10.0.0.1:443"), std::string::npos) << kubeconfig;
  EXPECT_NE(kubeconfig.find("tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"), std::string::npos);
}

TEST(AgentPodCommand, AContextPathOutsideTheWorkspaceIsRefused) {
  test::TempDir dir;
  fs::create_directories(dir / "context");
  fs::create_directories(dir / "workspace");
  test::write_file(dir / "context" / "f0", "x");
  test::write_file(dir / "context" / "manifest.json", R"({"f0":"../escaped"})");
  const auto out =
      test::run_process({test::vigil_binary().string(), "agent-pod", "--backend", "command", "--context",
                         (dir / "context").string(), "--workspace", (dir / "workspace").string(), "--", "/bin/true"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.out.find("bad context entry f0"), std::string::npos) << out.out;
  EXPECT_FALSE(fs::exists(dir / "escaped"));
}

}  // namespace
}  // namespace vigil
