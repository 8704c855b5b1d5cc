// The step executor's journal kept in the Store: what goes through the port is the row the store
// holds, with the journal's clock.
#include "bot/store/store_step_journal.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/store_backends.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

class StoreStepJournalTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!backend_.start(GetParam(), &why)) {
      GTEST_SKIP() << why;
    }
    auto opened = backend_.open();
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    RunRecord run;
    run.id = "r1";
    run.trigger_kind = "cli";
    run.trigger_key = "test:r1";
    run.backend = "runbook";
    run.state = RunState::Running;
    run.created_at = 1;
    ASSERT_TRUE(store_->create_run(run));
    journal_ = std::make_unique<StoreStepJournal>(*store_, clock_);
  }

  skills::StepEntry restart_step() const {
    skills::StepEntry step;
    step.run_id = "r1";
    step.skill = "pod-crashloop";
    step.key = "restart_deployment";
    step.seq = 3;
    step.argv = {"kubectl", "rollout", "restart", "deployment/api"};
    step.argv_hash = "sha256:abc";
    step.mutating = true;
    return step;
  }

  test::StoreBackend backend_;
  test::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreStepJournal> journal_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreStepJournalTest, test::kStoreBackends, test::store_backend_name);

TEST_P(StoreStepJournalTest, AStepFinishedThroughTheJournalIsTheRowTheStoreHolds) {
  const auto added = journal_->add_step(restart_step());
  ASSERT_NE(added.id, 0);
  auto row = store_->get_step(added.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->run_id, "r1");
  EXPECT_EQ(row->skill, "pod-crashloop");
  EXPECT_EQ(row->step, "restart_deployment");
  EXPECT_EQ(row->seq, 3);
  EXPECT_EQ(row->argv, restart_step().argv);
  EXPECT_EQ(row->argv_hash, "sha256:abc");
  EXPECT_TRUE(row->mutating);
  EXPECT_EQ(row->state, StepState::Pending);

  ASSERT_TRUE(journal_->transition(added, StepState::Pending, StepState::Running));
  clock_.advance(5s);
  skills::StepEnd outcome;
  outcome.state = StepState::Failed;
  outcome.exit_code = 1;
  outcome.signal = 15;
  outcome.output = "error: deployments.apps \"api\" not found\n";
  outcome.truncated = true;
  outcome.output_path = "/var/lib/vigil/runs/r1/steps/3-restart_deployment.log";
  journal_->finish(added, outcome);

  row = store_->get_step(added.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, StepState::Failed);
  EXPECT_EQ(row->exit_code, 1);
  EXPECT_EQ(row->signal, 15);
  EXPECT_EQ(row->output, outcome.output);
  EXPECT_TRUE(row->output_truncated);
  EXPECT_EQ(row->output_path, outcome.output_path);
  EXPECT_EQ(row->finished_at, to_unix(clock_.now()));

  // Read back through the port: the same step, as the executor sees it.
  const auto steps = journal_->steps("r1");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].id, added.id);
  EXPECT_EQ(steps[0].key, "restart_deployment");
  EXPECT_EQ(steps[0].state, StepState::Failed);
  EXPECT_EQ(steps[0].exit_code, 1);
  EXPECT_EQ(steps[0].output, outcome.output);
  EXPECT_TRUE(steps[0].output_truncated);
  EXPECT_EQ(steps[0].output_path, outcome.output_path);
}

TEST_P(StoreStepJournalTest, ATransitionIsConditionalAndAStepThatNeverRanKeepsItsNote) {
  const auto added = journal_->add_step(restart_step());
  EXPECT_FALSE(journal_->transition(added, StepState::AwaitingApproval, StepState::Running));
  EXPECT_EQ(store_->get_step(added.id)->state, StepState::Pending);
  ASSERT_TRUE(journal_->transition(added, StepState::Pending, StepState::AwaitingApproval));
  EXPECT_FALSE(journal_->transition(added, StepState::Pending, StepState::AwaitingApproval)) << "moved twice";
  EXPECT_EQ(store_->get_step(added.id)->state, StepState::AwaitingApproval);

  journal_->finish(added, skills::StepEnd::without_running(StepState::Denied, "denied by U1: not now"));
  const auto row = store_->get_step(added.id);
  EXPECT_EQ(row->state, StepState::Denied);
  EXPECT_EQ(row->output, "denied by U1: not now");
  EXPECT_FALSE(row->exit_code);
  EXPECT_FALSE(row->signal);
  EXPECT_FALSE(row->output_truncated);
}

TEST_P(StoreStepJournalTest, EventsAreTimelineRowsAndAnExecutionIsAnAuditRow) {
  EXPECT_TRUE(journal_->has_run("r1"));
  EXPECT_FALSE(journal_->has_run("r2"));

  skills::StepEvent event;
  event.run_id = "r1";
  event.kind = skills::StepEventKind::ApprovalDenied;
  event.text = "restart_deployment: denied by U1";
  event.actor = "U1";
  const auto before = store_->list_events("r1").size();  // the run's own rows (created)
  journal_->record(event);
  const auto events = store_->list_events("r1");
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().kind, "approval_denied");
  EXPECT_EQ(events.back().actor, "U1");
  EXPECT_EQ(events.back().text, "restart_deployment: denied by U1");
  EXPECT_EQ(events.back().at_ms, to_unix_ms(clock_.now()));

  skills::ExecutionRecord executed;
  executed.run_id = "r1";
  executed.key = "restart_deployment";
  executed.argv_hash = "sha256:abc";
  executed.approved_by = "U1";
  executed.state = StepState::Succeeded;
  journal_->record_execution(executed);
  const auto audit = store_->list_audit("r1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "step.executed");
  EXPECT_EQ(audit[0].actor, "U1");
  EXPECT_EQ(audit[0].detail, "restart_deployment sha256:abc succeeded");
  EXPECT_EQ(audit[0].at_ms, to_unix_ms(clock_.now()));
}

}  // namespace
}  // namespace vigil
