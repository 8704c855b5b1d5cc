// End to end: the `vigil serve` binary against the Slack emulator, with real envelope shapes.
// What is checked is what people would see: the messages posted, the buttons on a card, the
// ephemeral replies, the rows in the database.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using slack::SlackEmulator;

constexpr const char* kChannel = "C0INC";
constexpr const char* kRequester = "U0REQ";
constexpr const char* kApprover = "U0APPROVER";
constexpr const char* kApprover2 = "U0APPROVER2";
constexpr const char* kStranger = "U0STRANGER";

class ChatOps : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kChannel, "inc-api");
    emu_.add_channel("C0OTHER", "random");
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n    auto_triage: true\n"
                   "approvals:\n  users: [" +
                   kApprover + ", " + kApprover2 +
                   ", U0APPROVER3]\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n"
                   "logging:\n  level: debug\n");
  }

  void start() { session_.start(""); }
  void stop() { exit_code_ = session_.stop(); }
  std::string log() const { return session_.log(); }
  std::string send(json envelope) {
    const auto id = session_.send(std::move(envelope));
    last_ack_ = session_.last_ack();
    return id;
  }
  std::string slash(const std::string& command, const std::string& text, const std::string& user = kRequester) {
    const auto id = session_.slash(command, text, user, kChannel, "inc-api");
    last_ack_ = session_.last_ack();
    return id;
  }
  std::string click(const std::string& action_id, const std::string& value, const std::string& user) {
    return session_.click(action_id, value, user, kChannel);
  }
  std::string alert_message(const std::string& title, const std::string& ts) {
    const auto n = std::to_string(++counter_);
    return send(
        {{"envelope_id", "env-alert-" + n},
         {"type", "events_api"},
         {"accepts_response_payload", false},
         {"payload",
          {{"type", "event_callback"},
           {"team_id", "T1"},
           {"event_id", "EvAlert" + n},
           {"event",
            {{"type", "message"},
             {"subtype", "bot_message"},
             {"bot_id", "B0ALERTMANAGER"},
             {"username", "alertmanager"},
             {"channel", kChannel},
             {"ts", ts},
             {"text", ""},
             {"attachments", json::array({{{"title", title},
                                           {"text", "*Labels:*\n• *alertname:* `ApiDown`\n• *severity:* `critical`"},
                                           {"fallback", title}}})}}}}}});
  }
  std::string thread_reply(const std::string& thread_ts, const std::string& text, const std::string& user) {
    const auto n = std::to_string(++counter_);
    return send({{"envelope_id", "env-msg-" + n},
                 {"type", "events_api"},
                 {"payload",
                  {{"type", "event_callback"},
                   {"team_id", "T1"},
                   {"event_id", "EvMsg" + n},
                   {"event",
                    {{"type", "message"},
                     {"user", user},
                     {"channel", kChannel},
                     {"ts", "1800000100." + n},
                     {"thread_ts", thread_ts},
                     {"text", text}}}}}});
  }
  std::vector<std::string> approval_tokens() { return session_.approval_tokens(); }
  std::string responses() { return session_.responses(); }
  std::string all_posts() { return session_.posts(); }
  std::unique_ptr<Store> store() { return session_.store(); }
  std::optional<RunRecord> only_run() {
    auto s = store();
    const auto runs = s->list_runs(10);
    if (runs.size() != 1) {
      return std::nullopt;
    }
    return runs[0];
  }
  int executed(const std::string& step) {
    auto s = store();
    int n = 0;
    for (const auto& r : s->list_runs(100)) {
      for (const auto& st : s->list_steps(r.id)) {
        n += st.step == step && st.state == StepState::Succeeded;
      }
    }
    return n;
  }
  bool audit_has(const std::string& action, const std::string& actor = "") {
    auto s = store();
    for (const auto& a : s->list_audit("", 10000)) {
      if (a.action == action && (actor.empty() || a.actor == actor)) {
        return true;
      }
    }
    return false;
  }

  test::ChatOpsSession session_;
  SlackEmulator& emu_ = session_.emulator();
  int exit_code_ = -1;
  int counter_ = 0;
  json last_ack_;
};

TEST_F(ChatOps, SlashCommandRootThreadCardApprovalStepOnceAndSummary) {
  slash("/triage", "api is down since 14:02");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log() << all_posts();
  // The person got an immediate private "starting run".
  EXPECT_NE(responses().find("Starting run"), std::string::npos) << responses();
  // A root message in the channel, and the diagnostics in its thread.
  const auto run = only_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::AwaitingApproval);
  EXPECT_FALSE(run->thread_ts.empty());
  const auto posts = all_posts();
  EXPECT_NE(posts.find("pods of api in prod are CrashLoopBackOff"), std::string::npos) << posts;
  // The card shows the exact argv and the dry run, and its buttons carry only the token.
  const auto token = approval_tokens()[0];
  EXPECT_EQ(token.size(), 32u);
  EXPECT_NE(posts.find("(server dry run)"), std::string::npos);
  EXPECT_NE(posts.find("\"confirm\""), std::string::npos) << "Approve asks for confirmation";
  EXPECT_EQ(executed("restart"), 0);

  click("approval.approve", token, kApprover);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && r->state == RunState::Succeeded;
  })) << log();
  EXPECT_EQ(executed("restart"), 1);
  ASSERT_TRUE(test::eventually([&] { return all_posts().find(":white_check_mark: *Fixed*") != std::string::npos; }))
      << all_posts();
  const auto after = all_posts();
  EXPECT_NE(after.find("Approved* by <@U0APPROVER>"), std::string::npos) << after;
  EXPECT_NE(after.find("deployment.apps/api restarted"), std::string::npos) << after;
  EXPECT_TRUE(audit_has("approval.approved", kApprover));
  EXPECT_EQ(emu_.rate_limited_count(), 0);
}

TEST_F(ChatOps, UnauthorisedRequesterAndDoubleClicks) {
  // The requester is an approver too, and still may not approve their own request.
  slash("/triage", "api is down", kApprover);
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto token = approval_tokens()[0];
  click("approval.approve", token, kStranger);
  click("approval.approve", token, kApprover);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = responses();
    return r.find("not an approver") != std::string::npos && r.find("someone else must approve") != std::string::npos;
  })) << responses();
  EXPECT_EQ(executed("restart"), 0);
  EXPECT_TRUE(audit_has("approval.refused", kStranger));
  EXPECT_TRUE(audit_has("approval.refused", kApprover));
  // Two approvers racing, each clicking twice: exactly one decision, the step runs once.
  click("approval.approve", token, kApprover2);
  click("approval.approve", token, "U0APPROVER3");
  click("approval.approve", token, kApprover2);
  click("approval.approve", token, "U0APPROVER3");
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && r->state == RunState::Succeeded;
  })) << log();
  EXPECT_TRUE(test::eventually([&] { return responses().find("already approved") != std::string::npos; }))
      << responses();
  EXPECT_EQ(executed("restart"), 1);
}

TEST_F(ChatOps, DenyWithAReasonRunsNothing) {
  slash("/triage", "api is down");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto token = approval_tokens()[0];
  click("approval.deny", token, kApprover);
  ASSERT_TRUE(test::eventually([&] { return !emu_.calls("views.open").empty(); })) << log();
  const auto modal = emu_.calls("views.open")[0].args;
  EXPECT_EQ(modal["view"]["private_metadata"], token);
  send({{"envelope_id", "env-view-1"},
        {"type", "interactive"},
        {"payload",
         {{"type", "view_submission"},
          {"user", {{"id", kApprover}}},
          {"view",
           {{"id", "V1"},
            {"callback_id", "approval.deny_reason"},
            {"private_metadata", token},
            {"hash", "h"},
            {"state",
             {{"values",
               {{"reason", {{"reason", {{"type", "plain_text_input"}, {"value", "not during peak"}}}}}}}}}}}}}});
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && is_terminal(r->state);
  })) << log();
  EXPECT_EQ(executed("restart"), 0);
  EXPECT_NE(all_posts().find("not during peak"), std::string::npos) << all_posts();
  EXPECT_TRUE(audit_has("approval.denied", kApprover));
}

TEST_F(ChatOps, HighRiskNeedsTwoDistinctApprovers) {
  slash("/runbook", "run scale-api replicas=8");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto token = approval_tokens()[0];
  click("approval.approve", token, kApprover);
  ASSERT_TRUE(test::eventually([&] { return responses().find("1 more approver") != std::string::npos; }))
      << responses();
  click("approval.approve", token, kApprover);  // the same person again does not count
  ASSERT_TRUE(test::eventually([&] { return responses().find("second, different approver") != std::string::npos; }));
  EXPECT_EQ(executed("scale"), 0);
  click("approval.approve", token, kApprover2);
  ASSERT_TRUE(test::eventually([&] { return executed("scale") == 1; })) << log();
}

TEST_F(ChatOps, CancelMidRunFromTheRootButton) {
  slash("/triage", "slow problem");
  std::optional<RunRecord> run;
  ASSERT_TRUE(test::eventually([&] {
    run = only_run();
    auto s = store();
    return run && !s->list_steps(run->id).empty() && s->list_steps(run->id)[0].state == StepState::Running;
  })) << log();
  // The step can start before Slack has taken the root message (they run side by side).
  ASSERT_TRUE(test::eventually([&] { return all_posts().find("run.cancel") != std::string::npos; }))
      << "the root has a Cancel button\n"
      << all_posts();
  click("run.cancel", run->id, kStranger);
  ASSERT_TRUE(test::eventually([&] { return responses().find("Only the person who started") != std::string::npos; }));
  click("run.cancel", run->id, kRequester);
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto r = only_run();
        return r && r->state == RunState::Cancelled;
      },
      15s))
      << log();
  EXPECT_TRUE(audit_has("run.cancelled", kRequester));
}

TEST_F(ChatOps, RestartBetweenCardAndClickStillRunsTheStepOnce) {
  slash("/triage", "api is down");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto token = approval_tokens()[0];
  stop();
  EXPECT_EQ(exit_code_, 0) << log();
  start();
  click("approval.approve", token, kApprover);
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && r->state == RunState::Succeeded;
  })) << log();
  EXPECT_EQ(executed("restart"), 1);
  EXPECT_EQ(approval_tokens().size(), 1u) << "the old card was reused, not posted again";
}

TEST_F(ChatOps, AlertStormIsOneRunWithACounterAndNo429s) {
  emu_.set_channel_rate_limit(1, 1000ms);  // Slack: about one message per second per channel
  for (int i = 0; i < 200; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "1800000000.%06d", 100 + i);
    alert_message("[FIRING:" + std::to_string(1 + i % 3) + "] ApiDown (api prod)", ts);
  }
  ASSERT_TRUE(test::eventually(
      [&] {
        auto s = store();
        const auto runs = s->list_runs(10);
        return runs.size() == 1 && runs[0].repeat_count == 200;
      },
      30s))
      << log();
  auto s = store();
  const auto incidents = s->list_incidents(10, false);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].alert_count, 200);
  ASSERT_TRUE(test::eventually([&] { return all_posts().find("seen *200* times") != std::string::npos; }, 30s))
      << all_posts();
  std::string limited;
  for (const auto& c : emu_.calls()) {
    if (c.status == 429) {
      limited += c.method + " " + c.args.value("channel", "") + "\n";
    }
  }
  EXPECT_EQ(emu_.rate_limited_count(), 0) << limited;
  // The run lives in the alert's own thread.
  EXPECT_EQ(s->list_runs(1)[0].thread_ts, "1800000000.000100");
}

TEST_F(ChatOps, ThreadFollowUpReachesTheRun) {
  slash("/triage", "api is down");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  const auto run = only_run();
  thread_reply(run->thread_ts, "<@U0VIGIL> why did it crash?", kRequester);
  ASSERT_TRUE(test::eventually([&] { return responses().find("still awaiting_approval") != std::string::npos; }))
      << responses() << log();
}

TEST_F(ChatOps, UsageMistakesAreAnsweredInTheAck) {
  slash("/triage", "cancel");
  ASSERT_TRUE(last_ack_.is_object()) << last_ack_.dump();
  EXPECT_NE(last_ack_.dump().find("needs a run id"), std::string::npos);
  slash("/runbook", "run restart-api prod");
  EXPECT_NE(last_ack_.dump().find("is not key=value"), std::string::npos);
  EXPECT_TRUE(store()->list_runs(10).empty());
}

TEST_F(ChatOps, MalformedPayloadsCauseNoActionButAnAuditRow) {
  slash("/triage", "api is down");
  ASSERT_TRUE(test::eventually([&] { return approval_tokens().size() == 1; })) << log();
  click("approval.approve", "0123456789abcdef0123456789abcdef", kApprover);  // forged token
  click("something.else", "x", kApprover);                                   // unknown action
  send({{"envelope_id", "env-bad-1"}, {"type", "interactive"}, {"payload", {{"type", "block_actions"}}}});
  send({{"envelope_id", "env-bad-2"}, {"type", "slash_commands"}, {"payload", {{"command", 5}}}});
  emu_.send_raw(1, "{not json");
  ASSERT_TRUE(test::eventually([&] { return audit_has("approval.refused") && audit_has("interaction.unknown"); }))
      << log();
  EXPECT_EQ(executed("restart"), 0);
  EXPECT_EQ(only_run()->state, RunState::AwaitingApproval);
  // Still serving.
  click("approval.approve", approval_tokens()[0], kApprover);
  ASSERT_TRUE(test::eventually([&] { return executed("restart") == 1; })) << log();
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_F(ChatOps, AChannelThatRefusesPostsIsNotRetriedForever) {
  emu_.fail_next("chat.postMessage", "not_in_channel", 1000);
  slash("/triage", "api is down");
  ASSERT_TRUE(
      test::eventually([&] { return log().find("giving up on showing this run in Slack") != std::string::npos; }, 30s))
      << log();
  const auto attempts = emu_.calls("chat.postMessage").size();
  EXPECT_LE(attempts, 8u);
  // Vigil keeps serving: the run is in the database and usage help still answers at once.
  slash("/triage", "cancel");
  EXPECT_NE(last_ack_.dump().find("needs a run id"), std::string::npos);
  EXPECT_EQ(store()->list_runs(10).size(), 1u);
}

}  // namespace
}  // namespace vigil
