// Whether a run still waits for a person to give its parameters, read from a real SQLite file: the
// Give parameters button and its form act only on such a run.
#include "bot/core/parameter_need.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

constexpr const char* kRun = "00000000-0000-4000-8000-0000000000e1";

class WaitingForParametersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    catalog_.load_dirs({(test::fixtures_dir() / "skills_params").string()});
    ASSERT_TRUE(catalog_.find("pod-crashloop"));
    RunRecord r;
    r.id = kRun;
    r.trigger_kind = "alert";
    r.trigger_key = "alert:i1";
    r.requester = "alertmanager";
    r.backend = "runbook";
    r.state = RunState::Succeeded;
    r.channel = "C1";
    r.created_at = 1'800'000'000;
    ASSERT_TRUE(store_->create_run(r));
    RunTrigger t;
    t.kind = "alert";
    t.channel = "C1";
    t.incident_id = "i1";
    t.incident.labels = {{"namespace", "prod"}};
    store_->append_event({0, kRun, 1, "trigger", "system", "", t.to_json().dump()});
  }

  void needs(const std::string& skill) {
    ParameterNeed n;
    n.skill = skill;
    n.missing = {"pod"};
    store_->append_event({0, kRun, 2, kNeedsInputEvent, "system", n.sentence(), n.to_json().dump()});
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  skills::SkillCatalog catalog_{false};
};

TEST_F(WaitingForParametersTest, ARunThatNeedsInputHasItsNeedSkillAndTrigger) {
  store_->set_run_result(kRun, RunResult::NeedsInput);
  needs("pod-crashloop");
  const auto waiting = waiting_for_parameters(*store_, catalog_, kRun);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->run.id, kRun);
  EXPECT_EQ(waiting->need.missing, std::vector<std::string>{"pod"});
  ASSERT_NE(waiting->skill, nullptr);
  EXPECT_EQ(waiting->skill->id, "pod-crashloop");
  EXPECT_EQ(waiting->trigger.incident_id, "i1");
  EXPECT_EQ(waiting->trigger.incident.labels.at("namespace"), "prod");
}

TEST_F(WaitingForParametersTest, NoLongerWaitingWithoutTheResultTheNeedOrTheSkill) {
  needs("pod-crashloop");
  EXPECT_FALSE(waiting_for_parameters(*store_, catalog_, kRun)) << "its result is not NeedsInput";
  store_->set_run_result(kRun, RunResult::NeedsInput);
  EXPECT_TRUE(waiting_for_parameters(*store_, catalog_, kRun));
  skills::SkillCatalog empty{false};
  EXPECT_FALSE(waiting_for_parameters(*store_, empty, kRun)) << "the skill is gone";
  EXPECT_FALSE(waiting_for_parameters(*store_, catalog_, "")) << "no id";
  EXPECT_FALSE(waiting_for_parameters(*store_, catalog_, std::string(65, 'a'))) << "a forged value";
  EXPECT_FALSE(waiting_for_parameters(*store_, catalog_, "00000000-0000-4000-8000-0000000000e2"));
}

TEST_F(WaitingForParametersTest, ARunWithoutANeedInItsTimelineIsNotWaiting) {
  store_->set_run_result(kRun, RunResult::NeedsInput);
  EXPECT_FALSE(waiting_for_parameters(*store_, catalog_, kRun));
}

}  // namespace
}  // namespace vigil
