// End to end: alert bots' messages in an incident channel as Slack delivers them to `vigil serve`
// (the emulator posts them for the bot's own app token and sends the message and message_changed
// events Slack would): an app that updates its message in place on resolve, edits that change
// nothing, and messages that only look like alerts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/chatops_session.h"
#include "tests/support/raw_http.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0INC";

std::string grafana_token() {
  return std::string("xo") + "xb-grafana-app";
}

class AlertMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    session_.emulator().add_channel(kChannel, "inc-api");
    session_.emulator().add_app_bot(grafana_token(), "B0GRAFANA", "Grafana");
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n    auto_triage: true\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n"
                   "logging:\n  level: debug\n");
  }

  // The app calls Slack's Web API with its own token, as Grafana's contact point does.
  json app_call(const std::string& method, const json& body) {
    const auto r = test::raw_http(session_.emulator().port(),
                                  test::http_request("POST", "/api/" + method,
                                                     {{"Authorization", "Bearer " + grafana_token()},
                                                      {"Content-Type", "application/json; charset=utf-8"}},
                                                     body.dump()));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json grafana_message(const std::string& title, const std::string& status_word) {
    return {{"channel", kChannel},
            {"username", "Grafana"},
            {"attachments",
             {{{"title", title},
               {"title_link", "https://grafana.example/alerting/list"},
               {"text", "**" + status_word +
                            "**\n\nValue: A=97\nLabels:\n - alertname = ApiDown\n - namespace = prod\n"
                            "Annotations:\n - summary = api answers 5xx\n"},
               {"fallback", title},
               {"footer", "Grafana v11.3.0"}}}}};
  }
  std::vector<IncidentRecord> incidents() { return session_.store()->list_incidents(100, false); }

  test::ChatOpsSession session_;
};

TEST_F(AlertMessages, AnAppThatUpdatesItsMessageOnResolveResolvesTheIncidentInPlace) {
  const auto posted = app_call("chat.postMessage", grafana_message("[FIRING:2] ApiDown (prod)", "Firing"));
  ASSERT_TRUE(posted.value("ok", false)) << posted.dump();
  const auto ts = posted.value("ts", "");
  ASSERT_TRUE(test::eventually([&] { return incidents().size() == 1; })) << session_.log();
  const auto incident = incidents().at(0);
  EXPECT_EQ(incident.source, "grafana");
  EXPECT_EQ(incident.thread_ts, ts);  // the run works in the alert message's own thread

  // A preview added to the message changes nothing an alert says: no note, no second incident.
  auto same = grafana_message("[FIRING:2] ApiDown (prod)", "Firing");
  same["ts"] = ts;
  ASSERT_TRUE(app_call("chat.update", same).value("ok", false));
  ASSERT_TRUE(test::eventually([&] {
    return session_.log().find("an edit of an alert message that changes nothing") != std::string::npos;
  })) << session_.log();

  // Resolved in place, with a title that is no longer the same: found by its message.
  auto resolved = grafana_message("[RESOLVED] ApiDown", "Resolved");
  resolved["ts"] = ts;
  ASSERT_TRUE(app_call("chat.update", resolved).value("ok", false));
  ASSERT_TRUE(test::eventually([&] { return incidents().at(0).state == "resolved"; })) << session_.log();
  EXPECT_EQ(incidents().size(), 1u);
  EXPECT_EQ(incidents().at(0).alert_count, 1);  // the edits were not counted as repeats
  EXPECT_TRUE(test::eventually([&] {
    return session_.posts().find("reports the alert resolved") != std::string::npos;
  })) << session_.posts();
}

TEST_F(AlertMessages, LookAlikesStartNothingAndTheLogSaysWhy) {
  // A person pastes an alert: only alert bots' messages start runs.
  session_.send({{"envelope_id", "env-paste"},
                 {"type", "events_api"},
                 {"payload",
                  {{"type", "event_callback"},
                   {"event_id", "EvPaste"},
                   {"event",
                    {{"type", "message"},
                     {"user", "U0PERSON"},
                     {"channel", kChannel},
                     {"ts", "1800000001.000001"},
                     {"text", "[FIRING:1] ApiDown (prod) — is anyone on this?"}}}}}});
  // A garbled, partial alert from the app.
  ASSERT_TRUE(app_call("chat.postMessage", json{{"channel", kChannel}, {"text", "[FIRING:1]"}}).value("ok", false));
  // An ordinary message from the app.
  ASSERT_TRUE(app_call("chat.postMessage", json{{"channel", kChannel}, {"text", "Grafana was upgraded to v11.3"}})
                  .value("ok", false));
  ASSERT_TRUE(test::eventually([&] {
    const auto log = session_.log();
    return log.find("a person's message that looks like an alert is not taken as one") != std::string::npos &&
           log.find("is not taken as an alert: '[FIRING:1]' without an alert after it") != std::string::npos &&
           log.find("is not taken as an alert: no alert status line") != std::string::npos;
  })) << session_.log();
  EXPECT_TRUE(incidents().empty());
  EXPECT_TRUE(session_.store()->list_runs(10).empty());
}

}  // namespace
}  // namespace vigil
