// On-call-aware approvals end to end inside one process: the Slack approval gate with an
// OnCallDirectory over the real PagerDuty / OpsGenie clients (Beast HTTP) against a fake paging
// server on loopback, e-mails mapped to Slack users by the emulator's users.lookupByEmail, and a
// fake clock for the cache.
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/slack/oncall_directory.h"
#include "bot/slack/slack_approval_gate.h"
#include "bot/store/store.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/opsgenie/opsgenie_api.h"
#include "integrations/pagerduty/pagerduty_api.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/rate_limiter.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_paging_server.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSchedule = "PSCHED1";
constexpr const char* kOgSchedule = "Primary On Call";
constexpr const char* kOnCall = "U0ONCALL1";
constexpr const char* kNext = "U0NEXTUP1";
constexpr const char* kLead = "U0LEADER1";  // configured approver
constexpr const char* kStranger = "U0STRANGER";

class OnCallApproval : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    emu_.add_channel("C1", "inc-x");
    emu_.add_user(kOnCall, "ana", "ana@example.com");
    emu_.add_user(kNext, "ned", "ned@example.com");
    emu_.add_user(kStranger, "sam", "sam@example.com");
    emu_.start();
    paging_.add_opsgenie_schedule(kOgSchedule);
    paging_.start();
    paging_.set_on_call(schedule(), {"ana@example.com"});
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    slack::HttpWebApiOptions o;
    o.api_url = emu_.api_url();
    o.bot_token = test::fake_bot_token();
    web_ = std::make_unique<slack::HttpWebApi>(*http_, limiter_, clock_, null_logger(), o, nullptr);
    if (pagerduty()) {
      service_ = std::make_unique<pagerduty::PagerDutyApi>(
          *http_, pagerduty::PagerDutyApiOptions{paging_.url(), pd_token(), "vigil@example.com", 5s});
    } else {
      service_ =
          std::make_unique<opsgenie::OpsGenieApi>(*http_, opsgenie::OpsGenieApiOptions{paging_.url(), og_key(), 5s});
    }
    OnCallOptions oc;
    oc.cache = 60s;
    oc.max_stale = 10min;
    oc.retry_after_failure = 10s;
    oncall_ =
        std::make_unique<OnCallDirectory>(io_.get_executor(), *service_, schedule(), *web_, clock_, oc, null_logger());
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    RunRecord run;
    run.id = "00000000-0000-4000-8000-00000000000b";
    run.trigger_kind = "slash_command";
    run.trigger_key = "k";
    run.requester = "U0REQ";
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
    config.users = {kLead};
    config.expiry = 30min;
    directory_ = std::make_unique<ApproverDirectory>(*web_, clock_);
    gate_ = std::make_unique<SlackApprovalGate>(io_.get_executor(), *store_, *web_, clock_, redactor_, *directory_,
                                                config, null_logger(), nullptr, oncall_.get());
  }
  void TearDown() override { paging_.stop(); }

  bool pagerduty() const { return GetParam() == "pagerduty"; }
  std::string schedule() const { return pagerduty() ? kSchedule : kOgSchedule; }
  std::string service_name() const { return pagerduty() ? "PagerDuty" : "OpsGenie"; }
  static std::string pd_token() { return "pd-api-" + std::string("token-1"); }
  static std::string og_key() { return "og-api-" + std::string("key-1"); }

  skills::GateRequest request() {
    skills::GateRequest r;
    r.run_id = step_.run_id;
    r.step_id = step_.id;
    r.skill = "restart";
    r.step = "restart";
    r.argv = step_.argv;
    r.argv_hash = "hash-1";
    r.risk = skills::Risk::Medium;
    r.requester = "U0REQ";
    return r;
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

  // Named coroutines: a lambda's captures die with the lambda, before the coroutine ends.
  Task<> request_approval(skills::GateRequest r) { decision_ = co_await gate_->request(std::move(r)); }
  Task<> click_task(std::string token, std::string user, Decision d, std::optional<ClickOutcome>& out) {
    std::string reason;
    out = co_await gate_->click(std::move(token), std::move(user), d, std::move(reason));
  }

  // Asks for approval and waits for the card; returns its token.
  std::string ask() {
    spawn(io_.get_executor(), request_approval(request()), null_logger(), "ask");
    EXPECT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
    const auto a = store_->find_approval_for_step(step_.run_id, step_.id);
    return a ? a->token : std::string();
  }

  ClickOutcome click(const std::string& token, const std::string& user, Decision d = Decision::Approve) {
    std::optional<ClickOutcome> out;
    spawn(io_.get_executor(), click_task(token, user, d, out), null_logger(), "click");
    EXPECT_TRUE(run_until([&] { return out.has_value(); }));
    return out.value_or(ClickOutcome{});
  }

  std::string card() { return emu_.calls("chat.postMessage").at(0).args.dump(); }
  std::size_t lookups() { return paging_.requests(pagerduty() ? "/oncalls" : "/v2/schedules/").size(); }

  test::TempDir dir_;
  slack::SlackEmulator emu_;
  test::FakePagingServer paging_{pd_token(), og_key()};
  boost::asio::io_context io_;
  test::FakeClock clock_;
  slack::RateLimiter limiter_{clock_};
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<slack::HttpWebApi> web_;
  std::unique_ptr<alerting::PagingService> service_;
  std::unique_ptr<OnCallDirectory> oncall_;
  std::unique_ptr<Store> store_;
  StepRecord step_;
  Redactor redactor_;
  std::unique_ptr<ApproverDirectory> directory_;
  std::unique_ptr<SlackApprovalGate> gate_;
  std::optional<skills::GateDecision> decision_;
};

TEST_P(OnCallApproval, TheOnCallPersonCanApproveAndTheCardSaysWhoIsOnCall) {
  const auto token = ask();
  EXPECT_NE(card().find("On call now in " + service_name() + ": <@U0ONCALL1>"), std::string::npos) << card();
  // The request went to the service with its credential and its API's conventions.
  const auto asked = paging_.requests();
  ASSERT_FALSE(asked.empty());
  if (pagerduty()) {
    EXPECT_EQ(asked[0].target, "/oncalls?schedule_ids%5B%5D=PSCHED1&include%5B%5D=users&earliest=true&limit=100");
    EXPECT_EQ(asked[0].header("authorization"), "Token token=" + pd_token());
    EXPECT_EQ(asked[0].header("accept"), "application/vnd.pagerduty+json;version=2");
  } else {
    EXPECT_EQ(asked[0].target, "/v2/schedules/Primary%20On%20Call/on-calls?flat=true&scheduleIdentifierType=name");
    EXPECT_EQ(asked[0].header("authorization"), "GenieKey " + og_key());
  }
  EXPECT_EQ(emu_.calls("users.lookupByEmail").size(), 1u);
  const auto out = click(token, kOnCall);
  EXPECT_EQ(out.kind, ClickOutcome::Kind::Decided) << out.message;
  ASSERT_TRUE(run_until([&] { return decision_.has_value(); }));
  EXPECT_EQ(decision_->outcome, skills::GateOutcome::Approved);
  EXPECT_EQ(decision_->decided_by, kOnCall);
  bool audited = false;
  for (const auto& a : store_->list_audit("", 100)) {
    audited |= a.action == "approver.oncall" && a.actor == kOnCall &&
               a.detail.find("on call in " + service_name()) != std::string::npos;
  }
  EXPECT_TRUE(audited) << "the audit says why the on-call person could approve";
}

TEST_P(OnCallApproval, SomeoneNeitherOnCallNorConfiguredIsRefusedAndToldWhoMay) {
  const auto token = ask();
  const auto out = click(token, kStranger);
  EXPECT_EQ(out.kind, ClickOutcome::Kind::Refused);
  EXPECT_NE(out.message.find("not an approver"), std::string::npos) << out.message;
  EXPECT_NE(
      out.message.find("Who may approve: on call now in " + service_name() + ": <@U0ONCALL1>; also <@U0LEADER1>."),
      std::string::npos)
      << out.message;
  EXPECT_TRUE(store_->get_approval(token)->state == ApprovalState::Pending);
  // The configured approver still can.
  EXPECT_EQ(click(token, kLead).kind, ClickOutcome::Kind::Decided);
}

TEST_P(OnCallApproval, AScheduleChangeTakesEffectAfterTheCacheExpires) {
  const auto token = ask();
  paging_.set_on_call(schedule(), {"Ned@Example.com"});  // Slack has it in lower case
  // Within the cache time the answer is the one the card showed.
  clock_.advance(30s);
  const auto cached = click(token, kStranger);
  EXPECT_NE(cached.message.find("<@U0ONCALL1>"), std::string::npos) << cached.message;
  const auto asked_before = lookups();
  clock_.advance(31s);
  // Ana went off call: refused now; Ned may approve.
  const auto off = click(token, kOnCall);
  EXPECT_EQ(off.kind, ClickOutcome::Kind::Refused) << off.message;
  EXPECT_NE(off.message.find("on call now in " + service_name() + ": <@U0NEXTUP1>"), std::string::npos) << off.message;
  EXPECT_EQ(lookups(), asked_before + 1);
  EXPECT_EQ(click(token, kNext).kind, ClickOutcome::Kind::Decided);
}

TEST_P(OnCallApproval, ServiceDownFallsBackToTheLastAnswerThenToConfiguredApproversOnly) {
  const auto token = ask();
  paging_.set_down(true);
  clock_.advance(61s);
  // The last good answer is recent: the on-call person is still known.
  auto out = click(token, kStranger);
  EXPECT_NE(out.message.find("<@U0ONCALL1> (as of"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("the lookup is failing"), std::string::npos) << out.message;
  // Too old: fail closed. Nobody is let in because the lookup failed.
  clock_.advance(11min);
  out = click(token, kOnCall);
  EXPECT_EQ(out.kind, ClickOutcome::Kind::Refused);
  EXPECT_NE(out.message.find("on-call lookup is failing, so only the configured approvers can approve right now: "
                             "<@U0LEADER1>"),
            std::string::npos)
      << out.message;
  EXPECT_EQ(click(token, kStranger).kind, ClickOutcome::Kind::Refused);
  EXPECT_EQ(store_->get_approval(token)->state, ApprovalState::Pending);
  EXPECT_EQ(click(token, kLead).kind, ClickOutcome::Kind::Decided);
}

TEST_P(OnCallApproval, ACardPostedWhileTheServiceIsDownSaysOnlyConfiguredApproversCan) {
  paging_.set_down(true);
  ask();
  EXPECT_NE(card().find("on-call lookup is failing: only the configured approvers can approve right now"),
            std::string::npos)
      << card();
}

TEST_P(OnCallApproval, AStepWithItsOwnApproversDoesNotAskWhoIsOnCall) {
  auto r = request();
  r.approvers = {"U0OWNER1"};
  spawn(io_.get_executor(), request_approval(r), null_logger(), "ask");
  ASSERT_TRUE(run_until([&] { return gate_->waiters() == 1 && emu_.calls("chat.postMessage").size() == 1; }));
  const auto token = store_->find_approval_for_step(step_.run_id, step_.id)->token;
  EXPECT_EQ(card().find("On call"), std::string::npos);
  const auto out = click(token, kOnCall);
  EXPECT_EQ(out.kind, ClickOutcome::Kind::Refused);
  EXPECT_NE(out.message.find("Who may approve: <@U0OWNER1>."), std::string::npos) << out.message;
  EXPECT_EQ(lookups(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Services, OnCallApproval, ::testing::Values("pagerduty", "opsgenie"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vigil
