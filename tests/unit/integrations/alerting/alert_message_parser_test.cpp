#include "integrations/alerting/alert_message_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"

namespace vigil::alerting {
namespace {

AlertMessage attachment(const std::string& bot, const std::string& title, const std::string& text) {
  AlertMessage m;
  m.bot_name = bot;
  m.attachments.push_back({title, text, title, ""});
  return m;
}

TEST(AlertMessageParser, AlertmanagerSlackTemplateFiringAndResolvedShareFingerprint) {
  const auto firing = parse_alert_message(
      attachment("alertmanager", "[FIRING:2] KubePodCrashLooping (api prod)",
                 "*Alert:* Pod is crash looping - `critical`\n*Labels:*\n• *alertname:* `KubePodCrashLooping`\n"
                 "• *namespace:* `prod`\n• *severity:* `critical`"),
      false);
  ASSERT_TRUE(firing);
  EXPECT_EQ(firing->source, "alertmanager");
  EXPECT_EQ(firing->status, AlertStatus::Firing);
  EXPECT_EQ(firing->alertname, "KubePodCrashLooping");
  EXPECT_EQ(firing->severity, "critical");
  const auto again = parse_alert_message(attachment("alertmanager", "[FIRING:3] KubePodCrashLooping (api prod)", ""), false);
  EXPECT_EQ(again->fingerprint, firing->fingerprint);  // the count is not part of the key
  const auto resolved = parse_alert_message(attachment("alertmanager", "[RESOLVED] KubePodCrashLooping (api prod)", ""), false);
  EXPECT_EQ(resolved->status, AlertStatus::Resolved);
  EXPECT_EQ(resolved->fingerprint, firing->fingerprint);
}

TEST(AlertMessageParser, LabelLinesOfTheSlackTemplateBecomeLabels) {
  const auto a = parse_alert_message(
      attachment("alertmanager", "[FIRING:1] KubePodCrashLooping (checkout demo)",
                 "*Alert:* Pod is crash looping\n*Labels:*\n• *alertname:* `KubePodCrashLooping`\n"
                 "• *namespace:* `demo`\n• *pod:* `checkout-7d9f8b6c5-x2x9k`\n- severity: warning\n"
                 "• *bad key:* `x`\nnot a bullet: y\n*Heading:* text"),
      false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->labels.at("namespace"), "demo");
  EXPECT_EQ(a->labels.at("pod"), "checkout-7d9f8b6c5-x2x9k");
  EXPECT_EQ(a->labels.at("severity"), "warning");
  EXPECT_EQ(a->labels.at("alertname"), "KubePodCrashLooping");
  EXPECT_EQ(a->labels.count("bad key"), 0u);
  EXPECT_EQ(a->labels.count("not a bullet"), 0u);
  EXPECT_EQ(a->labels.count("Heading"), 0u);
  EXPECT_EQ(a->labels.count("Alert"), 0u);
  EXPECT_EQ(a->labels.size(), 4u);
}

TEST(AlertMessageParser, GrafanaPagerDutyOpsGenie) {
  const auto gf = parse_alert_message(attachment("Grafana", "[Alerting] High latency", ""), false);
  ASSERT_TRUE(gf);
  EXPECT_EQ(gf->source, "grafana");
  EXPECT_EQ(gf->status, AlertStatus::Firing);
  EXPECT_EQ(parse_alert_message(attachment("Grafana", "[OK] High latency", ""), false)->status, AlertStatus::Resolved);

  AlertMessage pd;
  pd.bot_name = "PagerDuty";
  pd.text = "Triggered #1234: &lt;checkout&gt; 5xx rate above 5% on <https://x.pagerduty.com/incidents/P1|P1>";
  const auto p = parse_alert_message(pd, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, "pagerduty");
  EXPECT_EQ(p->status, AlertStatus::Firing);
  EXPECT_EQ(p->fingerprint, "pagerduty-1234");
  EXPECT_EQ(p->title, "<checkout> 5xx rate above 5% on P1");
  pd.text = "Resolved #1234: <checkout> 5xx rate above 5%";
  EXPECT_EQ(parse_alert_message(pd, false)->status, AlertStatus::Resolved);

  AlertMessage og;
  og.bot_name = "Opsgenie";
  og.text = "[Opsgenie] Alert created: disk full on db-1";
  EXPECT_EQ(parse_alert_message(og, false)->status, AlertStatus::Firing);
}

TEST(AlertMessageParser, OrdinaryMessagesAreNotAlertsUnlessTheBotIsAnAlertSource) {
  AlertMessage m;
  m.bot_name = "other-app";
  m.text = "Hi there! Thanks for sharing the info!";
  EXPECT_FALSE(parse_alert_message(m, false));
  const auto forced = parse_alert_message(m, true);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->status, AlertStatus::Firing);
  EXPECT_EQ(forced->title, "Hi there! Thanks for sharing the info!");
  EXPECT_FALSE(parse_alert_message(AlertMessage{}, true));
}

TEST(AlertMessageParser, FixtureBotMessagesAreNotAlerts) {
  for (const auto* f : {"slack/events/message_subtype_bot_message.json", "slack/events/message_from_bot_with_bot_id.json"}) {
    const auto j = nlohmann::json::parse(test::read_file(test::fixtures_dir() / f));
    AlertMessage m;
    m.text = j["event"]["text"].get<std::string>();
    EXPECT_FALSE(parse_alert_message(m, false)) << f;
  }
}

TEST(AlertMessageParser, HugeAndHostileTextIsBounded) {
  AlertMessage m;
  m.text = "[FIRING:1] " + std::string(100000, 'A') + "\n" + std::string(50000, '<');
  const auto n = parse_alert_message(m, false);
  ASSERT_TRUE(n);
  EXPECT_LE(n->text.size(), 8000u);
}

// Found by fuzz/fuzz_alert_message (fuzz/regressions/alert_message/): the 300-byte title of an
// unrecognised message from a listed bot (and the 8000-byte scan limit) cut a character in two, and
// the alert's JSON (Slack, the store) could not be written.
TEST(AlertMessageParser, CutsKeepWholeCharacters) {
  AlertMessage m;
  m.bot_name = "custom-bot";
  m.text = std::string(299, 'd') + "\xE2\x80\xA2 disk full";
  const auto n = parse_alert_message(m, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->title, std::string(299, 'd'));
  EXPECT_NO_THROW((void)nlohmann::json(n->title).dump());

  AlertMessage big;
  big.text = "[FIRING:1] DiskFull\n" + std::string(7979, 'e') + "\xC3\xA9 tail";  // é at 7999-8000
  const auto b = parse_alert_message(big, false);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->text.size(), 7999u);
  EXPECT_NO_THROW((void)nlohmann::json(b->text).dump());
}

}  // namespace
}  // namespace vigil::alerting
