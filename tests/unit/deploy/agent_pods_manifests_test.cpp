// deploy/kubernetes/ runs agents as separate Pods: the agents' namespace and ServiceAccount (bound
// to the read-only ClusterRole only), Vigil's narrow Role there, and a Vigil Deployment that
// carries no agent credential and never runs an agent itself.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "bot/core/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

fs::path kube_dir() {
  return test::test_data_dir().parent_path() / "deploy" / "kubernetes";
}

std::vector<YAML::Node> objects() {
  std::vector<YAML::Node> out;
  for (const auto& e : fs::directory_iterator(kube_dir())) {
    if (e.path().extension() != ".yaml" || e.path().filename() == "kustomization.yaml") {
      continue;
    }
    for (const auto& doc : YAML::LoadAll(test::read_file(e.path()))) {
      if (doc && doc.IsMap() && doc["kind"]) {
        out.push_back(doc);
      }
    }
  }
  return out;
}

YAML::Node object(const std::string& kind, const std::string& name, const std::string& ns = "") {
  for (const auto& o : objects()) {
    if (o["kind"].as<std::string>() == kind && o["metadata"]["name"].as<std::string>() == name &&
        (ns.empty() || (o["metadata"]["namespace"] && o["metadata"]["namespace"].as<std::string>() == ns))) {
      return o;
    }
  }
  ADD_FAILURE() << "no " << kind << " " << ns << "/" << name << " under deploy/kubernetes";
  return YAML::Node();
}

std::set<std::string> strings(const YAML::Node& seq) {
  std::set<std::string> out;
  for (const auto& s : seq) {
    out.insert(s.as<std::string>());
  }
  return out;
}

TEST(AgentPodManifests, KustomizationListsEveryFile) {
  const auto text = test::read_file(kube_dir() / "kustomization.yaml");
  const auto k = YAML::Load(text);
  const auto listed = strings(k["resources"]);
  for (const auto& e : fs::directory_iterator(kube_dir())) {
    const auto name = e.path().filename().string();
    if (e.path().extension() != ".yaml" || name == "kustomization.yaml") {
      continue;
    }
    // servicemonitor.yaml is listed commented out (it needs the Prometheus Operator's CRDs).
    EXPECT_TRUE(listed.count(name) == 1 || text.find("# - " + name) != std::string::npos) << name;
  }
  // Objects live in two namespaces: no namespace override may move them all into one.
  EXPECT_FALSE(k["namespace"]);
}

TEST(AgentPodManifests, TheAgentServiceAccountIsBoundToTheReadOnlyClusterRoleOnly) {
  EXPECT_TRUE(object("Namespace", "vigil-agents"));
  EXPECT_TRUE(object("ServiceAccount", "vigil-agent", "vigil-agents"));
  int bindings = 0;
  for (const auto& o : objects()) {
    const auto kind = o["kind"].as<std::string>();
    if (kind != "RoleBinding" && kind != "ClusterRoleBinding") {
      continue;
    }
    for (const auto& s : o["subjects"]) {
      if (s["name"].as<std::string>() == "vigil-agent") {
        ++bindings;
        EXPECT_EQ(s["namespace"].as<std::string>(), "vigil-agents");
        EXPECT_EQ(kind, "ClusterRoleBinding");
        EXPECT_EQ(o["roleRef"]["kind"].as<std::string>(), "ClusterRole");
        EXPECT_EQ(o["roleRef"]["name"].as<std::string>(), "vigil-agent-readonly");
      }
    }
  }
  EXPECT_EQ(bindings, 1);
  // That role only reads, and never Secrets or ConfigMaps.
  const auto role = object("ClusterRole", "vigil-agent-readonly");
  ASSERT_TRUE(role);
  for (const auto& rule : role["rules"]) {
    for (const auto& verb : rule["verbs"]) {
      const auto v = verb.as<std::string>();
      EXPECT_TRUE(v == "get" || v == "list" || v == "watch") << v;
    }
    for (const auto& resource : rule["resources"]) {
      const auto r = resource.as<std::string>();
      EXPECT_TRUE(r != "secrets" && r != "configmaps" && r != "*" && r.find("/exec") == std::string::npos) << r;
    }
  }
}

TEST(AgentPodManifests, VigilMayOnlyRunAgentJobsInTheAgentsNamespace) {
  const auto role = object("Role", "vigil-agent-runner", "vigil-agents");
  ASSERT_TRUE(role);
  std::map<std::string, std::set<std::string>> verbs;
  for (const auto& r : role["rules"]) {
    for (const auto& res : r["resources"]) {
      for (const auto& v : r["verbs"]) {
        verbs[res.as<std::string>()].insert(v.as<std::string>());
      }
    }
  }
  EXPECT_EQ(verbs["jobs"], (std::set<std::string>{"create", "delete", "get", "list", "watch"}));
  EXPECT_EQ(verbs["configmaps"], (std::set<std::string>{"create", "delete", "get"}));
  EXPECT_EQ(verbs["pods"], (std::set<std::string>{"get", "list", "watch"}));
  EXPECT_EQ(verbs["pods/log"], (std::set<std::string>{"get"}));
  EXPECT_EQ(verbs.size(), 4u) << "no Secrets, no pods/exec, nothing else";
  const auto binding = object("RoleBinding", "vigil-agent-runner", "vigil-agents");
  ASSERT_TRUE(binding);
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "vigil");
  EXPECT_EQ(binding["subjects"][0]["namespace"].as<std::string>(), "vigil");
}

TEST(AgentPodManifests, VigilsDeploymentHasNoAgentCredentialAndNoSlackTokenInItsEnvironment) {
  const auto d = object("Deployment", "vigil", "vigil");
  ASSERT_TRUE(d);
  const auto pod = d["spec"]["template"]["spec"];
  ASSERT_EQ(pod["containers"].size(), 1u) << "no agent sidecar";
  const auto c = pod["containers"][0];
  for (const auto& e : c["env"]) {
    const auto name = e["name"].as<std::string>();
    for (const auto* agent_key : {"ANTHROPIC", "OPENAI", "GEMINI", "GOOGLE_API", "CLAUDE", "SLACK_"}) {
      EXPECT_EQ(name.find(agent_key), std::string::npos) << name;
    }
    if (e["valueFrom"] && e["valueFrom"]["secretKeyRef"]) {
      EXPECT_NE(e["valueFrom"]["secretKeyRef"]["name"].as<std::string>(), "vigil-agent-api-keys");
    }
  }
  EXPECT_FALSE(c["envFrom"]);
  for (const auto& v : pod["volumes"]) {
    if (v["secret"]) {
      EXPECT_NE(v["secret"]["secretName"].as<std::string>(), "vigil-agent-api-keys");
    }
  }
  // The Slack tokens are a mounted Secret, read as files.
  bool slack_files = false;
  for (const auto& v : pod["volumes"]) {
    slack_files = slack_files || (v["secret"] && v["secret"]["secretName"].as<std::string>() == "vigil-slack");
  }
  EXPECT_TRUE(slack_files);
}

TEST(AgentPodManifests, TheConfigurationRunsAgentsAsPodsWithTheAgentServiceAccount) {
  const auto cm = object("ConfigMap", "vigil-config", "vigil");
  ASSERT_TRUE(cm);
  const auto load = load_config_text(cm["data"]["vigil.yaml"].as<std::string>(), "configmap", Environment{});
  EXPECT_EQ(load.config.agent.isolation, "kubernetes");
  EXPECT_EQ(load.config.agent.kubernetes.namespace_name, "vigil-agents");
  EXPECT_EQ(load.config.agent.kubernetes.service_account, "vigil-agent");
  EXPECT_FALSE(load.config.agent.kubernetes.image.empty());
  EXPECT_EQ(load.config.slack.bot_token_file, "/var/run/secrets/vigil/slack/SLACK_BOT_TOKEN");
}

TEST(AgentPodManifests, TheAgentImageCarriesTheThreeClisKubectlAndVigilAsANonRootEntrypoint) {
  const auto text = test::read_file(kube_dir().parent_path() / "Dockerfile.agent");
  for (const auto* needed :
       {"@anthropic-ai/claude-code", "@openai/codex", "@google/gemini-cli", "/usr/local/bin/kubectl",
        "/usr/local/bin/vigil", "ENTRYPOINT [\"vigil\"]", "USER 10001:10001"}) {
    EXPECT_NE(text.find(needed), std::string::npos) << needed;
  }
  for (const auto* bad : {"| sh", "|sh", "| bash", "curl -", "wget "}) {
    EXPECT_EQ(text.find(bad), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace vigil
