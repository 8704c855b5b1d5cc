// The Slack approval gate against the emulator with a fake clock: expiry updates the card,
// cancellation withdraws it, a decided approval is found again after a restart.
#include "bot/slack/slack_approval_gate.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/store/store.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/rate_limiter.h"
#include "tests/support/fake_clock.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

class SlackApprovalGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel("C1", "inc-x");
    emu_.start();
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    slack::HttpWebApiOptions o;
    o.api_url = emu_.api_url();
    o.bot_token = test::fake_bot_token();
    web_ = std::make_unique<slack::HttpWebApi>(*http_, limiter_, clock_, null_logger(), o, nullptr);
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    RunRecord run;
    run.id = "00000000-0000-4000-8000-00000000000a";
    run.trigger_kind = "slash_command";
    run.trigger_key = "k";
    run.requester = "U_REQ";
    run.backend = "runbook";
    run.channel = "C1";
    run.thread_ts = "1800000000.000001";
    run.created_at = to_unix(clock_.now());
    ASSERT_TRUE(store_->create_run(run));
    step_.run_id = run.id;
    step_.skill = "restart";
    step_.step = "restart";
    step_.seq = 1;
    step_.argv = {"kubectl", "rollout", "restart", "deployment/api"};
    step_.mutating = true;
    step_.state = StepState::AwaitingApproval;
    store_->create_step(step_);
    ApprovalsConfig config;
    config.users = {"U_OK"};
    config.expiry = 30min;
    directory_ = std::make_unique<ApproverDirectory>(*web_, clock_);
    gate_ = std::make_unique<SlackApprovalGate>(io_.get_executor(), *store_, *web_, clock_, redactor_, *directory_,
                                                config, null_logger());
  }

  skills::GateRequest request() {
    skills::GateRequest r;
    r.run_id = step_.run_id;
    r.step_id = step_.id;
    r.skill = "restart";
    r.step = "restart";
    r.argv = step_.argv;
    r.argv_hash = "hash-1";
    r.risk = skills::Risk::Medium;
    r.requester = "U_REQ";
    return r;
  }

  Task<> ask(skills::GateRequest r, std::optional<skills::GateDecision>& out) {
    out = co_await gate_->request(std::move(r));
  }

  /// `user` clicks Approve on the card of `token`; `out` holds what the click came to.
  Task<> approve(std::string token, std::string user, std::optional<ClickOutcome>& out) {
    const std::string no_reason;
    out = co_await gate_->click(token, user, Decision::Approve, no_reason);
  }

  template <class Pred>
  bool run_until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (io_.stopped()) {
        io_.restart();
      }
      io_.run_one_for(20ms);
    }
    return true;
  }

  std::string updates() {
    std::string out;
    for (const auto& c : emu_.calls("chat.update")) {
      out += c.args.dump() + "\n";
    }
    return out;
  }

  test::TempDir dir_;
  slack::SlackEmulator emu_;
  boost::asio::io_context io_;
  test::FakeClock clock_;
  slack::RateLimiter limiter_{clock_};
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<slack::HttpWebApi> web_;
  std::unique_ptr<Store> store_;
  StepRecord step_;
  Redactor redactor_;
  std::unique_ptr<ApproverDirectory> directory_;
  std::unique_ptr<SlackApprovalGate> gate_;
};

TEST_F(SlackApprovalGateTest, ExpiryUpdatesTheCardAndRunsNothing) {
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  const auto card = emu_.calls("chat.postMessage")[0].args;
  EXPECT_EQ(card["thread_ts"], "1800000000.000001");
  EXPECT_NE(card.dump().find("kubectl rollout restart deployment/api"), std::string::npos);
  clock_.advance(31min);
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Expired);
  const auto pending = store_->pending_approvals();
  EXPECT_TRUE(pending.empty());
  ASSERT_TRUE(run_until([&] { return updates().find("Expired at") != std::string::npos; })) << updates();
  EXPECT_EQ(updates().find("approval.approve"), std::string::npos) << "no buttons on an expired card";
  // A click after expiry is refused and changes nothing.
  std::optional<ClickOutcome> late;
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  spawn(io_.get_executor(), approve(token, "U_OK", late), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return late.has_value(); }));
  EXPECT_EQ(late->kind, ClickOutcome::Kind::Refused);
  EXPECT_NE(late->message.find("already expired"), std::string::npos) << late->message;
}

// Several clusters: the card names the cluster the command changes, the approval row keeps it, and
// the card redrawn after the decision still names it.
TEST_F(SlackApprovalGateTest, TheCardAndItsDecisionNameTheCluster) {
  std::optional<skills::GateDecision> decision;
  auto r = request();
  r.cluster = "prod-eu";
  spawn(io_.get_executor(), ask(std::move(r), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  const auto card = emu_.calls("chat.postMessage")[0].args.dump();
  EXPECT_NE(card.find(" on prod-eu"), std::string::npos) << card;
  EXPECT_NE(card.find("This step *changes* something on cluster *prod-eu*."), std::string::npos) << card;
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  EXPECT_EQ(store_->get_approval(token)->cluster, "prod-eu");
  std::optional<ClickOutcome> clicked;
  spawn(io_.get_executor(), approve(token, "U_OK", clicked), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Approved);
  ASSERT_TRUE(run_until([&] { return updates().find("Approved") != std::string::npos; })) << updates();
  EXPECT_NE(updates().find(" on prod-eu*"), std::string::npos) << updates();
}

TEST_F(SlackApprovalGateTest, ApprovedWhileNobodyWaitedIsFoundAgainAfterARestart) {
  std::optional<skills::GateDecision> first;
  spawn(io_.get_executor(), ask(request(), first), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1; }));
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  // "Restart": a new gate over the same store; the old waiter is gone with the old process.
  ApprovalsConfig config;
  config.users = {"U_OK"};
  SlackApprovalGate fresh(io_.get_executor(), *store_, *web_, clock_, redactor_, *directory_, config, null_logger());
  std::optional<ClickOutcome> clicked;
  auto click = [&]() -> Task<> {
    const std::string approver = "U_OK";
    const std::string no_reason;
    clicked = co_await fresh.click(token, approver, Decision::Approve, no_reason);
  };
  spawn(io_.get_executor(), click(), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return clicked.has_value(); }));
  EXPECT_EQ(clicked->kind, ClickOutcome::Kind::Decided);
  std::optional<skills::GateDecision> resumed;
  auto again = [&]() -> Task<> { resumed = co_await fresh.request(request()); };
  spawn(io_.get_executor(), again(), null_logger(), "again");
  ASSERT_TRUE(run_until([&] { return resumed.has_value(); }));
  EXPECT_EQ(resumed->outcome, skills::GateOutcome::Approved);
  EXPECT_EQ(resumed->argv_hash, "hash-1");
  EXPECT_EQ(resumed->decided_by, "U_OK");
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 1u) << "no second card";
}

// The person can see the card before Slack's answer to chat.postMessage reaches Vigil (a slow
// answer, or the chaos test clicking at once): a click decided in that gap is not missed, or the
// run would wait until the approval expired.
TEST_F(SlackApprovalGateTest, AClickDecidedWhileTheCardIsBeingPostedIsNotMissed) {
  emu_.stall_next("chat.postMessage", 1s);
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return !store_->pending_approvals().empty(); }));
  const auto token = store_->pending_approvals()[0].token;
  std::optional<ClickOutcome> clicked;
  spawn(io_.get_executor(), approve(token, "U_OK", clicked), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return clicked.has_value(); }));
  EXPECT_EQ(clicked->kind, ClickOutcome::Kind::Decided) << clicked->message;
  EXPECT_TRUE(emu_.calls("chat.postMessage").empty()) << "the click came before the card's answer";
  ASSERT_TRUE(run_until([&] { return decision.has_value(); })) << "the decision was missed";
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Approved);
  EXPECT_EQ(decision->decided_by, "U_OK");
  // The card, posted after the decision, is brought up to date.
  ASSERT_TRUE(run_until([&] { return updates().find("Approved") != std::string::npos; })) << updates();
}

// Slack refuses the card (here not_in_channel; the same after the retries of an outage): nobody
// could decide, so the step is not left waiting half an hour for its expiry.
TEST_F(SlackApprovalGateTest, ACardSlackRefusesCancelsTheApprovalAtOnceWithTheReason) {
  emu_.fail_next("chat.postMessage", "not_in_channel");
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Cancelled);
  EXPECT_NE(decision->reason.find("the approval card could not be posted"), std::string::npos) << decision->reason;
  EXPECT_NE(decision->reason.find("not_in_channel"), std::string::npos) << decision->reason;
  EXPECT_TRUE(store_->pending_approvals().empty());
  const auto a = store_->find_approval_for_step(step_.run_id, step_.id);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, ApprovalState::Cancelled);
  EXPECT_EQ(gate_->waiters(), 0u);
}

// A resumed run whose approval's card never reached Slack (the process died on the way) posts it
// again, with the same token, in the run's thread.
TEST_F(SlackApprovalGateTest, AResumedApprovalWithoutItsCardPostsItAgainWithTheSameToken) {
  ApprovalRecord a;
  a.token = "0123456789abcdef0123456789abcdef";
  a.run_id = step_.run_id;
  a.step_id = step_.id;
  a.argv_hash = "hash-1";
  a.requester = "U_REQ";
  a.risk = "medium";
  a.required_approvals = 1;
  a.policy = R"({"users":["U_OK"],"groups":[],"oncall":false,"allow_self_approval":false,"required_approvals":1})";
  a.created_at = to_unix(clock_.now());
  a.expires_at = a.created_at + 1800;
  ASSERT_TRUE(store_->create_approval(a));
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  const auto card = emu_.calls("chat.postMessage")[0];
  EXPECT_EQ(card.args["thread_ts"], "1800000000.000001");
  EXPECT_NE(card.args.dump().find(a.token), std::string::npos) << "the same token: one decision";
  EXPECT_EQ(emu_.calls("conversations.replies").size(), 1u) << "looked for it in the thread first";
  EXPECT_EQ(store_->get_approval(a.token)->message_ts, card.response.value("ts", ""));
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// Reminders: an undecided card mentions its approvers in the run's thread after 5 minutes and
// again shortly before it expires; never after a decision; a restarted gate re-arms them from the
// approval's own times.
class ApprovalReminderTest : public SlackApprovalGateTest {
 protected:
  void SetUp() override {
    SlackApprovalGateTest::SetUp();
    ApprovalsConfig config;
    config.users = {"U0OKAPPROVER"};
    config.groups = {"S0SRETEAM"};
    config.expiry = 30min;
    gate_ = std::make_unique<SlackApprovalGate>(io_.get_executor(), *store_, *web_, clock_, redactor_, *directory_,
                                                config, null_logger());
  }
  std::vector<std::string> thread_posts() {
    std::vector<std::string> out;
    for (const auto& c : emu_.calls("chat.postMessage")) {
      out.push_back(c.args.value("thread_ts", "") + " " + c.args.value("text", ""));
    }
    return out;
  }
  void settle() {
    for (int i = 0; i < 20; ++i) {
      io_.restart();
      io_.run_one_for(10ms);
    }
  }
};

TEST_F(ApprovalReminderTest, AfterFiveMinutesAndBeforeExpiryWithTheApproversMentioned) {
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  const auto card_ts = emu_.calls("chat.postMessage")[0].response.value("ts", "");
  clock_.advance(4min);
  settle();
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 1u) << "nothing before 5 minutes";
  clock_.advance(1min);
  ASSERT_TRUE(run_until([&] { return emu_.calls("chat.postMessage").size() == 2; }));
  settle();  // Slack's answer reaches the gate before time moves again (a web call's timeout is on the clock)
  const auto first = emu_.calls("chat.postMessage")[1].args;
  EXPECT_EQ(first["thread_ts"], "1800000000.000001");
  const auto text = first.dump();
  EXPECT_NE(text.find("<@U0OKAPPROVER> <!subteam^S0SRETEAM>: an approval has waited 5 min"), std::string::npos) << text;
  std::string digits;
  for (const char c : card_ts) {
    if (c != '.') {
      digits += c;
    }
  }
  EXPECT_NE(text.find("https://slack.com/archives/C1/p" + digits), std::string::npos) << text;
  // 25 minutes in: 5 minutes before it expires.
  clock_.advance(20min);
  ASSERT_TRUE(run_until([&] { return emu_.calls("chat.postMessage").size() == 3; }));
  settle();
  const auto last = emu_.calls("chat.postMessage")[2].args.dump();
  EXPECT_NE(last.find("<@U0OKAPPROVER> <!subteam^S0SRETEAM>: an approval expires at"), std::string::npos) << last;
  clock_.advance(6min);
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Expired);
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 3u) << "two reminders, no more";
  int audited = 0;
  for (const auto& e : store_->list_audit(step_.run_id)) {
    audited += e.action == "approval_reminder.posted" ? 1 : 0;
  }
  EXPECT_EQ(audited, 2);
}

TEST_F(ApprovalReminderTest, NoReminderAfterADecision) {
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  clock_.advance(2min);
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  std::optional<ClickOutcome> clicked;
  spawn(io_.get_executor(), approve(token, "U0OKAPPROVER", clicked), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Approved);
  clock_.advance(10min);
  settle();
  clock_.advance(20min);
  settle();
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 1u) << "only the card";
}

TEST_F(ApprovalReminderTest, ARestartedGateRemindsFromTheApprovalsOwnTimes) {
  // The approval was asked for 6 minutes before the restart; its card is in Slack; no reminder yet.
  ApprovalRecord a;
  a.token = "0123456789abcdef0123456789abcdef";
  a.run_id = step_.run_id;
  a.step_id = step_.id;
  a.argv_hash = "hash-1";
  a.requester = "U_REQ";
  a.risk = "medium";
  a.policy =
      R"({"users":["U0OKAPPROVER"],"groups":[],"oncall":false,"allow_self_approval":false,"required_approvals":1})";
  a.created_at = to_unix(clock_.now()) - 6 * 60;
  a.expires_at = a.created_at + 1800;
  ASSERT_TRUE(store_->create_approval(a));
  store_->set_approval_message(a.token, "C1", "1800000000.000002");
  std::optional<skills::GateDecision> decision;
  spawn(io_.get_executor(), ask(request(), decision), null_logger(), "ask");
  // The 5-minute reminder is due already: posted at once.
  ASSERT_TRUE(run_until([&] { return emu_.calls("chat.postMessage").size() == 1; }));
  settle();
  EXPECT_NE(emu_.calls("chat.postMessage")[0].args.dump().find("<@U0OKAPPROVER>: an approval has waited 6 min"),
            std::string::npos)
      << emu_.calls("chat.postMessage")[0].args.dump();
  // Another restart (a second gate over the same store): the reminder is in the audit log, so it
  // is not posted again, and the one before expiry is posted once although two gates wait.
  ApprovalsConfig config;
  config.users = {"U0OKAPPROVER"};
  SlackApprovalGate fresh(io_.get_executor(), *store_, *web_, clock_, redactor_, *directory_, config, null_logger());
  std::optional<skills::GateDecision> again;
  auto ask_again = [&]() -> Task<> { again = co_await fresh.request(request()); };
  spawn(io_.get_executor(), ask_again(), null_logger(), "ask again");
  ASSERT_TRUE(run_until([&] { return fresh.waiters() == 1; }));
  settle();
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 1u);
  clock_.advance(19min);  // 25 minutes after it was asked for
  ASSERT_TRUE(run_until([&] { return emu_.calls("chat.postMessage").size() == 2; }));
  settle();
  EXPECT_EQ(emu_.calls("chat.postMessage").size(), 2u);
  EXPECT_NE(emu_.calls("chat.postMessage")[1].args.dump().find("an approval expires at"), std::string::npos);
  clock_.advance(6min);
  ASSERT_TRUE(run_until([&] { return decision.has_value() && again.has_value(); }));
}

// The gate is the one writer of approval.* audit rows: one request, the click, one decision; and
// when the executor refuses a decision that does not bind to its argv, the gate records that too.
TEST_F(SlackApprovalGateTest, TheGateWritesEachApprovalRowOnceAndARefusedBinding) {
  std::optional<skills::GateDecision> decision;
  auto r = request();
  r.step_key = "restart";
  spawn(io_.get_executor(), ask(r, decision), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1; }));
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  std::optional<ClickOutcome> clicked;
  spawn(io_.get_executor(), approve(token, "U_OK", clicked), null_logger(), "click");
  ASSERT_TRUE(run_until([&] { return decision.has_value(); }));
  EXPECT_EQ(decision->outcome, skills::GateOutcome::Approved);

  skills::GateDecision other = *decision;
  other.argv_hash = "hash-0";
  gate_->refused(r, other);

  std::vector<std::string> rows;
  for (const auto& a : store_->list_audit(step_.run_id)) {
    rows.push_back(a.action + " " + a.actor + (a.approval_token == token ? " (token)" : "") + ": " + a.detail);
  }
  std::sort(rows.begin(), rows.end());
  const std::vector<std::string> expected = {
      "approval.approved U_OK (token): ",
      "approval.click U_OK (token): approve",
      "approval.refused system: restart approved hash-0 but argv is hash-1",
      "approval.requested U_REQ (token): restart: kubectl rollout restart deployment/api (risk medium)",
  };
  EXPECT_EQ(rows, expected);
}

}  // namespace
}  // namespace vigil
