// The listener settings of issue 21 (http.probe_listen, the connection limits and deadlines): read,
// checked with file:line:col, overridden from the environment, rendered.
#include <gtest/gtest.h>

#include "bot/core/config.h"

namespace vigil {
namespace {

TEST(ConfigHttpListener, DefaultsBoundEveryClient) {
  const auto load = load_config("", {});
  ASSERT_TRUE(load.ok());
  const auto& h = load.config.http;
  EXPECT_EQ(h.probe_listen, "");
  EXPECT_EQ(h.max_connections, 256);
  EXPECT_EQ(h.max_connections_per_client, 32);
  EXPECT_EQ(h.first_byte_timeout, std::chrono::seconds(2));
  EXPECT_EQ(h.header_timeout, std::chrono::seconds(5));
}

TEST(ConfigHttpListener, ReadsTheKeysAndTheEnvironmentWins) {
  const std::string yaml =
      "http:\n"
      "  probe_listen: 0.0.0.0:9091\n"
      "  max_connections: 512\n"
      "  max_connections_per_client: 0\n"
      "  first_byte_timeout: 3s\n"
      "  header_timeout: 10s\n";
  const auto load = load_config_text(yaml, "l.yaml", {});
  ASSERT_TRUE(load.ok());
  const auto& h = load.config.http;
  EXPECT_EQ(h.probe_listen, "0.0.0.0:9091");
  EXPECT_EQ(h.max_connections, 512);
  EXPECT_EQ(h.max_connections_per_client, 0);
  EXPECT_EQ(h.first_byte_timeout, std::chrono::seconds(3));
  EXPECT_EQ(h.header_timeout, std::chrono::seconds(10));
  const auto rendered = render_config(load.config);
  EXPECT_NE(rendered.find("probe_listen: 0.0.0.0:9091"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("first_byte_timeout: 3s"), std::string::npos) << rendered;
  const auto from_env = load_config_text(yaml, "l.yaml", {{"VIGIL_HTTP_PROBE_ADDR", "127.0.0.1:0"}});
  EXPECT_EQ(from_env.config.http.probe_listen, "127.0.0.1:0");
  const auto bad_env = load_config_text("", "l.yaml", {{"VIGIL_HTTP_PROBE_ADDR", "nine"}});
  ASSERT_EQ(bad_env.errors.size(), 1u);
  EXPECT_EQ(bad_env.errors[0].key, "VIGIL_HTTP_PROBE_ADDR");
}

TEST(ConfigHttpListener, BadValuesAreReportedAtTheirKey) {
  const std::string yaml =
      "http:\n"
      "  probe_listen: probes\n"
      "  max_connections: 3\n"
      "  first_byte_timeout: 0s\n";
  const auto load = load_config_text(yaml, "b.yaml", {});
  ASSERT_EQ(load.errors.size(), 3u);
  EXPECT_EQ(load.errors[0].to_string(),
            "b.yaml:2:17: http.probe_listen: expected host:port, e.g. 0.0.0.0:9091 (empty: no probe listener)");
  EXPECT_EQ(load.errors[1].to_string(), "b.yaml:3:20: http.max_connections: must be between 16 and 100000");
  EXPECT_EQ(load.errors[2].to_string(), "b.yaml:4:23: http.first_byte_timeout: must be at least 1s");
}

}  // namespace
}  // namespace vigil
