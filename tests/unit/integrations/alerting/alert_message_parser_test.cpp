#include "integrations/alerting/alert_message_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"

namespace vigil::alerting {
namespace {

using nlohmann::json;

// A message body as the bot posted it (tests/fixtures/slack_alerts/), delivered the way Slack
// delivers another app's post: a `message` event with its bot_id and bot_profile, through
// slack::normalize and alert_message_of, as IncidentMessageHandler reads it.
slack::MessageEvent delivered(json body, const std::string& bot_name) {
  json event = body.is_object() ? body : json::object();
  event["type"] = "message";
  event["bot_id"] = "B0ALERTBOT";
  event["bot_profile"] = {{"id", "B0ALERTBOT"}, {"name", bot_name}};
  event["channel"] = "C0ALERTS";
  event["ts"] = "1800000000.000100";
  slack::Envelope envelope;
  envelope.type = slack::EnvelopeType::EventsApi;
  envelope.payload = json{{"type", "event_callback"}, {"event_id", "Ev1"}, {"event", event}};
  auto normalized = slack::normalize(envelope, slack::SelfIdentity{"U0VIGIL", "B0VIGIL"});
  auto* in = std::get_if<slack::InboundEvent>(&normalized);
  EXPECT_TRUE(in) << std::get<slack::Ignored>(normalized).reason;
  return in ? std::get<slack::MessageEvent>(in->body) : slack::MessageEvent{};
}

std::variant<AlertNotification, NotAnAlert> parse_body(const json& body, const std::string& bot_name,
                                                       bool assume_alert = false) {
  const auto m = delivered(body, bot_name);
  return parse_alert_message(alert_message_of(m.bot_name, slack::MessageContent{m.text, m.attachments, m.blocks}),
                             assume_alert);
}

AlertNotification alert_of(const std::string& fixture, const std::string& bot_name) {
  const auto body = json::parse(test::read_file(test::fixtures_dir() / "slack_alerts" / fixture));
  auto parsed = parse_body(body, bot_name);
  if (const auto* no = std::get_if<NotAnAlert>(&parsed)) {
    ADD_FAILURE() << fixture << ": not an alert: " << no->reason;
    return {};
  }
  return std::get<AlertNotification>(parsed);
}

AlertMessage attachment(const std::string& bot, const std::string& title, const std::string& text) {
  AlertMessage m;
  m.bot_name = bot;
  m.attachments.push_back({title, "", text, title, "", "", {}});
  return m;
}

AlertNotification alert(const std::variant<AlertNotification, NotAnAlert>& parsed) {
  if (const auto* no = std::get_if<NotAnAlert>(&parsed)) {
    ADD_FAILURE() << "not an alert: " << no->reason;
    return {};
  }
  return std::get<AlertNotification>(parsed);
}

// ---- Alertmanager -------------------------------------------------------------------------------

// Captured from Debian's prometheus-alertmanager 0.25 with a plain slack_configs receiver: the title
// lists label values without their names; Vigil must not turn them into parameters.
TEST(AlertMessageParser, AlertmanagersDefaultMessageIsFlaggedAndNoLabelIsGuessed) {
  const auto firing = alert_of("alertmanager/alertmanager025_default_template_firing.json", "Alertmanager");
  EXPECT_EQ(firing.source, "alertmanager");
  EXPECT_EQ(firing.status, AlertStatus::Firing);
  EXPECT_EQ(firing.title, "KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)");
  EXPECT_TRUE(firing.labels_without_keys);
  EXPECT_EQ(firing.receiver, "slack");
  EXPECT_EQ(firing.url, "http://vm:19093/#/alerts?receiver=slack");
  // Only the alert name (alertname comes first in Alertmanager's titles); never pod or namespace.
  EXPECT_EQ(firing.alertname, "KubePodCrashLooping");
  EXPECT_EQ(firing.labels, (std::map<std::string, std::string>{{"alertname", "KubePodCrashLooping"}}));

  const auto resolved = alert_of("alertmanager/alertmanager025_default_template_resolved.json", "Alertmanager");
  EXPECT_EQ(resolved.status, AlertStatus::Resolved);
  EXPECT_EQ(resolved.fingerprint, firing.fingerprint);
}

// zulip/zulip's capture of a real Alertmanager post with the widely copied community template: two
// alerts, each listing its labels; the instance differs, so it is left out and named.
TEST(AlertMessageParser, CommunityTemplateWithTwoAlertsKeepsOnlyTheSharedLabels) {
  const auto a = alert_of("alertmanager/alertmanager_community_template_firing2_details_labels.json", "Alertmanager");
  EXPECT_EQ(a.source, "alertmanager");
  EXPECT_EQ(a.status, AlertStatus::Firing);
  EXPECT_FALSE(a.labels_without_keys);
  EXPECT_EQ(a.alertname, "InstanceDown");
  EXPECT_EQ(a.severity, "critical");
  EXPECT_EQ(a.labels,
            (std::map<std::string, std::string>{
                {"alertname", "InstanceDown"}, {"env", "prod"}, {"job", "api-server"}, {"severity", "critical"}}));
  EXPECT_EQ(a.differing_labels, std::vector<std::string>{"instance"});
}

// Alertmanager's thread mode edits its parent message: "FIRING (2): TestAlert" and later
// "FIRING (2) → RESOLVED: TestAlert" (prometheus/alertmanager's slack_thread_test.go).
TEST(AlertMessageParser, AlertmanagerThreadModeTitlesSayTheLatestState) {
  const auto firing =
      alert_of("alertmanager/alertmanager_thread_parent_chat_update_firing2_partial.json", "Alertmanager");
  EXPECT_EQ(firing.status, AlertStatus::Firing);
  EXPECT_EQ(firing.title, "TestAlert");
  const auto resolved =
      alert_of("alertmanager/alertmanager_thread_parent_chat_update_resolved_partial.json", "Alertmanager");
  EXPECT_EQ(resolved.status, AlertStatus::Resolved);
  EXPECT_EQ(resolved.fingerprint, firing.fingerprint);
  const auto partial = alert(parse_alert_message(
      attachment("Alertmanager", "FIRING (2) \xE2\x86\x92 PARTIAL RESOLVE \xE2\x86\x92 FIRING: HighCPU", ""), false));
  EXPECT_EQ(partial.status, AlertStatus::Firing);
  EXPECT_EQ(partial.title, "HighCPU");
}

// The template Vigil ships in deploy/alerting/ (rendered by Alertmanager 0.25's amtool).
TEST(AlertMessageParser, VigilsTemplateCarriesEveryLabelAndTheAnnotationsStayApart) {
  const auto a = alert(parse_alert_message(
      attachment("Alertmanager", "[FIRING:1] KubePodCrashLooping shop (app checkout-7d9f8-x2x4q critical)",
                 "*Pod shop/checkout-7d9f8-x2x4q is crash looping* · <https://runbooks.example.com/x|Runbook>\n"
                 "*Labels:*\n\xE2\x80\xA2 *alertname:* `KubePodCrashLooping`\n\xE2\x80\xA2 *container:* `app`\n"
                 "\xE2\x80\xA2 *namespace:* `shop`\n\xE2\x80\xA2 *pod:* `checkout-7d9f8-x2x4q`\n"
                 "\xE2\x80\xA2 *severity:* `critical`\n_Container app restarted 5 times._\n"),
      false));
  EXPECT_FALSE(a.labels_without_keys);
  EXPECT_EQ(a.labels.at("namespace"), "shop");
  EXPECT_EQ(a.labels.at("pod"), "checkout-7d9f8-x2x4q");
  EXPECT_EQ(a.labels.at("container"), "app");
  EXPECT_EQ(a.severity, "critical");
  EXPECT_EQ(a.labels.size(), 5u);
}

TEST(AlertMessageParser, LabelLinesNeedABulletANameAndAValue) {
  const auto a = alert(parse_alert_message(
      attachment(
          "alertmanager", "[FIRING:1] KubePodCrashLooping (checkout demo)",
          "*Alert:* Pod is crash looping\n*Labels:*\n\xE2\x80\xA2 *alertname:* `KubePodCrashLooping`\n"
          "\xE2\x80\xA2 *namespace:* `demo`\n\xE2\x80\xA2 *pod:* `checkout-7d9f8b6c5-x2x9k`\n- severity: warning\n"
          "\xE2\x80\xA2 *bad key:* `x`\nnot a bullet: y\n*Heading:* text\n- empty:\n- code: `a`b`"),
      false));
  EXPECT_EQ(a.labels, (std::map<std::string, std::string>{{"alertname", "KubePodCrashLooping"},
                                                          {"namespace", "demo"},
                                                          {"pod", "checkout-7d9f8b6c5-x2x9k"},
                                                          {"severity", "warning"}}));
}

// ---- Grafana ------------------------------------------------------------------------------------

// grafana/alerting's slack_test.go: the default contact-point message (labels as " - key = value").
TEST(AlertMessageParser, GrafanasDefaultMessageLabelsAndAnnotations) {
  const auto a = alert_of("grafana/grafana_alerting_default_firing_single_webhook.json", "Grafana");
  EXPECT_EQ(a.source, "grafana");
  EXPECT_EQ(a.status, AlertStatus::Firing);
  EXPECT_FALSE(a.labels_without_keys);
  EXPECT_EQ(a.alertname, "alert1");
  EXPECT_EQ(a.labels, (std::map<std::string, std::string>{{"alertname", "alert1"}, {"lbl1", "val1"}}));
  EXPECT_EQ(a.annotations, (std::map<std::string, std::string>{{"ann1", "annv1"}}));

  const auto captured = alert_of("grafana/grafana12_firing_webhook_body_captured.json", "Grafana");
  EXPECT_EQ(captured.source, "grafana");  // from the footer: the username is the sender's choice
  EXPECT_EQ(captured.labels.at("grafana_folder"), "Test Folder");
  EXPECT_EQ(captured.labels.at("instance"), "Grafana");
  EXPECT_EQ(captured.annotations.at("summary"), "aaaa");
}

TEST(AlertMessageParser, GrafanaWithSeveralAlertsKeepsWhatTheyShare) {
  const auto two = alert_of("grafana/grafana_alerting_two_firing_custom_title.json", "Grafana");
  // A custom title ("2 firing, 0 resolved") is no status line: Grafana's "**Firing**" section is,
  // and the labels carry the alert (and its key, since the title counts).
  EXPECT_EQ(two.source, "grafana");
  EXPECT_EQ(two.status, AlertStatus::Firing);
  EXPECT_EQ(two.labels, (std::map<std::string, std::string>{{"alertname", "alert1"}}));
  EXPECT_EQ(two.differing_labels, std::vector<std::string>{"lbl1"});
  auto three = json::parse(test::read_file(test::fixtures_dir() / "slack_alerts" / "grafana" /
                                           "grafana_alerting_two_firing_custom_title.json"));
  three["attachments"][0]["title"] = "3 firing, 0 resolved";
  EXPECT_EQ(alert(parse_body(three, "Grafana")).fingerprint, two.fingerprint);

  const auto mixed = alert_of("grafana/grafana_default_template_firing3_resolved3_partial.json", "Grafana");
  EXPECT_EQ(mixed.status, AlertStatus::Firing);  // "[FIRING:3, RESOLVED:3]"
  EXPECT_EQ(mixed.labels, (std::map<std::string, std::string>{{"alertname", "alert1"}}));
  EXPECT_EQ(mixed.differing_labels, (std::vector<std::string>{"grafana_folder", "lbl1"}));
}

TEST(AlertMessageParser, GrafanaTemplatesFromItsDocsAndVersion8) {
  const auto docs = alert_of("grafana/grafana_docs_custom_template_labels_firing_and_resolved_partial.json", "Grafana");
  EXPECT_EQ(docs.status, AlertStatus::Firing);  // "[firing] Test1" opens the second line
  EXPECT_EQ(docs.labels.at("grafana_folder"), "GrafanaCloud");
  EXPECT_EQ(docs.differing_labels, std::vector<std::string>{"alertname"});

  // A template of the sender's own words with no status line and no labels is no alert, unless the
  // channel lists the bot as an alert source.
  const auto runbook =
      json::parse(test::read_file(test::fixtures_dir() / "slack_alerts" / "grafana" /
                                  "grafana_docs_custom_template_runbook_firing_and_resolved_partial.json"));
  EXPECT_TRUE(std::holds_alternative<NotAnAlert>(parse_body(runbook, "Grafana")));
  EXPECT_EQ(alert(parse_body(runbook, "Grafana", true)).title, "1 firing alert(s)");

  const auto v8 = alert_of("grafana/grafana8_ngalert_default_template_firing.json", "Grafana");
  EXPECT_EQ(v8.status, AlertStatus::Firing);
  EXPECT_FALSE(v8.labels.empty());

  // "Integration Test [FIRING:1] SlackAlert1": a few words before the status are allowed.
  const auto custom = alert_of("grafana/grafana8_ngalert_custom_template_with_mentions.json", "Grafana");
  EXPECT_EQ(custom.status, AlertStatus::Firing);
  EXPECT_EQ(custom.title, "SlackAlert1");
}

TEST(AlertMessageParser, GrafanaLegacyAlertingAndOk) {
  const auto a = alert_of("grafana/grafana_legacy_v5_alerting_slack_body.json", "Grafana");
  EXPECT_EQ(a.source, "grafana");
  EXPECT_EQ(a.status, AlertStatus::Firing);
  EXPECT_EQ(a.alertname, "Test server RAM Usage alert");
  EXPECT_EQ(a.url, "http://abc");
  const auto ok = alert(parse_alert_message(attachment("Grafana", "[Ok] Test server RAM Usage alert", ""), false));
  EXPECT_EQ(ok.status, AlertStatus::Resolved);
  EXPECT_EQ(ok.fingerprint, a.fingerprint);
}

// ---- PagerDuty and OpsGenie: written to their guides' descriptions (no public example exists;
// tests/fixtures/slack_alerts/pagerduty/README.md) ------------------------------------------------

TEST(AlertMessageParser, PagerDutyAsItsGuidesDescribeIt) {
  AlertMessage pd;
  pd.bot_name = "PagerDuty";
  pd.text =
      ":red_circle: Triggered #1234: &lt;checkout&gt; 5xx rate above 5% on <https://x.pagerduty.com/incidents/P1|P1>";
  const auto p = alert(parse_alert_message(pd, false));
  EXPECT_EQ(p.source, "pagerduty");
  EXPECT_EQ(p.status, AlertStatus::Firing);
  EXPECT_EQ(p.fingerprint, "pagerduty-1234");
  EXPECT_EQ(p.title, "<checkout> 5xx rate above 5% on P1");
  pd.text = "Acknowledged #1234 by Alex";
  EXPECT_EQ(alert(parse_alert_message(pd, false)).status, AlertStatus::Other);
  pd.text = "Resolved #1234: <checkout> 5xx rate above 5%";
  const auto r = alert(parse_alert_message(pd, false));
  EXPECT_EQ(r.status, AlertStatus::Resolved);
  EXPECT_EQ(r.fingerprint, "pagerduty-1234");
  // Another bot saying "Resolved" is not PagerDuty without an incident number.
  AlertMessage other;
  other.bot_name = "deploy-bot";
  other.text = "Resolved merge conflicts in checkout";
  EXPECT_TRUE(std::holds_alternative<NotAnAlert>(parse_alert_message(other, false)));
}

TEST(AlertMessageParser, OpsGenieAsItsGuidesDescribeIt) {
  AlertMessage og;
  og.bot_name = "Opsgenie";
  og.text = "[Opsgenie] Alert created: disk full on db-1";
  const auto c = alert(parse_alert_message(og, false));
  EXPECT_EQ(c.source, "opsgenie");
  EXPECT_EQ(c.status, AlertStatus::Firing);
  og.text = "Alert closed: disk full on db-1";
  const auto closed = alert(parse_alert_message(og, false));
  EXPECT_EQ(closed.status, AlertStatus::Resolved);
  EXPECT_EQ(closed.fingerprint, c.fingerprint);
}

// ---- Block Kit and edits ------------------------------------------------------------------------

TEST(AlertMessageParser, BlockKitMessagesAreRead) {
  const json body{
      {"text", "alert"},
      {"blocks",
       {{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", "[FIRING:1] KubePodOOMKilled shop"}}}},
        {{"type", "section"},
         {"fields",
          {{{"type", "mrkdwn"}, {"text", "*Labels:*"}},
           {{"type", "mrkdwn"}, {"text", "\xE2\x80\xA2 *namespace:* `shop`\n\xE2\x80\xA2 *pod:* `cart-1`"}}}}},
        {{"type", "rich_text"},
         {"elements",
          {{{"type", "rich_text_list"},
            {"elements",
             {{{"type", "rich_text_section"}, {"elements", {{{"type", "text"}, {"text", "container: app"}}}}}}}}}}},
        {{"type", "context"},
         {"elements", {{{"type", "image"}, {"image_url", "x"}}, {{"type", "mrkdwn"}, {"text", "from Alertmanager"}}}}},
        {{"type", "divider"}}}}};
  const auto a = alert(parse_body(body, "alertmanager"));
  EXPECT_EQ(a.status, AlertStatus::Firing);
  EXPECT_EQ(a.alertname, "KubePodOOMKilled");
  EXPECT_EQ(a.labels.at("namespace"), "shop");
  EXPECT_EQ(a.labels.at("pod"), "cart-1");
  EXPECT_EQ(a.labels.at("container"), "app");
}

TEST(AlertMessageParser, AnEditCarriesTheMessageAsItIsAndAsItWas) {
  // Slack's documented message_changed example, with the alert bot's message in it.
  auto envelope_payload = json::parse(test::read_file(test::fixtures_dir() / "slack_alerts" / "slack" /
                                                      "slack_docs_message_changed_event_callback.json"));
  auto& e = envelope_payload["event"];
  e["message"]["bot_id"] = "B0PD";
  e["message"]["bot_profile"] = {{"name", "PagerDuty"}};
  e["message"]["text"] = "Resolved #77: checkout down";
  e["previous_message"] = {
      {"type", "message"}, {"bot_id", "B0PD"}, {"text", "Triggered #77: checkout down"}, {"ts", e["message"]["ts"]}};
  slack::Envelope envelope;
  envelope.type = slack::EnvelopeType::EventsApi;
  envelope.payload = envelope_payload;
  const auto normalized = slack::normalize(envelope, slack::SelfIdentity{"U0VIGIL", "B0VIGIL"});
  const auto* in = std::get_if<slack::InboundEvent>(&normalized);
  ASSERT_TRUE(in);
  const auto& m = std::get<slack::MessageEvent>(in->body);
  EXPECT_EQ(m.kind, slack::MessageKind::BotMessage);
  EXPECT_EQ(m.edited_ts, e["message"]["ts"].get<std::string>());
  const auto now = alert(parse_alert_message(alert_message_of(m.bot_name, {m.text, m.attachments, m.blocks}), false));
  const auto before = alert(parse_alert_message(alert_message_of(m.bot_name, m.previous), false));
  EXPECT_EQ(now.status, AlertStatus::Resolved);
  EXPECT_EQ(before.status, AlertStatus::Firing);
  EXPECT_EQ(now.fingerprint, before.fingerprint);

  // A person's edit is not new input.
  e["message"].erase("bot_id");
  envelope.payload = envelope_payload;
  EXPECT_TRUE(std::holds_alternative<slack::Ignored>(slack::normalize(envelope, slack::SelfIdentity{})));
}

// ---- what is not an alert -----------------------------------------------------------------------

TEST(AlertMessageParser, MessagesThatOnlyLookLikeAlertsAreNotAlertsWithAReason) {
  for (const std::string text : {"[FIRING:1]", "[FIRING:1]   ", "[FIRING:x] disk", "[FIRING disk full",
                                 "Hi there! Thanks for sharing the info!", "FIRING (2):", "Triggered", ""}) {
    AlertMessage m;
    m.bot_name = "some-app";
    m.text = text;
    const auto parsed = parse_alert_message(m, false);
    ASSERT_TRUE(std::holds_alternative<NotAnAlert>(parsed)) << text;
    EXPECT_FALSE(std::get<NotAnAlert>(parsed).reason.empty()) << text;
  }
  AlertMessage bare;
  bare.text = "[FIRING:1]";
  EXPECT_NE(std::get<NotAnAlert>(parse_alert_message(bare, false)).reason.find("without an alert"), std::string::npos);
}

TEST(AlertMessageParser, AListedAlertSourcesOtherMessagesAreFiringAlerts) {
  AlertMessage m;
  m.bot_name = "other-app";
  m.text = "Hi there! Thanks for sharing the info!";
  EXPECT_TRUE(std::holds_alternative<NotAnAlert>(parse_alert_message(m, false)));
  const auto forced = alert(parse_alert_message(m, true));
  EXPECT_EQ(forced.status, AlertStatus::Firing);
  EXPECT_EQ(forced.title, "Hi there! Thanks for sharing the info!");
  EXPECT_TRUE(forced.labels.count("alertname"));
  EXPECT_TRUE(std::holds_alternative<NotAnAlert>(parse_alert_message(AlertMessage{}, true)));
}

TEST(AlertMessageParser, FixtureBotMessagesAreNotAlerts) {
  for (const auto* f :
       {"slack/events/message_subtype_bot_message.json", "slack/events/message_from_bot_with_bot_id.json"}) {
    const auto j = json::parse(test::read_file(test::fixtures_dir() / f));
    AlertMessage m;
    m.text = j["event"]["text"].get<std::string>();
    EXPECT_TRUE(std::holds_alternative<NotAnAlert>(parse_alert_message(m, false))) << f;
  }
}

// ---- bounded on hostile input -------------------------------------------------------------------

TEST(AlertMessageParser, HugeAndHostileTextIsBounded) {
  AlertMessage m;
  m.text = "[FIRING:1] " + std::string(100000, 'A') + "\n" + std::string(50000, '<');
  const auto n = alert(parse_alert_message(m, false));
  EXPECT_LE(n.text.size(), 8000u);
}

// The shapes that make a backtracking matcher blow up (the label-line regex once exceeded
// Boost.Regex's complexity bound on a 730-byte message and threw): long runs of the characters
// its optional parts accept. Each parse must finish without throwing (linear scanners).
TEST(AlertMessageParser, PathologicalLinesFinishQuickly) {
  std::vector<std::string> bodies;
  bodies.push_back("- " + std::string(20000, '*') + "\n");
  bodies.push_back("\xE2\x80\xA2 *" + std::string(300, 'a') + std::string(5000, ' ') + ":" + std::string(5000, ' ') +
                   "\n");
  std::string many;
  for (int i = 0; i < 2000; ++i) {
    many += "- k" + std::to_string(i) + ": `" + std::string(200, '`') + "\n";
  }
  bodies.push_back(many);
  bodies.push_back(std::string(8000, '<') + std::string(8000, '|') + std::string(8000, '>'));
  bodies.push_back("FIRING " + std::string(3000, '(') + ": x");
  for (const auto& body : bodies) {
    AlertMessage m;
    m.attachments.push_back({"[FIRING:1] x", "", body, body, body, "", {{std::string(500, 'k'), body}}});
    m.block_texts = {body, body};
    EXPECT_NO_THROW((void)parse_alert_message(m, true));
  }
}

// Found by fuzz/fuzz_alert_message (fuzz/regressions/alert_message/): the 300-byte title of an
// unrecognised message from a listed bot (and the 8000-byte scan limit) cut a character in two, and
// the alert's JSON (Slack, the store) could not be written.
TEST(AlertMessageParser, CutsKeepWholeCharacters) {
  AlertMessage m;
  m.bot_name = "custom-bot";
  m.text = std::string(299, 'd') + "\xE2\x80\xA2 disk full";
  const auto n = alert(parse_alert_message(m, true));
  EXPECT_EQ(n.title, std::string(299, 'd'));
  EXPECT_NO_THROW((void)json(n.title).dump());

  AlertMessage big;
  big.text = "[FIRING:1] DiskFull\n" + std::string(7979, 'e') + "\xC3\xA9 tail";  // é at 7999-8000
  const auto b = alert(parse_alert_message(big, false));
  EXPECT_EQ(b.text.size(), 7999u);
  EXPECT_NO_THROW((void)json(b.text).dump());
}

}  // namespace
}  // namespace vigil::alerting
