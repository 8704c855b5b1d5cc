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

}  // namespace
}  // namespace vigil
