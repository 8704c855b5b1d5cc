// kubernetes.clusters and channels[].cluster: read, checked where they are wrong, shown back; and
// which cluster a run works on (cluster_choice.h).
#include <gtest/gtest.h>

#include "bot/core/cluster_choice.h"
#include "bot/core/config.h"

namespace vigil {
namespace {

std::string errors_of(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

const char* kTwoClusters =
    "kubernetes:\n"
    "  enabled: true\n"
    "  cluster: us\n"
    "  read_only_kubeconfig: /etc/vigil/us-ro\n"
    "  remediation_kubeconfig: /etc/vigil/us-rw\n"
    "  clusters:\n"
    "    - name: eu\n"
    "      read_only_kubeconfig: /etc/vigil/all-ro\n"
    "      remediation_kubeconfig: /etc/vigil/all-rw\n"
    "      read_only_context: eu-reader\n"
    "      remediation_context: eu-admin\n"
    "      namespaces: [shop, payments]\n"
    "channels:\n"
    "  - id: C0EU\n"
    "    cluster: eu\n";

TEST(ConfigClusters, ReadsEveryClusterTheDefaultFirstAndShowsThemBack) {
  const auto load = load_config_text(kTwoClusters, "c.yaml", {});
  ASSERT_TRUE(load.errors.empty()) << errors_of(load);
  const auto& k = load.config.kubernetes;
  const auto all = k.all_clusters();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "us");
  EXPECT_EQ(all[0].read_only_kubeconfig, "/etc/vigil/us-ro");
  EXPECT_EQ(all[1].name, "eu");
  EXPECT_EQ(all[1].read_only_context, "eu-reader");
  EXPECT_EQ(all[1].remediation_context, "eu-admin");
  EXPECT_EQ(all[1].namespaces, (std::vector<std::string>{"shop", "payments"}));
  EXPECT_EQ(k.default_cluster(), "us");
  EXPECT_TRUE(k.several_clusters());
  EXPECT_EQ(load.config.channels.at(0).cluster, "eu");
  const auto shown = render_config(load.config);
  EXPECT_NE(shown.find("name: eu"), std::string::npos) << shown;
  EXPECT_NE(shown.find("read_only_context: eu-reader"), std::string::npos) << shown;
  EXPECT_NE(shown.find("cluster: eu"), std::string::npos) << shown;
}

TEST(ConfigClusters, OneClusterIsStillTheZeroConfigurationDefault) {
  const auto load = load_config_text("", "c.yaml", {});
  ASSERT_TRUE(load.errors.empty()) << errors_of(load);
  EXPECT_EQ(load.config.kubernetes.default_cluster(), "default");
  EXPECT_FALSE(load.config.kubernetes.several_clusters());
  // Only `clusters`: the first is the default.
  const auto only = load_config_text(
      "kubernetes:\n  clusters:\n    - {name: a, read_only_kubeconfig: /r, remediation_kubeconfig: /w}\n"
      "    - {name: b, read_only_kubeconfig: /r2, remediation_kubeconfig: /w2}\n",
      "c.yaml", {});
  ASSERT_TRUE(only.errors.empty()) << errors_of(only);
  EXPECT_EQ(only.config.kubernetes.default_cluster(), "a");
  EXPECT_EQ(only.config.kubernetes.all_clusters().size(), 2u);
}

TEST(ConfigClusters, MistakesAreErrorsAtTheirLine) {
  const auto load = load_config_text(
      "kubernetes:\n"
      "  clusters:\n"
      "    - name: Prod EU\n"  // 3
      "      read_only_kubeconfig: /r\n"
      "      remediation_kubeconfig: /w\n"
      "    - name: same\n"  // 6
      "      read_only_kubeconfig: /r\n"
      "      remediation_kubeconfig: /w\n"
      "    - name: same\n"
      "      read_only_kubeconfig: /same\n"
      "      remediation_kubeconfig: /same\n"  // 11
      "    - name: half\n"                     // 12
      "      read_only_kubeconfig: /r\n"
      "    - name: ctx\n"
      "      read_only_kubeconfig: /r\n"
      "      remediation_kubeconfig: /w\n"
      "      read_only_context: --insecure-skip-tls-verify\n"  // 17
      "      namespaces: [Shop]\n"                             // 18
      "channels:\n"
      "  - id: C0MARS\n"
      "    cluster: mars\n",  // 21
      "c.yaml", {});
  const auto text = errors_of(load);
  EXPECT_NE(text.find("c.yaml:3:"), std::string::npos) << text;
  EXPECT_NE(text.find("kubernetes.clusters[0].name: expected a cluster name"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:9:"), std::string::npos) << text;
  EXPECT_NE(text.find("kubernetes.clusters[2].name: 'same' names another cluster already"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:11:"), std::string::npos) << text;
  EXPECT_NE(text.find("must differ from read_only_kubeconfig"), std::string::npos) << text;
  EXPECT_NE(text.find("kubernetes.clusters[3]: needs read_only_kubeconfig and remediation_kubeconfig"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("c.yaml:17:"), std::string::npos) << text;
  EXPECT_NE(text.find("read_only_context: expected a context name"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:18:"), std::string::npos) << text;
  EXPECT_NE(text.find("'Shop' is not a namespace name"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:21:"), std::string::npos) << text;
  EXPECT_NE(text.find("channels[0].cluster: 'mars' is not a configured cluster (Prod EU, same, same, half, ctx)"),
            std::string::npos)
      << text;
}

TEST(ConfigClusters, AgentsMayNotBeGivenAnotherClustersRemediationKubeconfig) {
  const auto load = load_config_text(
      "kubernetes:\n  clusters:\n    - name: eu\n      read_only_kubeconfig: /etc/eu/ro\n"
      "      remediation_kubeconfig: /etc/eu/rw\n"
      "agent:\n  read_only_paths: [/etc/eu]\n",
      "c.yaml", {});
  const auto text = errors_of(load);
  EXPECT_NE(text.find("/etc/eu would give agents cluster eu's remediation_kubeconfig (/etc/eu/rw)"), std::string::npos)
      << text;
}

TEST(ClusterChoice, TheAlertsLabelThenTheChannelThenTheDefault) {
  const auto load = load_config_text(kTwoClusters, "c.yaml", {});
  const auto& k = load.config.kubernetes;
  auto chosen = choose_cluster(k, {{"cluster", "eu"}}, "");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "eu");
  EXPECT_EQ(chosen->reason, "the alert's cluster label");
  chosen = choose_cluster(k, {{"cluster", "us"}}, "eu");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "us") << "the alert says where it fired; the label wins over the channel";
  chosen = choose_cluster(k, {{"namespace", "shop"}}, "eu");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "eu");
  EXPECT_EQ(chosen->reason, "the channel's binding");
  chosen = choose_cluster(k, {}, "");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "us");
  EXPECT_EQ(chosen->reason, "the default");
}

TEST(ClusterChoice, AnUnknownClusterIsNeverRunOnAnother) {
  const auto load = load_config_text(kTwoClusters, "c.yaml", {});
  const auto chosen = choose_cluster(load.config.kubernetes, {{"cluster", "mars"}}, "eu");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().detail,
            "the alert's cluster label names 'mars', which is not a configured cluster (us, eu); nothing was run on "
            "any cluster");
}

}  // namespace
}  // namespace vigil
