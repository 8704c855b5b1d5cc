// The pure decisions behind the alert buttons on a run's root: which buttons a run gets, what the
// root says was done, which links are allowed, who may click, and what the trigger tells about the
// alert.
#include "bot/core/alert_actions.h"

#include <gtest/gtest.h>

#include "bot/core/run_trigger.h"
#include "integrations/slack/blocks.h"

namespace vigil {
namespace {

RunRecord alert_run(const std::string& kind = "webhook") {
  RunRecord r;
  r.id = "11111111-2222-4333-8444-555555555555";
  r.trigger_kind = kind;
  r.incident_id = "inc-1";
  r.channel = "C0ALERTS";
  return r;
}

AlertSource alertmanager_alert() {
  AlertSource a;
  a.source = "alertmanager";
  a.url = "http://prometheus.example:9090/graph?g0.expr=up";
  a.labels = {{"alertname", "KubePodCrashLooping"}, {"namespace", "shop"}};
  return a;
}

std::vector<std::string> buttons_of(const slack::blocks::AlertActionsView& v) {
  std::vector<std::string> out;
  if (v.acknowledge)
    out.push_back("ack");
  if (v.silence)
    out.push_back("silence");
  if (v.snooze)
    out.push_back("snooze");
  if (v.resolve)
    out.push_back("resolve");
  if (!v.source_url.empty())
    out.push_back("link");
  return out;
}

TEST(AlertButtons, AnOpenAlertmanagerAlertGetsAcknowledgeSilenceResolveAndItsLink) {
  const auto v = alert_actions_view(alert_run(), alertmanager_alert(), {}, true, 1000);
  EXPECT_EQ(buttons_of(v), (std::vector<std::string>{"ack", "silence", "resolve", "link"}));
  EXPECT_EQ(v.token, alert_run().id);
  EXPECT_EQ(v.source_name, "Alertmanager");
  EXPECT_TRUE(v.status.empty());
}

TEST(AlertButtons, WithoutAlertmanagersApiOrLabelsItIsSnoozeInstead) {
  EXPECT_EQ(buttons_of(alert_actions_view(alert_run(), alertmanager_alert(), {}, false, 1000)),
            (std::vector<std::string>{"ack", "snooze", "resolve", "link"}));
  auto no_labels = alertmanager_alert();
  no_labels.labels.clear();
  EXPECT_TRUE(alert_actions_view(alert_run(), no_labels, {}, true, 1000).snooze);
  AlertSource pd;
  pd.source = "pagerduty";
  pd.url = "https://acme.pagerduty.com/incidents/PFQZPSY";
  const auto v = alert_actions_view(alert_run(), pd, {}, true, 1000);
  EXPECT_EQ(buttons_of(v), (std::vector<std::string>{"ack", "snooze", "resolve", "link"}));
  EXPECT_EQ(v.source_name, "PagerDuty");
}

TEST(AlertButtons, DoneThingsBecomeStatusLinesAndTheirButtonsGo) {
  AlertActionState s;
  s.acknowledged_by = "U0ONCALL01";
  s.silenced_by = "U0ONCALL01";
  s.silence_note = "silence abc until 2027-01-15 08:00 UTC";
  s.silenced_until = 2000;
  const auto v = alert_actions_view(alert_run(), alertmanager_alert(), s, true, 1000);
  EXPECT_EQ(buttons_of(v), (std::vector<std::string>{"resolve", "link"}));
  ASSERT_EQ(v.status.size(), 2u);
  EXPECT_EQ(v.status[0], ":eyes: Acknowledged by <@U0ONCALL01>");
  EXPECT_NE(v.status[1].find("Silenced in Alertmanager by <@U0ONCALL01>: silence abc"), std::string::npos);
  // An hour later the silence has ended: the button is back.
  EXPECT_TRUE(alert_actions_view(alert_run(), alertmanager_alert(), s, true, 2000).silence);

  AlertActionState resolved;
  resolved.resolved = true;
  resolved.resolved_by = "U0ONCALL01";
  const auto r = alert_actions_view(alert_run(), alertmanager_alert(), resolved, true, 1000);
  EXPECT_EQ(buttons_of(r), (std::vector<std::string>{"link"}));
  EXPECT_EQ(r.status.back(), ":white_check_mark: Incident resolved by <@U0ONCALL01>");
}

TEST(AlertButtons, StateComesFromTheIncidentsTimeline) {
  IncidentRecord inc;
  inc.id = "inc-1";
  const std::vector<IncidentEvent> events = {
      {1, "inc-1", 1'000'000, "alert_fired", "grafana", "x"},
      {2, "inc-1", 1'060'000, "acknowledged", "U0ONCALL01", "acknowledged in Slack"},
      {3, "inc-1", 1'120'000, "snoozed", "U0ONCALL02", "snoozed until …"},
  };
  const auto s = alert_action_state(inc, events);
  EXPECT_EQ(s.acknowledged_by, "U0ONCALL01");
  EXPECT_EQ(s.snoozed_by, "U0ONCALL02");
  EXPECT_EQ(s.snoozed_until, 1120 + 3600);
  EXPECT_FALSE(s.resolved);
  inc.state = "resolved";
  EXPECT_TRUE(alert_action_state(inc, events).resolved);
}

TEST(AlertButtons, OnlyHttpLinksAreShown) {
  EXPECT_TRUE(is_web_link("https://grafana.example/d/abc?viewPanel=2"));
  EXPECT_TRUE(is_web_link("HTTP://am.example:9093/#/alerts"));
  EXPECT_FALSE(is_web_link("javascript:alert(1)"));
  EXPECT_FALSE(is_web_link("slack://channel?id=C1"));
  EXPECT_FALSE(is_web_link("https://"));
  EXPECT_FALSE(is_web_link("https:///path"));
  EXPECT_FALSE(is_web_link("https://a.example/x y"));
  EXPECT_FALSE(is_web_link("https://a.example/<x|y>"));
  EXPECT_FALSE(is_web_link(""));
  EXPECT_FALSE(is_web_link("https://a.example/" + std::string(3000, 'a')));
  AlertSource bad = alertmanager_alert();
  bad.url = "javascript:alert(1)";
  EXPECT_TRUE(alert_actions_view(alert_run(), bad, {}, true, 1000).source_url.empty());
}

TEST(AlertButtons, ClicksAreCheckedByChannelAndSilenceNeedsAnApprover) {
  const auto run = alert_run();
  EXPECT_EQ(alert_click_refusal(AlertAction::Acknowledge, run, "C0ALERTS", false), "");
  EXPECT_EQ(alert_click_refusal(AlertAction::Snooze, run, "C0ALERTS", false), "");
  EXPECT_EQ(alert_click_refusal(AlertAction::Resolve, run, "C0ALERTS", false), "");
  EXPECT_NE(alert_click_refusal(AlertAction::Acknowledge, run, "C0OTHER", true), "");
  EXPECT_NE(alert_click_refusal(AlertAction::Silence, run, "C0ALERTS", false).find("takes an approver"),
            std::string::npos);
  EXPECT_EQ(alert_click_refusal(AlertAction::Silence, run, "C0ALERTS", true), "");
}

TEST(AlertButtons, TheAlertIsReadFromTheRunsTrigger) {
  RunTrigger t;
  t.kind = "webhook";
  t.incident.source = "pagerduty";
  t.incident.fingerprint = "PFQZPSY";
  t.incident.labels = {{"service", "api"}};
  t.event = {
      {"source", "pagerduty"}, {"url", "https://acme.pagerduty.com/incidents/PFQZPSY"}, {"source_id", "PFQZPSY"}};
  const std::vector<RunEvent> events = {{1, "r", 0, "created", "system", "", ""},
                                        {2, "r", 0, "trigger", "system", "", t.to_json().dump()}};
  const auto a = alert_source_of(alert_run(), events);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->source, "pagerduty");
  EXPECT_EQ(a->url, "https://acme.pagerduty.com/incidents/PFQZPSY");
  EXPECT_EQ(a->source_id, "PFQZPSY");
  EXPECT_EQ(a->labels.at("service"), "api");
  // A slash command's run, or an alert run without an incident, has no alert buttons.
  EXPECT_FALSE(alert_source_of(alert_run("slash_command"), events));
  auto no_incident = alert_run("alert");
  no_incident.incident_id.clear();
  EXPECT_FALSE(alert_source_of(no_incident, events));
}

TEST(AlertButtons, ActionIdsRoundTrip) {
  for (const auto* id :
       {slack::blocks::kActionAlertAck, slack::blocks::kActionAlertSilence, slack::blocks::kActionAlertSnooze,
        slack::blocks::kActionAlertResolve, slack::blocks::kActionAlertSource}) {
    EXPECT_TRUE(parse_alert_action(id)) << id;
  }
  EXPECT_FALSE(parse_alert_action("run.cancel"));
  EXPECT_EQ(snooze_key("grafana", "abc"), "alert:grafana:abc");
}

TEST(AlertButtons, TheRootShowsTheButtonsAndTheStatus) {
  slack::blocks::RunView rv;
  rv.run_id = alert_run().id;
  rv.status = "succeeded";
  rv.title = "KubePodCrashLooping";
  AlertActionState s;
  s.acknowledged_by = "U0ONCALL01";
  rv.alert = alert_actions_view(alert_run(), alertmanager_alert(), s, true, 1000);
  const auto m = slack::blocks::run_root(rv);
  const auto text = m.blocks.dump();
  EXPECT_NE(text.find("Acknowledged by <@U0ONCALL01>"), std::string::npos) << text;
  std::vector<std::string> actions;
  for (const auto& b : m.blocks) {
    for (const auto& e : b.value("elements", nlohmann::json::array())) {
      if (e.contains("action_id")) {
        actions.push_back(e["action_id"].get<std::string>());
        EXPECT_EQ(e.value("value", ""), alert_run().id);
      }
      if (e.value("action_id", "") == "alert.source") {
        EXPECT_EQ(e.value("url", ""), "http://prometheus.example:9090/graph?g0.expr=up");
        EXPECT_EQ(e["text"]["text"], "Open in Alertmanager");
      }
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"alert.silence", "alert.resolve", "alert.source"}));
}

}  // namespace
}  // namespace vigil
