#include "bot/base/metrics.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Metrics, CountersHistogramsAndPrometheusText) {
  Metrics m;
  m.inc("vigil_socket_envelopes_total", "type", "events_api");
  m.inc("vigil_socket_envelopes_total", "type", "events_api");
  m.inc("vigil_socket_envelopes_total", "type", "slash_commands");
  EXPECT_EQ(m.counter("vigil_socket_envelopes_total"), 3);
  EXPECT_EQ(m.counter("vigil_socket_envelopes_total", "type", "events_api"), 2);
  for (int i = 0; i < 99; ++i) {
    m.observe("ack", 0.0003);
  }
  m.observe("ack", 0.004);
  const auto h = m.histogram("ack");
  EXPECT_EQ(h.count, 100u);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 0.0005);
  EXPECT_DOUBLE_EQ(h.max, 0.004);
  const auto text = m.render();
  EXPECT_NE(text.find("vigil_socket_envelopes_total{type=\"events_api\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("ack_bucket{le=\"+Inf\"} 100"), std::string::npos);
  EXPECT_NE(text.find("ack_count 100"), std::string::npos);
}

TEST(Metrics, GaugesMultipleLabelsAndHelp) {
  Metrics m;
  m.describe("agent_runtime_active_agents", "Agent runs in progress.");
  m.set("agent_runtime_active_agents", {{"cluster", "prod"}}, 0);
  m.add("agent_runtime_active_agents", {{"cluster", "prod"}}, 2);
  m.add("agent_runtime_active_agents", {{"cluster", "prod"}}, -1);
  EXPECT_EQ(m.gauge("agent_runtime_active_agents", {{"cluster", "prod"}}), 1);
  m.inc("agent_runtime_invocations_total", {{"cluster", "prod"}, {"status", "failed"}});
  EXPECT_EQ(m.counter("agent_runtime_invocations_total", {{"cluster", "prod"}, {"status", "failed"}}), 1);
  m.observe("agent_runtime_duration_seconds", {{"cluster", "prod"}, {"status", "succeeded"}}, 0.3);
  EXPECT_EQ(m.histogram("agent_runtime_duration_seconds", {{"cluster", "prod"}, {"status", "succeeded"}}).count, 1u);
  m.set("vigil_runs", "state", "queued", 3);
  const auto text = m.render();
  EXPECT_NE(text.find("# HELP agent_runtime_active_agents Agent runs in progress.\n"
                      "# TYPE agent_runtime_active_agents gauge\n"
                      "agent_runtime_active_agents{cluster=\"prod\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("agent_runtime_invocations_total{cluster=\"prod\",status=\"failed\"} 1"), std::string::npos);
  EXPECT_NE(text.find("agent_runtime_duration_seconds_bucket{cluster=\"prod\",status=\"succeeded\",le=\"0.5\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("agent_runtime_duration_seconds_count{cluster=\"prod\",status=\"succeeded\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_runs{state=\"queued\"} 3"), std::string::npos);
}

}  // namespace
}  // namespace vigil
