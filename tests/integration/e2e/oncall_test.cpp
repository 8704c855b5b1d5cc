// End to end: `vigil serve` with on-call approvals and incident notes, against the Slack emulator
// and a fake PagerDuty on loopback. A signed PagerDuty webhook starts a run; the approval card says
// who is on call; a stranger is refused and told who may approve; the on-call engineer approves; the
// PagerDuty incident gets a note at the start and at the end.
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
using slack::SlackEmulator;

constexpr const char* kAlerts = "C0ALERTS";
constexpr const char* kOnCall = "U0ONCALL1";
constexpr const char* kStranger = "U0STRANGER";
constexpr const char* kLead = "U0LEADER1";

std::string api_token() {
  return "pd-api-" + std::string("e2e-token");
}

class OnCallE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kAlerts, "alerts");
    emu_.add_user(kOnCall, "ana", "ana@example.com");
    emu_.add_user(kStranger, "sam", "sam@example.com");
    emu_.start();
    paging_.add_pagerduty_incident("PFQZPSY");
    paging_.start();
    paging_.set_on_call("PSCHED1", {"ana@example.com"});
    test::write_file(dir_ / "vigil.yaml", "channels:\n  - id: " + std::string(kAlerts) +
                                              "\n    backend: runbook\n    auto_triage: true\n"
                                              "approvals:\n  users: [" +
                                              kLead +
                                              "]\n"
                                              "  oncall:\n    pagerduty_schedule: PSCHED1\n    cache: 60s\n"
                                              "pagerduty:\n  api_url: " +
                                              paging_.url() +
                                              "\n  notes: true\n  from_email: vigil@example.com\n"
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
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 20s), 0) << log();
    }
    paging_.stop();
  }
  void start() {
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
  std::string log() const { return test::read_file(dir_ / "vigil.log"); }

  std::string click(const std::string& token, const std::string& user) {
    const auto n = std::to_string(++counter_);
    const auto id =
        emu_.send_envelope({{"envelope_id", "env-click-" + n},
                            {"type", "interactive"},
                            {"accepts_response_payload", true},
                            {"payload",
                             {{"type", "block_actions"},
                              {"user", {{"id", user}, {"username", "u"}, {"team_id", "T1"}}},
                              {"team", {{"id", "T1"}}},
                              {"channel", {{"id", kAlerts}, {"name", "alerts"}}},
                              {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", kAlerts}}},
                              {"trigger_id", "trig-" + n},
                              {"response_url", emu_.response_url("click-" + n)},
                              {"actions", json::array({{{"action_id", "approval.approve"},
                                                        {"block_id", "b"},
                                                        {"value", token},
                                                        {"type", "button"},
                                                        {"action_ts", "1700000000." + n}}})}}}});
    EXPECT_TRUE(emu_.wait_for_ack(id, 3s));
    return id;
  }
  std::vector<std::string> cards() {
    std::vector<std::string> out;
    for (const auto& c : emu_.calls("chat.postMessage")) {
      if (c.args.dump().find("approval.approve") != std::string::npos) {
        out.push_back(c.args.dump());
      }
    }
    return out;
  }
  std::string approval_token() {
    for (const auto& c : emu_.calls("chat.postMessage")) {
      for (const auto& b : c.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            return e.value("value", "");
          }
        }
      }
    }
    return {};
  }
  std::string responses() {
    std::string out;
    for (const auto& [id, body] : emu_.response_posts()) {
      out += id + ": " + body.dump() + "\n";
    }
    for (const auto& c : emu_.calls("chat.postEphemeral")) {
      out += "ephemeral: " + c.args.dump() + "\n";
    }
    return out;
  }
  std::vector<std::string> notes() {
    std::vector<std::string> out;
    for (const auto& r : paging_.requests("/incidents/PFQZPSY/notes")) {
      EXPECT_EQ(r.header("authorization"), "Token token=" + api_token());
      EXPECT_EQ(r.header("from"), "vigil@example.com");
      EXPECT_EQ(r.header("accept"), "application/vnd.pagerduty+json;version=2");
      const auto body = json::parse(r.body, nullptr, false);
      out.push_back(body.is_discarded() ? r.body : body["note"]["content"].get<std::string>());
    }
    return out;
  }
  std::optional<RunRecord> only_run() {
    auto s = Store::open((dir_ / "v.db").string());
    if (!s) {
      return std::nullopt;
    }
    const auto runs = (*s)->list_runs(10);
    return runs.size() == 1 ? std::optional<RunRecord>(runs[0]) : std::nullopt;
  }

  test::TempDir dir_;
  SlackEmulator emu_;
  test::FakePagingServer paging_{api_token(), "unused"};
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int counter_ = 0;
};

TEST_F(OnCallE2E, PagerDutyIncidentOnCallApprovalAndNotes) {
  start();
  // The PagerDuty v3 "incident.triggered" fixture, titled so the restart-api skill matches.
  auto body = json::parse(test::read_file(test::fixtures_dir() / "pagerduty" / "v3_incident_triggered.json"));
  body["event"]["data"]["title"] = "api is down";
  const auto text = body.dump();
  const auto answer = test::raw_http(
      port_, test::http_request("POST", "/webhooks/pagerduty",
                                {{"Content-Type", "application/json"},
                                 {"X-PagerDuty-Signature", pagerduty::sign_v3("pd-webhook-secret", text)}},
                                text));
  ASSERT_EQ(answer.status, 202) << answer.body;

  // The card names who is on call now.
  ASSERT_TRUE(test::eventually([&] { return cards().size() == 1; })) << log();
  EXPECT_NE(cards()[0].find("On call now in PagerDuty: <@U0ONCALL1>"), std::string::npos) << cards()[0];
  // The incident got a note when triage started.
  ASSERT_TRUE(test::eventually([&] { return !notes().empty(); })) << log();
  EXPECT_NE(notes()[0].find("Vigil started triage run"), std::string::npos) << notes()[0];

  // Someone neither on call nor configured is refused and told who may approve.
  const auto token = approval_token();
  ASSERT_EQ(token.size(), 32u);
  click(token, kStranger);
  ASSERT_TRUE(test::eventually([&] { return responses().find("not an approver") != std::string::npos; }))
      << responses() << log();
  EXPECT_NE(responses().find("on call now in PagerDuty: <@U0ONCALL1>; also <@U0LEADER1>"), std::string::npos)
      << responses();

  // The on-call engineer approves; the step runs; the incident gets the closing note.
  click(token, kOnCall);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && r->state == RunState::Succeeded;
  })) << log();
  ASSERT_TRUE(test::eventually([&] { return notes().size() == 2; })) << log();
  EXPECT_NE(notes()[1].find("ended: fixed"), std::string::npos) << notes()[1];
  EXPECT_NE(notes()[1].find("https://slack.com/archives/C0ALERTS/p"), std::string::npos) << notes()[1];
  // The on-call lookup went to the schedule with the API token, and the token is in no log line.
  const auto lookups = paging_.requests("/oncalls");
  ASSERT_FALSE(lookups.empty());
  EXPECT_NE(lookups[0].target.find("schedule_ids%5B%5D=PSCHED1"), std::string::npos);
  EXPECT_EQ(log().find(api_token()), std::string::npos);
}

TEST_F(OnCallE2E, ConfigShowMasksTheApiToken) {
  const auto r =
      test::run_process({test::vigil_binary().string(), "--config", (dir_ / "vigil.yaml").string(), "config", "show"},
                        {{"VIGIL_PAGERDUTY_API_TOKEN", api_token()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(api_token()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pagerduty_schedule: PSCHED1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("api_token: \"***\""), std::string::npos) << r.out;
  // Without the token the configuration is refused, naming the place in the file.
  const auto missing =
      test::run_process({test::vigil_binary().string(), "config", "check", (dir_ / "vigil.yaml").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("vigil.yaml:8:25: approvals.oncall.pagerduty_schedule: needs a PagerDuty API token"),
            std::string::npos)
      << missing.err;
}

}  // namespace
}  // namespace vigil
