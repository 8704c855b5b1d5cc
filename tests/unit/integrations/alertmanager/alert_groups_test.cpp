#include "integrations/alertmanager/alert_groups.h"

#include <set>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::alertmanager {
namespace {

std::vector<AlertGroup> captured_groups() {
  // GET /api/v2/alerts/groups of Debian's prometheus-alertmanager 0.25 (tests/fixtures/SOURCES.md).
  auto groups = parse_alert_groups(test::read_file(test::fixtures_dir() / "alertmanager_api" / "alerts_groups.json"));
  EXPECT_TRUE(groups) << groups.error().message();
  return groups ? *groups : std::vector<AlertGroup>{};
}

// The same Alertmanager posted these two titles for these groups with its default Slack template.
TEST(AlertGroups, DefaultTitlesAreRenderedAsAlertmanagerRendersThem) {
  const auto groups = captured_groups();
  ASSERT_EQ(groups.size(), 2u);
  std::set<std::string> titles;
  for (const auto& g : groups) {
    EXPECT_EQ(g.receiver, "slack");
    titles.insert(default_title(g));
  }
  EXPECT_EQ(titles, (std::set<std::string>{"KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)",
                                           "KubePodNotReady shop (warning)"}));
}

TEST(AlertGroups, AMatchingTitleGivesTheLabelsAndWhatDiffers) {
  const auto groups = captured_groups();
  const auto one = match_default_title(groups, "slack", "KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)");
  ASSERT_TRUE(one.found) << one.why_not;
  EXPECT_EQ(one.labels.at("namespace"), "shop");
  EXPECT_EQ(one.labels.at("pod"), "checkout-7d9f8-x2x4q");
  EXPECT_EQ(one.labels.at("container"), "app");
  EXPECT_TRUE(one.differing.empty());

  // Two pods in one group: the pod is not picked.
  const auto two = match_default_title(groups, "", "KubePodNotReady shop (warning)");
  ASSERT_TRUE(two.found);
  EXPECT_EQ(two.labels.at("namespace"), "shop");
  EXPECT_EQ(two.labels.count("pod"), 0u);
  EXPECT_EQ(two.differing, std::vector<std::string>{"pod"});

  // No guessing: another receiver, a title no group has, or a prefix of one.
  EXPECT_FALSE(match_default_title(groups, "pager", "KubePodNotReady shop (warning)").found);
  const auto none = match_default_title(groups, "slack", "KubePodNotReady shop");
  EXPECT_FALSE(none.found);
  EXPECT_NE(none.why_not.find("none of the 2"), std::string::npos) << none.why_not;
}

TEST(AlertGroups, AlertnameComesFirstThenNames) {
  AlertGroup g;
  g.labels = {{"alertname", "Zeta"}, {"app", "a"}};
  g.alerts = {{{"alertname", "Zeta"}, {"app", "a"}, {"zone", "z1"}, {"b", "2"}}};
  EXPECT_EQ(default_title(g), "Zeta a (2 z1)");
  g.alerts.push_back({{"alertname", "Zeta"}, {"app", "a"}, {"zone", "z2"}, {"b", "2"}});
  EXPECT_EQ(default_title(g), "Zeta a (2)");
  g.alerts = {{{"alertname", "Zeta"}, {"app", "a"}}};
  EXPECT_EQ(default_title(g), "Zeta a");
}

TEST(AlertGroups, OddAnswersAreErrorsOrSkipped) {
  EXPECT_FALSE(parse_alert_groups("{}"));
  EXPECT_FALSE(parse_alert_groups("not json"));
  EXPECT_FALSE(parse_alert_groups(std::string(200, '[') + std::string(200, ']')));  // deeper than allowed
  const auto odd =
      parse_alert_groups(R"([1, "x", {"labels": {"a": 1, "b": "x"}, "receiver": "r", "alerts": [3, {"labels": []}]}])");
  ASSERT_TRUE(odd);
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ((*odd)[0].labels, (LabelSet{{"b", "x"}}));
  EXPECT_EQ((*odd)[0].receiver, "");
  EXPECT_EQ((*odd)[0].alerts.size(), 1u);
}

TEST(AlertGroups, OriginsCompareSchemeHostAndPort) {
  EXPECT_EQ(origin_of("http://AM.example:9093/#/alerts?receiver=slack"), "http://am.example:9093");
  EXPECT_EQ(origin_of("http://am.example/"), "http://am.example:80");
  EXPECT_EQ(origin_of("https://am.example"), "https://am.example:443");
  EXPECT_EQ(origin_of("?orgId=1"), "");
  EXPECT_EQ(origin_of("ftp://x"), "");
}

}  // namespace
}  // namespace vigil::alertmanager
