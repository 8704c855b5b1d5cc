// End to end: parameters people give. `vigil serve` against the Slack emulator, driven as a person
// would: a /runbook run with a bad value gets the usage at once and starts nothing; a /triage that
// cannot fill the runbook's parameters asks in its thread, the button opens a modal, a wrong value
// is shown under its input, and a valid submission starts the runbook in the same thread.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0INC";
constexpr const char* kRequester = "U0REQ";
constexpr const char* kHelper = "U0HELPER";

class Parameters : public ::testing::Test {
 protected:
  void SetUp() override {
    session_.emulator().add_channel(kChannel, "inc-api");
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n    auto_triage: true\n"
                   "approvals:\n  users: [U0APPROVER]\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_params").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n"
                   "logging:\n  level: debug\n");
  }
  std::string log() const { return session_.log(); }
  std::vector<RunRecord> runs() { return session_.store()->list_runs(10); }
  /// The "Give parameters" buttons posted so far: (thread_ts, value).
  std::vector<std::pair<std::string, std::string>> asks() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& c : session_.emulator().calls("chat.postMessage")) {
      for (const auto& b : c.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "runbook.give_parameters") {
            out.emplace_back(c.args.value("thread_ts", ""), e.value("value", ""));
          }
        }
      }
    }
    return out;
  }
  json submit(const std::string& view_id, const std::string& run_id, const std::string& ns, const std::string& pod) {
    session_.send({{"envelope_id", "env-view-" + std::to_string(++views_)},
                   {"type", "interactive"},
                   {"accepts_response_payload", true},
                   {"payload",
                    {{"type", "view_submission"},
                     {"user", {{"id", kHelper}}},
                     {"trigger_id", "trig-view-" + std::to_string(views_)},
                     {"view",
                      {{"id", view_id},
                       {"callback_id", "runbook.parameters"},
                       {"private_metadata", run_id + " pod-crashloop"},
                       {"hash", "h" + std::to_string(views_)},
                       {"state",
                        {{"values",
                          {{"param.namespace", {{"value", {{"type", "plain_text_input"}, {"value", ns}}}}},
                           {"param.pod", {{"value", {{"type", "plain_text_input"}, {"value", pod}}}}}}}}}}}}}});
    return session_.last_ack();
  }

  test::ChatOpsSession session_;
  int views_ = 0;
};

TEST_F(Parameters, RunbookRunWithABadValueAnswersTheUsageAtOnceAndStartsNothing) {
  session_.slash("/runbook", "run pod-crashloop pod=Bad_Pod!", kRequester, kChannel);
  ASSERT_TRUE(test::eventually([&] { return session_.responses().find("Usage") != std::string::npos; }))
      << session_.responses() << log();
  const auto answer = session_.responses();
  EXPECT_NE(answer.find("pod: 'Bad_Pod!' is not a pod name (lowercase letters, digits, '-' and '.')"),
            std::string::npos)
      << answer;
  EXPECT_NE(answer.find("namespace is required"), std::string::npos) << answer;
  EXPECT_NE(answer.find("/runbook run pod-crashloop namespace=&lt;namespace&gt; pod=&lt;pod&gt;"), std::string::npos)
      << answer;
  EXPECT_NE(answer.find("the crash-looping pod"), std::string::npos) << "each parameter described: " << answer;
  EXPECT_EQ(answer.find("[a-z0-9]"), std::string::npos) << "no regex dump: " << answer;
  EXPECT_NE(answer.find("ephemeral"), std::string::npos) << answer;
  EXPECT_TRUE(runs().empty());
}

TEST_F(Parameters, ATriageThatCannotFillParametersAsksAndTheModalStartsTheRunbook) {
  session_.slash("/triage", "checkout crash looping", kRequester, kChannel);
  ASSERT_TRUE(test::eventually([&] { return asks().size() == 1; }, 20s)) << session_.posts() << log();
  auto all = runs();
  ASSERT_EQ(all.size(), 1u);
  const auto asking = all[0];
  EXPECT_EQ(asking.state, RunState::Succeeded) << "not a failure: nothing wrong happened";
  EXPECT_EQ(asking.result, RunResult::NeedsInput);
  EXPECT_EQ(asks()[0].first, asking.thread_ts);
  EXPECT_EQ(asks()[0].second, asking.id) << "the button carries the run id only";
  EXPECT_NE(session_.posts().find("pod-crashloop needs namespace and pod"), std::string::npos) << session_.posts();

  // A forged value opens nothing.
  session_.click("runbook.give_parameters", "not-a-run", kHelper, kChannel);
  ASSERT_TRUE(test::eventually([&] {
    return session_.responses().find("not waiting for parameters") != std::string::npos;
  })) << session_.responses();
  EXPECT_TRUE(session_.emulator().calls("views.open").empty());

  session_.click("runbook.give_parameters", asking.id, kHelper, kChannel);
  ASSERT_TRUE(test::eventually([&] { return !session_.emulator().calls("views.open").empty(); })) << log();
  const auto view = session_.emulator().calls("views.open")[0].args["view"];
  EXPECT_EQ(view["callback_id"], "runbook.parameters");
  EXPECT_EQ(view["private_metadata"], asking.id + " pod-crashloop");
  EXPECT_NE(view.dump().find("param.namespace"), std::string::npos) << view.dump();
  EXPECT_NE(view.dump().find("the crash-looping pod"), std::string::npos) << view.dump();

  // A wrong value: the modal stays open with the message under the pod's input; no run.
  const auto errors = submit("V1", asking.id, "demo", "Bad_Pod!");
  EXPECT_EQ(errors.value("response_action", ""), "errors") << errors.dump();
  EXPECT_NE(errors["errors"].value("param.pod", "").find("is not a pod name"), std::string::npos) << errors.dump();
  EXPECT_FALSE(errors["errors"].contains("param.namespace")) << errors.dump();

  // A valid one: the runbook starts as a new run in the same thread, requested by the submitter.
  const auto ok = submit("V1", asking.id, "demo", "checkout-1");
  EXPECT_FALSE(ok.is_object() && ok.contains("response_action")) << ok.dump();
  std::optional<RunRecord> started;
  ASSERT_TRUE(test::eventually(
      [&] {
        for (const auto& r : runs()) {
          if (r.id != asking.id && is_terminal(r.state)) {
            started = r;
          }
        }
        return started.has_value();
      },
      20s))
      << log();
  EXPECT_EQ(started->trigger_kind, "runbook");
  EXPECT_EQ(started->requester, kHelper);
  EXPECT_EQ(started->skill, "pod-crashloop");
  EXPECT_EQ(started->thread_ts, asking.thread_ts);
  EXPECT_EQ(started->state, RunState::Succeeded) << started->error;
  ASSERT_TRUE(test::eventually([&] {
    return session_.posts().find("describe pod checkout-1 -n demo") != std::string::npos;
  })) << session_.posts();
}

}  // namespace
}  // namespace vigil
