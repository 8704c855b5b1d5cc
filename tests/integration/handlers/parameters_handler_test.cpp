// The Give parameters button and its form through the parameters handler, with a real HandlerContext
// (a run waiting for parameters in a SQLite file, the Web API against the Slack emulator): the form
// opens only for a run still waiting and only from its channel, and a filled form starts the runbook
// in the same thread.
#include "handlers/parameters_handler.h"

#include <gtest/gtest.h>

#include "bot/core/parameter_need.h"
#include "bot/slack/parameter_ask.h"
#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using test::HandlerHarness;

constexpr const char* kPerson = "U0PERSON01";
constexpr const char* kRunId = "00000000-0000-4000-8000-0000000000d1";

class ParametersHandlerTest : public ::testing::Test {
 protected:
  explicit ParametersHandlerTest(const std::function<void(Config&)>& more = {})
      : h_([&more](Config& c) {
          c.skills.dirs = {(test::fixtures_dir() / "skills_params").string()};
          if (more) {
            more(c);
          }
        }) {}

  /// A run of an alert that could not fill pod-crashloop's `pod`, as the run manager leaves it.
  void waiting_run() {
    RunRecord r;
    r.id = kRunId;
    r.incident_id = "";
    r.trigger_kind = "alert";
    r.trigger_key = "alert:i1";
    r.requester = "alertmanager";
    r.text = "KubePodCrashLooping";
    r.backend = "runbook";
    r.state = RunState::Succeeded;
    r.result = RunResult::NeedsInput;
    r.channel = HandlerHarness::kChannel;
    r.thread_ts = "1800000000.000001";
    r.created_at = to_unix(h_.clock.now());
    ASSERT_TRUE(h_.store->create_run(r));
    h_.store->set_run_result(kRunId, RunResult::NeedsInput);
    RunTrigger t;
    t.kind = "alert";
    t.channel = HandlerHarness::kChannel;
    t.incident.title = "KubePodCrashLooping";
    t.incident.labels = {{"namespace", "prod"}};
    h_.store->append_event({0, kRunId, 1, "trigger", "system", "", t.to_json().dump()});
    ParameterNeed n;
    n.skill = "pod-crashloop";
    n.found = {{"namespace", "prod"}};
    n.missing = {"pod"};
    h_.store->append_event({0, kRunId, 2, kNeedsInputEvent, "system", n.sentence(), n.to_json().dump()});
  }

  std::vector<std::string> open(const std::string& value, const std::string& channel = HandlerHarness::kChannel) {
    auto a = h_.click(kActionGiveParameters, value, kPerson, channel);
    a.trigger_id = "trig-open";
    const auto before = h_.replies().size();
    ParametersHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.open(a)));
    const auto all = h_.replies();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }

  void submit(const std::map<std::string, std::string>& values) {
    slack::ViewSubmission v;
    v.view_id = "V1";
    v.hash = "h1";
    v.callback_id = kParametersCallback;
    v.private_metadata = std::string(kRunId) + " pod-crashloop";
    v.user_id = kPerson;
    v.values = values;
    ParametersHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.submit(v)));
  }

  HandlerHarness h_;
};

TEST_F(ParametersHandlerTest, TheFormOpensForARunWaitingForParameters) {
  waiting_run();
  EXPECT_TRUE(open(kRunId).empty());
  const auto views = h_.emulator.calls("views.open");
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].args.value("trigger_id", ""), "trig-open");
  EXPECT_NE(views[0].args.dump().find("param.pod"), std::string::npos) << views[0].args.dump();
}

TEST_F(ParametersHandlerTest, ARunNotWaitingGetsNoForm) {
  EXPECT_EQ(open(kRunId), std::vector<std::string>{"That run is not waiting for parameters; nothing was done."});
  EXPECT_TRUE(h_.emulator.calls("views.open").empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"params.refused"});
}

TEST_F(ParametersHandlerTest, TheButtonClickedFromAnotherChannelIsRefused) {
  waiting_run();
  EXPECT_EQ(open(kRunId, "C0ELSEWHERE"),
            std::vector<std::string>{"That button belongs to another channel; nothing was done."});
  EXPECT_TRUE(h_.emulator.calls("views.open").empty());
  EXPECT_EQ(h_.store->list_audit().back().run_id, kRunId);
}

TEST_F(ParametersHandlerTest, AFilledFormStartsTheRunbookInTheRunsThread) {
  waiting_run();
  submit({{"param.namespace.value", "prod"}, {"param.pod.value", "api-7"}});
  const auto runs = h_.store->list_runs(10);
  ASSERT_EQ(runs.size(), 2u);
  const auto& started = runs.front().id == kRunId ? runs.back() : runs.front();
  EXPECT_EQ(started.skill, "pod-crashloop");
  EXPECT_EQ(started.requester, kPerson);
  EXPECT_EQ(started.channel, HandlerHarness::kChannel);
  EXPECT_EQ(started.thread_ts, "1800000000.000001");
  EXPECT_EQ(started.text, "/runbook run pod-crashloop namespace=prod pod=api-7");
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.requested"});
  EXPECT_TRUE(h_.replies().empty());
}

TEST_F(ParametersHandlerTest, AFormForARunNoLongerWaitingStartsNothing) {
  submit({{"param.namespace.value", "prod"}, {"param.pod.value", "api-7"}});
  EXPECT_TRUE(h_.store->list_runs(10).empty());
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"params.refused"});
}

/// Only U0LEAD0001 may run runbooks (start.runbook).
class RestrictedParametersTest : public ParametersHandlerTest {
 protected:
  RestrictedParametersTest() : ParametersHandlerTest([](Config& c) { c.start.who.runbook.users = {"U0LEAD0001"}; }) {}
};

TEST_F(RestrictedParametersTest, AFilledFormFromSomeoneWhoMayNotRunRunbooksIsRefusedPrivately) {
  waiting_run();
  submit({{"param.namespace.value", "prod"}, {"param.pod.value", "api-7"}});
  EXPECT_EQ(h_.store->list_runs(10).size(), 1u) << "only the run that was waiting";
  EXPECT_EQ(h_.replies(),
            std::vector<std::string>{":no_entry: Only <@U0LEAD0001> may run runbooks. Nothing was started."});
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>({"run.requested", "run.start_refused"}));
}

}  // namespace
}  // namespace vigil::handlers
