// End to end: the alert buttons on the root of a run started by a PagerDuty webhook, clicked in
// the Slack emulator as a person would, against `vigil serve` and a fake PagerDuty on loopback.
// Acknowledge (in Vigil and in PagerDuty), Snooze (repeats stop being posted), Resolve, the link to
// the PagerDuty incident; each click audited, repeated clicks change nothing, and the root says
// who did what.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/pagerduty/pagerduty_signature.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/fake_paging_server.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kAlerts = "C0ALERTS";
constexpr const char* kOther = "C0ELSEWHERE";
constexpr const char* kAna = "U0ONCALL01";
constexpr const char* kSam = "U0TEAMMATE";

std::string api_token() {
  return "pd-api-" + std::string("buttons-token");
}

class AlertButtonsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kAlerts, "alerts");
    emu_.add_channel(kOther, "random");
    emu_.add_user(kAna, "ana", "ana@example.com");
    emu_.add_user(kSam, "sam", "sam@example.com");
    emu_.start();
    paging_.add_pagerduty_incident("PFQZPSY");
    paging_.start();
    test::write_file(dir_ / "vigil.yaml", "channels:\n  - id: " + std::string(kAlerts) +
                                              "\n    backend: runbook\n    auto_triage: true\n"
                                              "pagerduty:\n  api_url: " +
                                              paging_.url() +
                                              "\n  from_email: vigil@example.com\n"
                                              "skills:\n  dirs: [" +
                                              (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
                                              "]\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "ws").string() +
                                              "\n  grace: 1s\n"
                                              "storage:\n  database: " +
                                              (dir_ / "v.db").string() +
                                              "\n"
                                              "http:\n  alert_channel: " +
                                              kAlerts +
                                              "\n"
                                              "logging:\n  level: debug\n");
    pid_ = test::start_vigil(
        {"--config", (dir_ / "vigil.yaml").string(), "serve"},
        {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
         "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_HTTP_ADDR=127.0.0.1:0",
         "VIGIL_PAGERDUTY_WEBHOOK_SECRETS=pd-webhook-secret", "VIGIL_PAGERDUTY_API_TOKEN=" + api_token()},
        (dir_ / "vigil.log").string());
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(test::eventually(
        [&] {
          const auto text = log();
          const auto at = text.find("(port ");
          if (at == std::string::npos) {
            return false;
          }
          port_ = static_cast<unsigned short>(std::stoi(text.substr(at + 6)));
          return true;
        },
        15s))
        << log();
    ASSERT_TRUE(test::eventually(
        [&] { return test::raw_http(port_, test::http_request("GET", "/readyz")).status == 200; }, 15s))
        << log();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
    paging_.stop();
  }
  std::string log() const { return test::read_file(dir_ / "vigil.log"); }

  int pagerduty_webhook(const std::string& title) {
    auto body = json::parse(test::read_file(test::fixtures_dir() / "pagerduty" / "v3_incident_triggered.json"));
    body["event"]["data"]["title"] = title;
    const auto text = body.dump();
    return test::raw_http(port_,
                          test::http_request("POST", "/webhooks/pagerduty",
                                             {{"Content-Type", "application/json"},
                                              {"X-PagerDuty-Signature", pagerduty::sign_v3("pd-webhook-secret", text)}},
                                             text))
        .status;
  }
  void click(const std::string& action_id, const std::string& value, const std::string& user,
             const std::string& channel = kAlerts) {
    const auto n = std::to_string(++counter_);
    const auto id =
        emu_.send_envelope({{"envelope_id", "env-click-" + n},
                            {"type", "interactive"},
                            {"accepts_response_payload", true},
                            {"payload",
                             {{"type", "block_actions"},
                              {"user", {{"id", user}, {"username", user == kAna ? "ana" : "sam"}, {"team_id", "T1"}}},
                              {"team", {{"id", "T1"}}},
                              {"channel", {{"id", channel}, {"name", "alerts"}}},
                              {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", channel}}},
                              {"trigger_id", "trig-" + n},
                              {"response_url", emu_.response_url("click-" + n)},
                              {"actions", json::array({{{"action_id", action_id},
                                                        {"block_id", "b"},
                                                        {"value", value},
                                                        {"type", "button"},
                                                        {"action_ts", "1700000000." + n}}})}}}});
    EXPECT_TRUE(emu_.wait_for_ack(id, 3s));
  }
  // The run's root as it is now (updates applied).
  std::optional<slack::EmulatedMessage> root() const {
    for (const auto& m : emu_.messages(kAlerts)) {
      if (m.user == emu_.options().bot_user_id && m.text.rfind("Triage run ", 0) == 0) {
        return m;
      }
    }
    return std::nullopt;
  }
  // The action ids on the root, in order, and the link button's URL.
  std::vector<std::string> root_buttons(std::string* link = nullptr) const {
    std::vector<std::string> out;
    const auto r = root();
    if (!r) {
      return out;
    }
    for (const auto& b : r->blocks) {
      for (const auto& e : b.value("elements", json::array())) {
        if (e.value("type", "") == "button") {
          out.push_back(e.value("action_id", ""));
          if (link != nullptr && e.contains("url")) {
            *link = e.value("url", "");
          }
        }
      }
    }
    return out;
  }
  // Vigil's replies in the run's thread.
  std::string thread() const {
    std::string out;
    const auto r = root();
    for (const auto& m : emu_.messages(kAlerts)) {
      if (r && m.thread_ts == r->ts && m.ts != r->ts && m.user == emu_.options().bot_user_id) {
        out += m.text + "\n";
      }
    }
    return out;
  }
  std::string responses() const {
    std::string out;
    for (const auto& [id, body] : emu_.response_posts()) {
      out += id + ": " + body.dump() + "\n";
    }
    for (const auto& c : emu_.calls("chat.postEphemeral")) {
      out += "ephemeral: " + c.args.dump() + "\n";
    }
    return out;
  }
  std::unique_ptr<Store> store() const {
    auto s = Store::open((dir_ / "v.db").string());
    return s ? std::move(*s) : nullptr;
  }
  int audited(const std::string& action, const std::string& actor) const {
    int n = 0;
    for (const auto& e : store()->list_audit()) {
      n += e.action == action && e.actor == actor ? 1 : 0;
    }
    return n;
  }
  bool has(const std::vector<std::string>& v, const std::string& s) const {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  test::TempDir dir_;
  slack::SlackEmulator emu_;
  test::FakePagingServer paging_{api_token(), "unused"};
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int counter_ = 0;
};

TEST_F(AlertButtonsE2E, AcknowledgeSnoozeAndResolveFromTheRoot) {
  ASSERT_EQ(pagerduty_webhook("checkout latency is high"), 202);
  // The root of the alert's run carries the alert buttons and the link to the PagerDuty incident.
  ASSERT_TRUE(test::eventually([&] { return has(root_buttons(), "alert.ack"); }, 20s)) << log();
  std::string link;
  const auto buttons = root_buttons(&link);
  EXPECT_TRUE(has(buttons, "alert.snooze"));
  EXPECT_TRUE(has(buttons, "alert.resolve"));
  EXPECT_FALSE(has(buttons, "alert.silence")) << "a PagerDuty incident has no Alertmanager silence";
  EXPECT_EQ(link, "https://pig208.pagerduty.com/incidents/PFQZPSY");
  const auto runs = store()->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  const auto run_id = runs[0].id;
  const auto incident_id = runs[0].incident_id;

  // A click from another channel is refused privately and changes nothing.
  click("alert.ack", run_id, kSam, kOther);
  ASSERT_TRUE(test::eventually([&] { return responses().find("another channel") != std::string::npos; }))
      << responses();
  EXPECT_EQ(audited("alert.acknowledge_refused", kSam), 1);
  // A value that names no alert run (forged, or 10 KB of text) is refused the same way.
  click("alert.resolve", std::string(10'000, 'x'), kSam);
  ASSERT_TRUE(test::eventually([&] { return responses().find("not known to Vigil") != std::string::npos; }))
      << responses();
  EXPECT_EQ(audited("alert.resolve_refused", kSam), 1);
  EXPECT_EQ(store()->get_incident(incident_id)->state, "open");

  // Acknowledge: noted in the thread, in the audit log, the incident's timeline and PagerDuty.
  click("alert.ack", run_id, kAna);
  ASSERT_TRUE(test::eventually([&] { return thread().find("acknowledged by <@U0ONCALL01>") != std::string::npos; }))
      << thread() << log();
  ASSERT_TRUE(test::eventually([&] { return thread().find("acknowledged in PagerDuty too") != std::string::npos; }))
      << thread() << log();
  const auto acks = paging_.requests("/incidents/PFQZPSY");
  std::vector<test::PagingRequest> puts;
  for (const auto& r : acks) {
    if (r.method == "PUT") {
      puts.push_back(r);
    }
  }
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(json::parse(puts[0].body)["incident"]["status"], "acknowledged");
  EXPECT_EQ(puts[0].header("from"), "vigil@example.com");
  EXPECT_EQ(audited("alert.acknowledged", kAna), 1);
  EXPECT_EQ(audited("alert.acknowledged_upstream", kAna), 1);
  // The root says who acknowledged, and its Acknowledge button is gone.
  ASSERT_TRUE(test::eventually([&] {
    const auto r = root();
    return r && r->blocks.dump().find("Acknowledged by <@U0ONCALL01>") != std::string::npos &&
           !has(root_buttons(), "alert.ack");
  })) << (root() ? root()->blocks.dump() : "no root");

  // The same click again (a double click, a redelivered button): nothing changes, the person is told.
  click("alert.ack", run_id, kSam);
  ASSERT_TRUE(test::eventually([&] { return responses().find("Already acknowledged by") != std::string::npos; }))
      << responses();
  EXPECT_EQ(audited("alert.acknowledged", kSam), 0);
  EXPECT_EQ(audited("alert.acknowledge_repeat", kSam), 1);

  // Snooze: persisted for the fingerprint; a repeat of the alert is counted but not posted.
  click("alert.snooze", run_id, kSam);
  ASSERT_TRUE(test::eventually([&] { return thread().find("snoozed by <@U0TEAMMATE> until") != std::string::npos; }))
      << thread() << log();
  EXPECT_EQ(audited("alert.snoozed", kSam), 1);
  const auto incident = store()->get_incident(incident_id);
  ASSERT_TRUE(incident);
  const auto pause = store()->get_auto_triage_pause("alert:pagerduty:" + incident->fingerprint);
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->resume_at - pause->paused_at, 3600);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = root();
    return r && r->blocks.dump().find("Snoozed by <@U0TEAMMATE> until") != std::string::npos &&
           !has(root_buttons(), "alert.snooze");
  })) << (root() ? root()->blocks.dump() : "no root");
  ASSERT_EQ(pagerduty_webhook("checkout latency is high"), 202);
  ASSERT_TRUE(test::eventually([&] { return store()->get_incident(incident_id)->alert_count == 2; })) << log();
  EXPECT_EQ(store()->get_run(run_id)->repeat_count, 1) << "a snoozed alert's repeat is not posted";
  EXPECT_EQ(store()->list_runs(10).size(), 1u);

  // Resolve: the incident is resolved the way /incident resolve does it, and the buttons go.
  click("alert.resolve", run_id, kSam);
  ASSERT_TRUE(test::eventually([&] { return store()->get_incident(incident_id)->state == "resolved"; })) << log();
  ASSERT_TRUE(test::eventually([&] {
    return thread().find("incident resolved by <@U0TEAMMATE>") != std::string::npos;
  })) << thread();
  EXPECT_EQ(audited("incident.resolved", kSam), 1);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = root();
    const auto b = root_buttons();
    return r && r->blocks.dump().find("Incident resolved by <@U0TEAMMATE>") != std::string::npos &&
           !has(b, "alert.resolve") && has(b, "alert.source");
  })) << (root() ? root()->blocks.dump() : "no root");
  click("alert.resolve", run_id, kAna);
  ASSERT_TRUE(test::eventually([&] { return responses().find("already resolved") != std::string::npos; }))
      << responses();
  EXPECT_EQ(audited("incident.resolved", kAna), 0);

  // The link button's click is only audited.
  click("alert.source", run_id, kAna);
  ASSERT_TRUE(test::eventually([&] { return audited("alert.source_opened", kAna) == 1; }));
  bool timeline_has_ack = false;
  for (const auto& e : store()->list_incident_events(incident_id)) {
    timeline_has_ack = timeline_has_ack || (e.kind == "acknowledged" && e.actor == kAna);
  }
  EXPECT_TRUE(timeline_has_ack);
}

// PagerDuty refusing the acknowledgement is said in the thread, not swallowed; Vigil's own
// acknowledgement stands.
TEST_F(AlertButtonsE2E, AnUpstreamAcknowledgeFailureIsShownInTheThread) {
  ASSERT_EQ(pagerduty_webhook("checkout latency is high"), 202);
  ASSERT_TRUE(test::eventually([&] { return has(root_buttons(), "alert.ack"); }, 20s)) << log();
  const auto run_id = store()->list_runs(10).at(0).id;
  paging_.set_down(true);
  click("alert.ack", run_id, kAna);
  ASSERT_TRUE(test::eventually([&] {
    return thread().find("could not acknowledge in PagerDuty") != std::string::npos;
  })) << thread()
      << log();
  EXPECT_NE(thread().find("acknowledged by <@U0ONCALL01>"), std::string::npos) << thread();
  EXPECT_EQ(audited("alert.acknowledge_upstream_failed", kAna), 1);
}

}  // namespace
}  // namespace vigil
