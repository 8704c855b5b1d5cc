// LocalRun: what `vigil triage --local` and `vigil skills run` share, a run manager over the
// configured store with approvals on the terminal, driven on this thread (real child processes).
#include "bot/cli/local_run.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

class LocalRunTest : public ::testing::Test {
 protected:
  LocalRunTest() : catalog_(false) {
    config_.storage.database = (dir_ / "v.db").string();
    config_.agent.workspace_root = (dir_ / "ws").string();
    config_.agent.env_allowlist = {"PATH"};
    config_.skills.dirs = {(test::fixtures_dir() / "skills_runmanager").string()};
    (void)catalog_.load_dirs(config_.skills.dirs);
  }

  // Approves every gated step (--yes); keeps each executor report it is told of.
  std::unique_ptr<LocalRun> open() {
    LocalRunSettings settings;
    settings.log.level = spdlog::level::off;
    settings.auto_approve = true;
    settings.requester = "cli:tester";
    settings.on_runbook_report = [this](const std::string& run_id, const skills::SkillRunReport& report) {
      reported_.push_back(run_id + ": " + std::string(skills::to_string(report.outcome)));
    };
    auto local = LocalRun::open(config_, catalog_, std::move(settings));
    EXPECT_TRUE(local) << local.error().detail;
    return local ? std::move(*local) : nullptr;
  }

  static RunTrigger restart_trigger(const std::string& run_id) {
    RunTrigger t;
    t.kind = "cli";
    t.key = "cli:" + run_id;
    t.run_id = run_id;
    t.requester = "cli:tester";
    t.text = "vigil skills run test-restart";
    t.skill = "test-restart";
    t.params = {{"deployment", "checkout"}, {"namespace", "shop"}};
    return t;
  }

  test::TempDir dir_;
  Config config_;
  skills::SkillCatalog catalog_;
  std::vector<std::string> reported_;
};

TEST_F(LocalRunTest, RunsASkillUnderTheGivenIdAndLeavesItsResult) {
  auto local = open();
  ASSERT_TRUE(local);
  auto started = local->manager().start(restart_trigger("local-1"));
  ASSERT_TRUE(started) << started.error().detail;
  EXPECT_EQ(started->run_id, "local-1");
  bool interrupted = false;
  local->run_until_idle([&] { interrupted = true; });
  EXPECT_FALSE(interrupted);
  EXPECT_EQ(reported_, (std::vector<std::string>{"local-1: succeeded"}));
  const auto run = local->store().get_run("local-1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Succeeded);
  EXPECT_EQ(run->result, RunResult::Fixed);
  EXPECT_EQ(run->trigger_key, "cli:local-1");
  EXPECT_EQ(run->requester, "cli:tester");
  const auto steps = local->store().list_steps("local-1");
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back().argv, (std::vector<std::string>{"echo", "restarted", "checkout"}));
  EXPECT_EQ(steps.back().state, StepState::Succeeded);
}

// An interrupted run resumes with the trigger it was started with; a finished one does not.
TEST_F(LocalRunTest, ResumesAnInterruptedRunAndRefusesAFinishedOne) {
  auto local = open();
  ASSERT_TRUE(local);
  auto& store = local->store();
  RunRecord row;
  row.id = "local-2";
  row.trigger_kind = "cli";
  row.trigger_key = "cli:local-2";
  row.requester = "cli:tester";
  row.backend = "runbook";
  row.skill = "test-restart";
  row.state = RunState::Interrupted;
  ASSERT_TRUE(store.create_run(row));
  store.append_event({0, "local-2", 1000, "trigger", "cli:tester", "cli", restart_trigger("local-2").to_json().dump()});

  auto resumed = local->manager().resume("local-2", "cli:tester");
  ASSERT_TRUE(resumed) << resumed.error().detail;
  local->run_until_idle([] {});
  EXPECT_EQ(reported_, (std::vector<std::string>{"local-2: succeeded"}));
  const auto run = store.get_run("local-2");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Succeeded);
  EXPECT_EQ(run->result, RunResult::Fixed);

  auto again = local->manager().resume("local-2", "cli:tester");
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is(Errc::Conflict));
  EXPECT_NE(again.error().detail.find("run local-2 is succeeded"), std::string::npos) << again.error().detail;
  EXPECT_FALSE(local->manager().resume("no-such-run", "cli:tester"));
}

TEST_F(LocalRunTest, ADatabaseThatCannotBeOpenedIsAnError) {
  config_.storage.database = (dir_ / "missing-folder" / "v.db").string();
  auto local = LocalRun::open(config_, catalog_, LocalRunSettings{});
  EXPECT_FALSE(local);
}

}  // namespace
}  // namespace vigil
