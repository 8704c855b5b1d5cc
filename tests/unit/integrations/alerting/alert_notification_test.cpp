#include "integrations/alerting/alert_notification.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"

namespace vigil::alerting {
namespace {

std::string fixture(const std::string& rel) {
  return test::read_file(test::fixtures_dir() / rel);
}

TEST(AlertNotification, AlertmanagerTwoAlertsFiring) {
  const auto r = parse_alertmanager_webhook(fixture("alertmanager/webhook_firing_two_alerts_zulip.json"));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  const auto& a = (*r)[0];
  EXPECT_EQ(a.source, "alertmanager");
  EXPECT_EQ(a.status, AlertStatus::Firing);
  EXPECT_EQ(a.fingerprint, "a1bc48475b20e73d");
  EXPECT_EQ(a.alertname, "High CPU Temperature");
  EXPECT_EQ(a.severity, "critical");
  EXPECT_EQ(a.title, "High CPU core temperature");
  EXPECT_EQ(a.labels.at("host"), "andromeda");
  EXPECT_NE((*r)[0].fingerprint, (*r)[1].fingerprint);
}

TEST(AlertNotification, AlertmanagerResolvedAndMissingFingerprints) {
  const auto resolved = parse_alertmanager_webhook(fixture("alertmanager/webhook_resolved_single_alert_zulip.json"));
  ASSERT_TRUE(resolved);
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_EQ((*resolved)[0].status, AlertStatus::Resolved);
  // prometheus-msteams test data has no per-alert status or fingerprint: both are derived.
  const auto teams = parse_alertmanager_webhook(fixture("alertmanager/webhook_firing_msteams_testdata.json"));
  ASSERT_TRUE(teams) << teams.error().message();
  for (const auto& a : *teams) {
    EXPECT_EQ(a.status, AlertStatus::Firing);
    EXPECT_EQ(a.fingerprint.size(), 16u);
  }
  const auto oncall = parse_alertmanager_webhook(fixture("alertmanager/webhook_firing_oncall_example.json"));
  ASSERT_TRUE(oncall) << oncall.error().message();
  EXPECT_FALSE(oncall->empty());
}

TEST(AlertNotification, GrafanaUnifiedAndLegacy) {
  for (const auto* f :
       {"grafana/grafana_v11_alerting_firing_with_values.json", "grafana/grafana_v9_alerting_resolved.json",
        "grafana/grafana_alerting_oncall_example.json", "grafana/grafana_legacy_alerting_notification.json"}) {
    const auto r = parse_grafana_webhook(fixture(f));
    ASSERT_TRUE(r) << f << ": " << r.error().message();
    EXPECT_FALSE(r->empty()) << f;
    for (const auto& a : *r) {
      EXPECT_FALSE(a.fingerprint.empty()) << f;
      EXPECT_EQ(a.source, "grafana");
    }
  }
  const auto resolved = parse_grafana_webhook(fixture("grafana/grafana_v9_alerting_resolved.json"));
  EXPECT_EQ((*resolved)[0].status, AlertStatus::Resolved);
  EXPECT_EQ((*resolved)[0].fingerprint, "d8a21484c9c25a60");
  const auto legacy = parse_grafana_webhook(fixture("grafana/grafana_legacy_alerting_notification.json"));
  EXPECT_EQ((*legacy)[0].status, AlertStatus::Firing);
  EXPECT_EQ((*legacy)[0].alertname, "Test rule");
}

TEST(AlertNotification, PagerDutyEveryEvent) {
  struct Case {
    const char* file;
    AlertStatus status;
  };
  for (const auto& c :
       {Case{"v3_incident_triggered.json", AlertStatus::Firing},
        Case{"v3_incident_resolved.json", AlertStatus::Resolved},
        Case{"v3_incident_acknowledged.json", AlertStatus::Other},
        Case{"v3_incident_annotated.json", AlertStatus::Other}, Case{"v3_incident_escalated.json", AlertStatus::Other},
        Case{"v3_incident_priority_updated.json", AlertStatus::Other},
        Case{"v3_incident_reassigned.json", AlertStatus::Other}}) {
    const auto r = parse_pagerduty_webhook(fixture(std::string("pagerduty/") + c.file));
    ASSERT_TRUE(r) << c.file << ": " << r.error().message();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].status, c.status) << c.file;
    EXPECT_FALSE((*r)[0].fingerprint.empty()) << c.file;
  }
  const auto t = parse_pagerduty_webhook(fixture("pagerduty/v3_incident_triggered.json"));
  EXPECT_EQ((*t)[0].fingerprint, "PFQZPSY");
  EXPECT_EQ((*t)[0].title, "Test Incident 3");
  EXPECT_EQ((*t)[0].labels.at("service"), "pig208");
  const auto note = parse_pagerduty_webhook(fixture("pagerduty/v3_incident_annotated.json"));
  EXPECT_EQ((*note)[0].fingerprint, "Q3B15VLMF3ASBD");
}

TEST(AlertNotification, OpsGenieEveryAction) {
  struct Case {
    const char* file;
    AlertStatus status;
  };
  for (const auto& c :
       {Case{"alert_create.json", AlertStatus::Firing}, Case{"alert_close.json", AlertStatus::Resolved},
        Case{"alert_acknowledge.json", AlertStatus::Other}, Case{"alert_addnote.json", AlertStatus::Other},
        Case{"alert_escalate.json", AlertStatus::Other}}) {
    const auto r = parse_opsgenie_webhook(fixture(std::string("opsgenie/") + c.file));
    ASSERT_TRUE(r) << c.file << ": " << r.error().message();
    EXPECT_EQ((*r)[0].status, c.status) << c.file;
  }
  const auto create = parse_opsgenie_webhook(fixture("opsgenie/alert_create.json"));
  EXPECT_EQ((*create)[0].fingerprint, "alert-alias");
  EXPECT_EQ((*create)[0].title, "another alert");
  EXPECT_EQ((*create)[0].severity, "P3");
}

TEST(AlertNotification, MalformedBodiesGiveShortReasons) {
  EXPECT_EQ(parse_alertmanager_webhook("not json").error().detail, "body is not valid JSON");
  EXPECT_EQ(parse_alertmanager_webhook("[]").error().detail, "body is not a JSON object");
  EXPECT_EQ(parse_alertmanager_webhook("{}").error().detail, "missing \"alerts\" list");
  EXPECT_EQ(parse_alertmanager_webhook(R"({"alerts":[]})").error().detail, "\"alerts\" is empty");
  EXPECT_EQ(parse_alertmanager_webhook(R"({"alerts":[5]})").error().detail, "an alert is not an object");
  EXPECT_FALSE(parse_alertmanager_webhook(R"({"alerts":[{"status":"firing"}]})"));
  EXPECT_FALSE(parse_pagerduty_webhook(R"({"event":{"event_type":"incident.triggered","data":{}}})"));
  EXPECT_FALSE(parse_opsgenie_webhook(R"({"action":"Create"})"));
  EXPECT_FALSE(parse_grafana_webhook(R"({"title":"x"})"));
  EXPECT_FALSE(parse_alert_webhook("nagios", "{}"));
  // Wrong types inside do not throw.
  EXPECT_FALSE(parse_alertmanager_webhook(R"({"alerts":[{"labels":[1,2],"annotations":"x"}]})"));
  EXPECT_TRUE(parse_alertmanager_webhook(R"({"alerts":[{"labels":{"alertname":7},"fingerprint":{"x":1}}]})"));
}

// Kept under fuzz/regressions/alert_webhook/: the 8000-byte cap on a field cut a character in
// two, and the labels could not be written as JSON (store, Slack).
TEST(AlertNotification, CappedFieldsEndOnACharacter) {
  const std::string long_text = std::string(7999, 'v') + "\xC3\xA9";  // é at bytes 7999-8000
  const auto body = nlohmann::json{{"alerts",
                                    {{{"labels", {{"alertname", "DiskFull"}, {"pod", long_text}}},
                                      {"annotations", {{"description", long_text}}}}}}}
                        .dump();
  const auto r = parse_alertmanager_webhook(body);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].labels.at("pod"), std::string(7999, 'v'));
  EXPECT_EQ((*r)[0].text, std::string(7999, 'v'));
  EXPECT_NO_THROW((void)nlohmann::json((*r)[0].labels).dump());
  const auto og = parse_opsgenie_webhook(
      nlohmann::json{{"action", "Create"}, {"alert", {{"alertId", "a1"}, {"message", long_text}}}}.dump());
  ASSERT_TRUE(og) << og.error().message();
  EXPECT_EQ((*og)[0].title, std::string(7999, 'v'));
}

// Kept under fuzz/regressions/alert_webhook/: a 200 KB body of 100000 nested arrays (well inside
// the 1 MB webhook limit) overflowed the stack when the parser copied event.data.
TEST(AlertNotification, DeeplyNestedBodiesAreRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto pd =
      parse_pagerduty_webhook(R"({"event":{"event_type":"incident.triggered","data":{"id":"P1","x":)" + deep + "}}}");
  ASSERT_FALSE(pd);
  EXPECT_EQ(pd.error().detail, "body nests deeper than 128 levels");
  EXPECT_FALSE(parse_alertmanager_webhook(R"({"alerts":[{"labels":{"alertname":"x"}}],"commonLabels":)" + deep + "}"));
  EXPECT_FALSE(parse_opsgenie_webhook(R"({"action":"Create","alert":{"alertId":"a","x":)" + deep + "}}"));
}

}  // namespace
}  // namespace vigil::alerting
