// The registry's text against the real `promtool check metrics` (Debian's prometheus package):
// every catalogued family, with a sample each, passes its parser and its lint. /metrics of the
// running binary is checked the same way in tests/integration/e2e/ops_http_test.cpp.
#include <gtest/gtest.h>

#include "bot/base/metrics.h"
#include "tests/support/metrics_check.h"

namespace vigil {
namespace {

TEST(MetricsPromtool, EveryCataloguedFamilyPassesPromtool) {
  const auto promtool = test::find_promtool();
  if (!promtool) {
    GTEST_SKIP() << test::kPromtoolMissing;
  }
  Metrics m;
  test::record_every_family(m);
  const auto text = m.render();
  const auto result = test::promtool_check_metrics(*promtool, text);
  EXPECT_EQ(result.exit_code, 0) << result.out << "\n" << text;
  EXPECT_EQ(result.out, "") << text;
}

TEST(MetricsPromtool, AFreshRegistryPassesPromtool) {
  const auto promtool = test::find_promtool();
  if (!promtool) {
    GTEST_SKIP() << test::kPromtoolMissing;
  }
  const auto text = Metrics().render();
  const auto result = test::promtool_check_metrics(*promtool, text);
  EXPECT_EQ(result.exit_code, 0) << result.out << "\n" << text;
  EXPECT_EQ(result.out, "") << text;
}

// The check is real: promtool finds what it is there to find (this is the text the registry
// rendered before the catalogue: counters without # HELP).
TEST(MetricsPromtool, PromtoolCatchesAFamilyWithoutHelp) {
  const auto promtool = test::find_promtool();
  if (!promtool) {
    GTEST_SKIP() << test::kPromtoolMissing;
  }
  const auto result = test::promtool_check_metrics(
      *promtool, "# TYPE vigil_slack_api_calls_total counter\nvigil_slack_api_calls_total{method=\"auth.test\"} 1\n");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.out.find("vigil_slack_api_calls_total no help text"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace vigil
