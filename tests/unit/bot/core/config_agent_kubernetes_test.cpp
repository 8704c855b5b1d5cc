// agent.isolation: kubernetes and agent.kubernetes: read, checked where they are wrong, shown back.
#include <gtest/gtest.h>

#include "bot/core/config.h"

namespace vigil {
namespace {

TEST(ConfigAgentKubernetes, ReadsTheAgentPodSettings) {
  const auto load = load_config_text(
      "agent:\n"
      "  isolation: kubernetes\n"
      "  kubernetes:\n"
      "    namespace: agents\n"
      "    image: registry.example/vigil-agent:2\n"
      "    service_account: agent-sa\n"
      "    resources:\n"
      "      memory_limit: 4Gi\n"
      "    ttl_after_finished: 10m\n"
      "    api_server: https://10.0.0.1:443\n",
      "c.yaml", {});
  for (const auto& e : load.errors) {
    ADD_FAILURE() << e.to_string();
  }
  const auto& k = load.config.agent.kubernetes;
  EXPECT_EQ(load.config.agent.isolation, "kubernetes");
  EXPECT_EQ(k.namespace_name, "agents");
  EXPECT_EQ(k.image, "registry.example/vigil-agent:2");
  EXPECT_EQ(k.service_account, "agent-sa");
  EXPECT_EQ(k.memory_limit, "4Gi");
  EXPECT_EQ(k.cpu_limit, "2");
  EXPECT_EQ(k.ttl_after_finished, std::chrono::minutes(10));
  EXPECT_EQ(k.api_server, "https://10.0.0.1:443");
  const auto shown = render_config(load.config);
  EXPECT_NE(shown.find("isolation: kubernetes"), std::string::npos) << shown;
  EXPECT_NE(shown.find("image: registry.example/vigil-agent:2"), std::string::npos) << shown;
}

TEST(ConfigAgentKubernetes, PodsWithoutAnImageOrWithABadApiServerAreErrorsAtTheirLine) {
  const auto load = load_config_text(
      "agent:\n"
      "  isolation: kubernetes\n"
      "  kubernetes:\n"
      "    api_server: 10.0.0.1\n",
      "c.yaml", {});
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(load.errors[0].to_string(), "c.yaml:4:17: agent.kubernetes.api_server: must be an http:// or https:// URL");
  EXPECT_EQ(load.errors[1].to_string(),
            "c.yaml:2:14: agent.kubernetes.image: agent.isolation: kubernetes needs the agent image");
  const auto bad = load_config_text("agent:\n  isolation: docker\n", "c.yaml", {});
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].key, "agent.isolation");
}

}  // namespace
}  // namespace vigil
