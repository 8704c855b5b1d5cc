// The deployment files under deploy/: they parse, and the properties people rely on (least
// privilege, no secret values, probes, non-root) stay true when someone edits them.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iterator>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bot/core/config.h"
#include "integrations/kubernetes/kubectl_access.h"
#include "skills/skill_access.h"
#include "skills/skill_loader.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

fs::path deploy_dir() {
  return test::test_data_dir().parent_path() / "deploy";
}

std::vector<YAML::Node> load_all(const fs::path& p) {
  return YAML::LoadAll(test::read_file(p));
}

std::vector<fs::path> yaml_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(deploy_dir())) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every Kubernetes object in deploy/kubernetes/.
std::vector<YAML::Node> kube_objects() {
  std::vector<YAML::Node> out;
  for (const auto& p : yaml_files()) {
    if (p.parent_path().filename() != "kubernetes" || p.filename() == "kustomization.yaml") {
      continue;
    }
    for (const auto& doc : load_all(p)) {
      if (doc && doc.IsMap() && doc["kind"]) {
        out.push_back(doc);
      }
    }
  }
  return out;
}

YAML::Node find_object(const std::string& kind, const std::string& name) {
  for (const auto& o : kube_objects()) {
    if (o["kind"].as<std::string>() == kind && o["metadata"]["name"].as<std::string>() == name) {
      return o;
    }
  }
  ADD_FAILURE() << "no " << kind << " " << name << " under deploy/kubernetes";
  return YAML::Node();
}

std::set<std::string> strings_of(const YAML::Node& seq) {
  std::set<std::string> out;
  for (const auto& s : seq) {
    out.insert(s.as<std::string>());
  }
  return out;
}

TEST(DeployManifests, EveryYamlFileParses) {
  const auto files = yaml_files();
  ASSERT_GE(files.size(), 10u);
  for (const auto& p : files) {
    EXPECT_NO_THROW({
      const auto docs = load_all(p);
      EXPECT_FALSE(docs.empty()) << p;
    }) << p;
  }
}

TEST(DeployManifests, KustomizationListsFilesThatExist) {
  const auto k = YAML::LoadFile((deploy_dir() / "kubernetes" / "kustomization.yaml").string());
  ASSERT_TRUE(k["resources"].IsSequence());
  for (const auto& r : k["resources"]) {
    EXPECT_TRUE(fs::exists(deploy_dir() / "kubernetes" / r.as<std::string>())) << r.as<std::string>();
  }
  EXPECT_EQ(strings_of(k["resources"]).count("deployment.yaml"), 1u);
}

TEST(SlackAppManifest, SocketModeInteractivityCommandsEventsAndOnlyAllowedScopes) {
  const auto m = YAML::LoadFile((deploy_dir() / "slack-app-manifest.yaml").string());
  const auto name = m["display_information"]["name"].as<std::string>();
  EXPECT_TRUE(!name.empty() && name.size() <= 35);
  EXPECT_TRUE(m["settings"]["socket_mode_enabled"].as<bool>());
  EXPECT_TRUE(m["settings"]["interactivity"]["is_enabled"].as<bool>());

  std::set<std::string> commands;
  for (const auto& c : m["features"]["slash_commands"]) {
    commands.insert(c["command"].as<std::string>());
    EXPECT_FALSE(c["description"].as<std::string>().empty());
    EXPECT_FALSE(c["url"]) << "Socket Mode needs no request URL";
  }
  EXPECT_EQ(commands, (std::set<std::string>{"/triage", "/runbook", "/incident"}));

  EXPECT_EQ(strings_of(m["settings"]["event_subscriptions"]["bot_events"]),
            (std::set<std::string>{"app_mention", "message.channels", "message.groups"}));

  const std::set<std::string> allowed = {"commands",        "chat:write",    "app_mentions:read", "channels:history",
                                         "groups:history",  "channels:read", "groups:read",       "channels:manage",
                                         "reactions:write", "users:read",    "users:read.email",  "usergroups:read",
                                         "files:write"};
  const auto scopes = strings_of(m["oauth_config"]["scopes"]["bot"]);
  for (const auto& s : scopes) {
    EXPECT_EQ(allowed.count(s), 1u) << "scope not on the allow-list: " << s;
  }
  for (const auto* needed : {"commands", "chat:write", "app_mentions:read", "channels:history", "groups:history"}) {
    EXPECT_EQ(scopes.count(needed), 1u) << needed;
  }
  EXPECT_FALSE(m["oauth_config"]["scopes"]["user"]) << "no user-token scopes";
}

TEST(KubernetesManifests, DeploymentHasProbesNonRootRecreateAndThePvc) {
  const auto d = find_object("Deployment", "vigil");
  ASSERT_TRUE(d);
  EXPECT_EQ(d["spec"]["replicas"].as<int>(), 1);
  EXPECT_EQ(d["spec"]["strategy"]["type"].as<std::string>(), "Recreate");
  const auto pod = d["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_NE(pod["securityContext"]["runAsUser"].as<int>(), 0);
  // Its token reaches only the agents' namespace (rbac-agents.yaml, agent_pods_manifests_test.cpp).
  EXPECT_TRUE(pod["automountServiceAccountToken"].as<bool>());
  ASSERT_EQ(pod["containers"].size(), 1u);
  const auto c = pod["containers"][0];
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  // The probes go to the probe listener's own port (VIGIL_HTTP_PROBE_ADDR), which webhook clients
  // cannot starve, and the Service exposes it (the ServiceMonitor scrapes it).
  std::string probe_addr;
  for (const auto& e : c["env"]) {
    if (e["name"].as<std::string>() == "VIGIL_HTTP_PROBE_ADDR") {
      probe_addr = e["value"].as<std::string>();
    }
  }
  ASSERT_FALSE(probe_addr.empty()) << "VIGIL_HTTP_PROBE_ADDR";
  const int probe_port = std::stoi(probe_addr.substr(probe_addr.rfind(':') + 1));
  std::string port_name;
  for (const auto& p : c["ports"]) {
    if (p["containerPort"].as<int>() == probe_port) {
      port_name = p["name"].as<std::string>();
    }
  }
  ASSERT_FALSE(port_name.empty()) << "container port " << probe_port;
  for (const auto* probe : {"livenessProbe", "readinessProbe"}) {
    const auto port = c[probe]["httpGet"]["port"].as<std::string>();
    EXPECT_TRUE(port == port_name || port == std::to_string(probe_port)) << probe;
  }
  const auto service = find_object("Service", "vigil");
  ASSERT_TRUE(service);
  bool exposed = false;
  for (const auto& p : service["spec"]["ports"]) {
    exposed = exposed || p["targetPort"].as<std::string>() == port_name;
  }
  EXPECT_TRUE(exposed) << "the Service exposes " << port_name;
  const auto sc = c["securityContext"];
  EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>());
  EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
  EXPECT_EQ(strings_of(sc["capabilities"]["drop"]), (std::set<std::string>{"ALL"}));
  EXPECT_TRUE(c["resources"]["limits"]["memory"]);

  // The PVC is a volume, mounted where the database lives.
  std::string pvc_volume;
  for (const auto& v : pod["volumes"]) {
    if (v["persistentVolumeClaim"] && v["persistentVolumeClaim"]["claimName"].as<std::string>() == "vigil-data") {
      pvc_volume = v["name"].as<std::string>();
    }
  }
  ASSERT_FALSE(pvc_volume.empty());
  EXPECT_TRUE(find_object("PersistentVolumeClaim", "vigil-data"));
  bool mounted = false;
  for (const auto& m : c["volumeMounts"]) {
    mounted =
        mounted || (m["name"].as<std::string>() == pvc_volume && m["mountPath"].as<std::string>() == "/var/lib/vigil");
  }
  EXPECT_TRUE(mounted);

  // Slack tokens come from a Secret, never a literal value.
  for (const auto& e : c["env"]) {
    const auto name = e["name"].as<std::string>();
    if (name.find("TOKEN") != std::string::npos || name.find("SECRET") != std::string::npos) {
      EXPECT_FALSE(e["value"]) << name;
      EXPECT_TRUE(e["valueFrom"]["secretKeyRef"]) << name;
    }
  }
}

// Each rule of a (Cluster)Role, checked with `check(apiGroups, resources, verbs)`.
template <class F>
void for_each_rule(const YAML::Node& role, F check) {
  ASSERT_TRUE(role["rules"].IsSequence());
  for (const auto& r : role["rules"]) {
    check(strings_of(r["apiGroups"]), strings_of(r["resources"]), strings_of(r["verbs"]));
  }
}

// deploy/kubernetes-ha, rendered by the real kustomize inside kubectl (where one is installed): the
// base with three replicas rolled one at a time, spread over nodes, the DSN from a Secret (never a
// value), no shared volume claim, and a budget that keeps two replicas through a drain.
TEST(KubernetesManifests, TheHighAvailabilityOverlayRendersThreeReplicasOnPostgres) {
  const auto kubectl = test::find_on_path("kubectl");
  if (!kubectl) {
    GTEST_SKIP() << "no kubectl client installed: the overlay is rendered by `kubectl kustomize`";
  }
  const auto rendered = test::run_process({kubectl->string(), "kustomize", (deploy_dir() / "kubernetes-ha").string()});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  YAML::Node deployment;
  YAML::Node budget;
  for (const auto& doc : YAML::LoadAll(rendered.out)) {
    const auto kind = doc["kind"].as<std::string>();
    EXPECT_NE(kind, "PersistentVolumeClaim") << "the data lives in PostgreSQL";
    if (kind == "Deployment") {
      deployment = doc;
    } else if (kind == "PodDisruptionBudget") {
      budget = doc;
    }
  }
  ASSERT_TRUE(deployment);
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(), "RollingUpdate");
  EXPECT_EQ(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>(), 1);
  const auto pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
               ["topologyKey"]
                   .as<std::string>(),
            "kubernetes.io/hostname");
  bool dsn_from_secret = false;
  for (const auto& e : pod["containers"][0]["env"]) {
    if (e["name"].as<std::string>() == "VIGIL_POSTGRES_DSN") {
      EXPECT_FALSE(e["value"]) << "a reference, never a value";
      dsn_from_secret = e["valueFrom"]["secretKeyRef"]["name"].as<std::string>() == "vigil-postgres";
    }
  }
  EXPECT_TRUE(dsn_from_secret);
  for (const auto& v : pod["volumes"]) {
    EXPECT_FALSE(v["persistentVolumeClaim"]) << v["name"].as<std::string>();
  }
  EXPECT_EQ(pod["containers"][0]["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  ASSERT_TRUE(budget);
  EXPECT_EQ(budget["spec"]["minAvailable"].as<int>(), 2);
  EXPECT_EQ(budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(), "vigil");
}

TEST(KubernetesManifests, ReadOnlyRoleOnlyReadsAndNeverSecrets) {
  const auto role = find_object("ClusterRole", "vigil-readonly");
  ASSERT_TRUE(role);
  const std::set<std::string> read = {"get", "list", "watch"};
  std::set<std::string> all_resources;
  for_each_rule(role, [&](const auto&, const auto& resources, const auto& verbs) {
    for (const auto& v : verbs) {
      EXPECT_EQ(read.count(v), 1u) << "verb " << v;
    }
    for (const auto& r : resources) {
      EXPECT_NE(r, "secrets");
      EXPECT_NE(r, "*");
      EXPECT_EQ(r.find("/exec"), std::string::npos) << r;
      all_resources.insert(r);
    }
  });
  for (const auto* r : {"pods", "pods/log", "events", "nodes", "deployments", "replicasets"}) {
    EXPECT_EQ(all_resources.count(r), 1u) << r;
  }
  const auto binding = find_object("ClusterRoleBinding", "vigil-readonly");
  ASSERT_TRUE(binding);
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "vigil-readonly");
}

TEST(KubernetesManifests, RemediationRoleCannotCreateDeleteOrReadSecrets) {
  const auto role = find_object("ClusterRole", "vigil-remediation");
  ASSERT_TRUE(role);
  const std::set<std::string> forbidden = {"create",   "delete", "deletecollection", "*",
                                           "escalate", "bind",   "impersonate"};
  bool patches_deployments = false;
  for_each_rule(role, [&](const auto& groups, const auto& resources, const auto& verbs) {
    EXPECT_EQ(groups.count("*"), 0u);
    for (const auto& v : verbs) {
      EXPECT_EQ(forbidden.count(v), 0u) << "verb " << v;
    }
    for (const auto& r : resources) {
      EXPECT_NE(r, "secrets");
      EXPECT_NE(r, "*");
      EXPECT_EQ(r.find("/exec"), std::string::npos) << r;
    }
    patches_deployments = patches_deployments || (resources.count("deployments") && verbs.count("patch"));
  });
  EXPECT_TRUE(patches_deployments) << "restart and rollback patch deployments";
  const auto binding = find_object("ClusterRoleBinding", "vigil-remediation");
  ASSERT_TRUE(binding);
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(), "vigil-remediation");
}

// What a ClusterRole grants, one permission per (group, resource, verb).
std::set<kubernetes::KubeAccess> grants_of(const YAML::Node& role) {
  std::set<kubernetes::KubeAccess> out;
  for_each_rule(role, [&](const auto& groups, const auto& resources, const auto& verbs) {
    for (const auto& g : groups) {
      for (const auto& r : resources) {
        for (const auto& v : verbs) {
          out.insert({v, r, g});
        }
      }
    }
  });
  return out;
}

std::string listed(const std::set<kubernetes::KubeAccess>& set) {
  std::string out;
  for (const auto& a : set) {
    out += "  " + a.verb + " " + a.resource + " (" + (a.group.empty() ? "core" : a.group) + ")\n";
  }
  return out;
}

// What the shipped runbooks ask of the API server: reads (diagnostic and verification steps, and
// dry runs that are not server-side) run as vigil-readonly; writes (approved mutating steps,
// rollbacks, and the server-side dry runs on approval cards, authorised like the write) as
// vigil-remediation, with the reads those commands make first.
struct SkillsAccess {
  std::set<kubernetes::KubeAccess> reads;
  std::set<kubernetes::KubeAccess> writes;
};

SkillsAccess shipped_skills_access() {
  SkillsAccess need;
  const auto load = skills::SkillLoader::load_dir(test::shipped_skills_dir().string());
  EXPECT_TRUE(load.ok());
  for (const auto& skill : load.skills) {
    for (const auto& step : skills::skill_access(skill)) {
      EXPECT_TRUE(step.error.empty()) << step.skill << " " << step.step << ": " << step.error;
      auto& set = step.identity == skills::StepIdentity::ReadOnly ? need.reads : need.writes;
      set.insert(step.needs.begin(), step.needs.end());
    }
  }
  return need;
}

TEST(KubernetesManifests, TheRolesGrantExactlyWhatTheShippedSkillsUse) {
  const auto need = shipped_skills_access();
  ASSERT_FALSE(need.reads.empty());
  ASSERT_FALSE(need.writes.empty());
  const auto readonly = grants_of(find_object("ClusterRole", "vigil-readonly"));
  const auto remediation = grants_of(find_object("ClusterRole", "vigil-remediation"));
  std::set<kubernetes::KubeAccess> missing;
  std::set<kubernetes::KubeAccess> extra;
  std::set_difference(need.reads.begin(), need.reads.end(), readonly.begin(), readonly.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(readonly.begin(), readonly.end(), need.reads.begin(), need.reads.end(),
                      std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty()) << "vigil-readonly lacks what the skills read:\n" << listed(missing);
  EXPECT_TRUE(extra.empty()) << "vigil-readonly grants what no skill reads:\n" << listed(extra);
  missing.clear();
  extra.clear();
  std::set_difference(need.writes.begin(), need.writes.end(), remediation.begin(), remediation.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(remediation.begin(), remediation.end(), need.writes.begin(), need.writes.end(),
                      std::inserter(extra, extra.end()));
  EXPECT_TRUE(missing.empty()) << "vigil-remediation lacks what the skills change:\n" << listed(missing);
  EXPECT_TRUE(extra.empty()) << "vigil-remediation grants what no skill changes:\n" << listed(extra);
  // The cordon of node-not-ready is one of them.
  EXPECT_EQ(remediation.count({"patch", "nodes", ""}), 1u);
}

// The permission table itself, for the commands whose needs are easy to get wrong.
TEST(KubernetesManifests, KubectlCommandsNeedWhatTheApiServerChecks) {
  using kubernetes::KubeAccess;
  using V = std::vector<KubeAccess>;
  auto need = [](std::vector<std::string> argv) {
    auto a = kubernetes::required_access(argv);
    EXPECT_TRUE(a) << a.error().detail;
    return a ? *a : V{};
  };
  EXPECT_EQ(need({"kubectl", "rollout", "undo", "deployment/web", "-n", "shop"}),
            (V{{"get", "deployments", "apps"}, {"list", "replicasets", "apps"}, {"patch", "deployments", "apps"}}));
  EXPECT_EQ(need({"kubectl", "scale", "deployment/web", "--replicas=4"}),
            (V{{"get", "deployments", "apps"}, {"patch", "deployments/scale", "apps"}}));
  EXPECT_EQ(need({"kubectl", "scale", "deployment/web", "--current-replicas=3", "--replicas=4"}),
            (V{{"get", "deployments", "apps"},
               {"get", "deployments/scale", "apps"},
               {"update", "deployments/scale", "apps"}}));
  EXPECT_EQ(need({"kubectl", "cordon", "node-1"}), (V{{"get", "nodes", ""}, {"patch", "nodes", ""}}));
  EXPECT_EQ(need({"kubectl", "logs", "web-1", "-n", "shop", "--previous"}),
            (V{{"get", "pods", ""}, {"get", "pods/log", ""}}));
  EXPECT_EQ(need({"kubectl", "describe", "pod", "web-1", "-n", "shop"}),
            (V{{"get", "pods", ""}, {"list", "events", ""}}));
  EXPECT_EQ(need({"kubectl", "get", "pods", "-n", "shop", "-o", "wide"}), (V{{"list", "pods", ""}}));
  EXPECT_FALSE(kubernetes::required_access({"kubectl", "exec", "web-1", "--", "sh"}))
      << "an unknown command is an error, never an empty need";
  EXPECT_EQ(kubernetes::can_i_argv({"patch", "deployments/scale", "apps"}, ""),
            (std::vector<std::string>{"auth", "can-i", "patch", "deployments.apps", "--subresource=scale", "-A"}));
  EXPECT_EQ(kubernetes::can_i_argv({"patch", "nodes", ""}, "shop"),
            (std::vector<std::string>{"auth", "can-i", "patch", "nodes"}));
}

TEST(KubernetesManifests, SecretsAreReferencesWithoutValues) {
  int secrets = 0;
  for (const auto& o : kube_objects()) {
    if (o["kind"].as<std::string>() != "Secret") {
      continue;
    }
    ++secrets;
    for (const auto* key : {"data", "stringData"}) {
      EXPECT_TRUE(!o[key] || o[key].size() == 0) << o["metadata"]["name"].as<std::string>();
    }
  }
  EXPECT_GE(secrets, 1);
}

TEST(KubernetesManifests, ConfigMapConfigurationLoadsWithSeparateKubeconfigs) {
  const auto cm = find_object("ConfigMap", "vigil-config");
  ASSERT_TRUE(cm);
  const auto load = load_config_text(cm["data"]["vigil.yaml"].as<std::string>(), "configmap", Environment{});
  for (const auto& e : load.errors) {
    // The Slack token files are mounted from the vigil-slack Secret in the cluster only.
    if (e.key != "slack.app_token_file" && e.key != "slack.bot_token_file") {
      ADD_FAILURE() << e.to_string();
    }
  }
  EXPECT_TRUE(load.config.kubernetes.enabled);
  EXPECT_NE(load.config.kubernetes.read_only_kubeconfig, load.config.kubernetes.remediation_kubeconfig);
  EXPECT_EQ(load.config.storage.database.rfind("/var/lib/vigil/", 0), 0u);
}

TEST(Dockerfile, MultiStageDebianNonRootWithHealthcheckAndNoPipeToShell) {
  const auto text = test::read_file(deploy_dir() / "Dockerfile");
  std::vector<std::string> froms;
  std::string user;
  bool healthcheck = false, entrypoint = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("FROM ", 0) == 0) {
      froms.push_back(line);
    } else if (line.rfind("USER ", 0) == 0) {
      user = line.substr(5);
    } else if (line.rfind("HEALTHCHECK ", 0) == 0) {
      healthcheck = line.find("CMD") != std::string::npos;
    } else if (line.rfind("ENTRYPOINT ", 0) == 0) {
      entrypoint = line.find("vigil") != std::string::npos;
    }
  }
  int debian = 0;
  for (const auto& f : froms) {
    debian += f.rfind("FROM debian:12", 0) == 0 ? 1 : 0;
  }
  EXPECT_GE(debian, 2) << "a build and a runtime stage on Debian 12";
  EXPECT_EQ(froms.back().rfind("FROM debian:12", 0), 0u) << "the final stage is Debian 12";
  ASSERT_FALSE(user.empty()) << "USER";
  EXPECT_NE(user.rfind("root", 0), 0u);
  EXPECT_NE(user.rfind("0", 0), 0u);
  EXPECT_TRUE(healthcheck);
  EXPECT_TRUE(entrypoint);
  EXPECT_NE(text.find("-DVIGIL_BUILD_TESTS=OFF"), std::string::npos);
  for (const auto* bad : {"| sh", "|sh", "| bash", "|bash", "curl -", "wget "}) {
    EXPECT_EQ(text.find(bad), std::string::npos) << bad;
  }
  // The runtime stage installs no compiler or -dev package.
  const auto runtime = text.substr(text.rfind("FROM "));
  EXPECT_EQ(runtime.find("-dev"), std::string::npos);
  EXPECT_EQ(runtime.find("build-essential"), std::string::npos);
}

TEST(SystemdUnit, IsHardened) {
  const auto text = test::read_file(deploy_dir() / "systemd" / "vigil.service");
  std::set<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.insert(line);
  }
  for (const auto* required : {"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                               "PrivateDevices=yes", "CapabilityBoundingSet=", "Restart=on-failure",
                               "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                               "StateDirectory=vigil", "EnvironmentFile=/etc/vigil/vigil.env",
                               // what the agents' bubblewrap sandbox needs, and no more namespaces
                               "SystemCallFilter=@mount", "RestrictNamespaces=user mnt pid ipc uts cgroup"}) {
    EXPECT_EQ(lines.count(required), 1u) << required;
  }
  EXPECT_EQ(text.find("User=root"), std::string::npos);
  EXPECT_EQ(text.find("xoxb-"), std::string::npos);
}

}  // namespace
}  // namespace vigil
