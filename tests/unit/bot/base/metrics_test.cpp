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
    m.observe("vigil_socket_ack_seconds", 0.0003);
  }
  m.observe("vigil_socket_ack_seconds", 0.004);
  const auto h = m.histogram("vigil_socket_ack_seconds");
  EXPECT_EQ(h.count, 100u);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 0.0005);
  EXPECT_DOUBLE_EQ(h.max, 0.004);
  const auto text = m.render();
  EXPECT_NE(text.find("# HELP vigil_socket_envelopes_total Socket Mode envelopes"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE vigil_socket_envelopes_total counter\n"
                      "vigil_socket_envelopes_total{type=\"events_api\"} 2\n"
                      "vigil_socket_envelopes_total{type=\"slash_commands\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_socket_ack_seconds_bucket{le=\"0.0001\"} 0\n"
                      "vigil_socket_ack_seconds_bucket{le=\"0.00025\"} 0\n"
                      "vigil_socket_ack_seconds_bucket{le=\"0.0005\"} 99\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_socket_ack_seconds_bucket{le=\"+Inf\"} 100\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_socket_ack_seconds_count 100\n"), std::string::npos);
}

TEST(Metrics, GaugesMultipleLabelsAndHelpFromTheCatalogue) {
  Metrics m;
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
  EXPECT_NE(text.find("agent_runtime_duration_seconds_bucket{cluster=\"prod\",status=\"succeeded\",le=\"1\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("agent_runtime_duration_seconds_count{cluster=\"prod\",status=\"succeeded\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_runs{state=\"queued\"} 3"), std::string::npos);
}

TEST(Metrics, AFreshRegistryShowsUnlabelledCountersAndHistogramsAtZeroAndNoGauge) {
  const auto text = Metrics().render();
  EXPECT_NE(text.find("# TYPE vigil_socket_duplicates_total counter\nvigil_socket_duplicates_total 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_socket_ack_seconds_bucket{le=\"+Inf\"} 0\n"
                      "vigil_socket_ack_seconds_sum 0\n"
                      "vigil_socket_ack_seconds_count 0\n"),
            std::string::npos)
      << text;
  // A gauge is not known until it is set; a labelled family has no series to show yet.
  EXPECT_EQ(text.find("vigil_runs_active"), std::string::npos) << text;
  EXPECT_EQ(text.find("vigil_socket_envelopes_total"), std::string::npos) << text;
}

TEST(Metrics, ValuesAreRenderedExactly) {
  Metrics m;
  m.inc("vigil_slack_api_calls_total", "method", "chat.postMessage", 1234567);
  m.set("vigil_workspace_bytes", {}, 9007199254740.0);
  m.observe("vigil_socket_ack_seconds", 0.1 + 0.2);
  const auto text = m.render();
  // A stream's default six digits would say 1.23457e+06: a scraper would see the counter go back.
  EXPECT_NE(text.find("vigil_slack_api_calls_total{method=\"chat.postMessage\"} 1234567\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_workspace_bytes 9007199254740\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_socket_ack_seconds_sum 0.30000000000000004\n"), std::string::npos) << text;
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.inc("vigil_slack_api_errors_total", "error", "a \"quoted\" \\ value\nwith a newline");
  EXPECT_NE(m.render().find("vigil_slack_api_errors_total{error=\"a \\\"quoted\\\" \\\\ value with a newline\"} 1\n"),
            std::string::npos)
      << m.render();
}

}  // namespace
}  // namespace vigil
