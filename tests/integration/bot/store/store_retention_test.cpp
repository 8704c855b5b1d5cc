// Data that ages out (issue 21, point 3): what storage.retention lets go is deleted in small
// batches, children before parents; a run that is not final and an open incident stay, whatever
// their age.
#include <string>

#include <gtest/gtest.h>

#include "bot/core/data_retention.h"
#include "bot/store/store.h"
#include "tests/support/store_backends.h"

namespace vigil {
namespace {

constexpr long long kDay = 86400;
constexpr long long kNow = 1'800'000'000;
constexpr long long kOld = kNow - 400 * kDay;  // older than every default retention

// On both backends: the pruning SQL is the Store's most involved.
class StoreRetention : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!backend_.start(GetParam(), &why)) {
      GTEST_SKIP() << why;
    }
    auto s = backend_.open();
    ASSERT_TRUE(s);
    store_ = std::move(*s);
  }
  void incident(const std::string& id, bool resolved, long long at) {
    IncidentRecord i;
    i.id = id;
    i.title = id;
    i.created_at = at;
    ASSERT_TRUE(store_->create_incident(i));
    store_->append_incident_event({0, id, at * 1000, "declared", "U1", "declared"});
    if (resolved) {
      ASSERT_TRUE(store_->resolve_incident(id, at + 60));
    }
  }
  // A run with `events` timeline rows (plus its "created" row), one step and one voted approval.
  void run(const std::string& id, const std::string& incident_id, RunState state, long long at, int events = 3) {
    RunRecord r;
    r.id = id;
    r.incident_id = incident_id;
    r.trigger_kind = "alert";
    r.trigger_key = "k-" + id;
    r.backend = "runbook";
    r.created_at = at;
    ASSERT_TRUE(store_->create_run(r));
    for (int i = 0; i < events; ++i) {
      store_->append_event({0, id, at * 1000 + i, "text", "agent", "line " + std::to_string(i), ""});
    }
    StepRecord step;
    step.run_id = id;
    step.step = "s";
    step.seq = 1;
    step.argv = {"true"};
    const auto step_id = store_->create_step(step);
    ApprovalRecord a;
    a.token = "t-" + id;
    a.run_id = id;
    a.step_id = step_id;
    a.argv_hash = "h";
    a.created_at = at;
    a.expires_at = at + 600;
    ASSERT_TRUE(store_->create_approval(a));
    store_->add_approval_vote(a.token, "U1", at);
    AgentTurnRecord turn;  // an agent turn's duration and tokens go with their run
    turn.run_id = id;
    turn.backend = "codex";
    turn.started_at_ms = at * 1000;
    turn.duration_ms = 1000;
    turn.status = "succeeded";
    store_->add_agent_turn(turn);
    if (state != RunState::Queued) {
      ASSERT_TRUE(store_->transition_run(id, {RunState::Queued}, RunState::Running, at * 1000));
    }
    if (state != RunState::Queued && state != RunState::Running) {
      ASSERT_TRUE(store_->transition_run(id, {RunState::Running}, state, (at + 10) * 1000));
    }
  }
  long long rows(const std::string& table) { return std::stoll(backend_.query("SELECT COUNT(*) FROM " + table)); }

  test::StoreBackend backend_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreRetention, test::kStoreBackends, test::store_backend_name);

TEST_P(StoreRetention, DryRunCountsWhatGoesAndPruningDeletesExactlyThat) {
  incident("i-old-resolved", true, kOld);
  incident("i-old-open", false, kOld);
  incident("i-new-resolved", true, kNow - kDay);
  run("r-old-done", "i-old-resolved", RunState::Succeeded, kOld);
  run("r-old-failed", "", RunState::Failed, kOld);
  run("r-old-running", "i-old-open", RunState::Running, kOld);
  run("r-old-queued", "", RunState::Queued, kOld);
  run("r-new-done", "i-new-resolved", RunState::Succeeded, kNow - kDay);
  store_->mark_webhook_processed(store_->record_webhook_delivery("am", kOld, "{}"), "processed", kOld);
  store_->mark_webhook_processed(store_->record_webhook_delivery("am", kOld, "{}"), "failed", kOld);
  store_->record_webhook_delivery("am", kOld, "{}");  // never processed: kept to be replayed
  store_->mark_webhook_processed(store_->record_webhook_delivery("am", kNow, "{}"), "processed", kNow);
  store_->append_audit({0, kOld * 1000, "U1", "approval.click", "r-old-done", "", ""});
  store_->append_audit({0, (kNow - 100 * kDay) * 1000, "U1", "approval.click", "r-new-done", "", ""});

  DataRetentionConfig policy;
  const auto cutoffs = retention_cutoffs(policy, kNow);
  const auto would = store_->count_prunable(cutoffs);
  EXPECT_EQ(would.runs, 2);
  EXPECT_EQ(would.run_events, 2 * 7);  // created, 3 lines, the state changes (running, final), an agent turn
  EXPECT_EQ(would.steps, 2);
  EXPECT_EQ(would.approvals, 2);
  EXPECT_EQ(would.incidents, 1);
  EXPECT_EQ(would.incident_events, 1);
  EXPECT_EQ(would.webhook_deliveries, 2);
  EXPECT_EQ(would.audit, 1);
  EXPECT_EQ(rows("runs"), 5) << "a dry run deletes nothing";

  policy.batch_rows = 3;  // several batches per kind
  const auto pass = prune_aged_rows(*store_, policy, kNow, 1000);
  EXPECT_TRUE(pass.drained);
  EXPECT_EQ(pass.deleted.runs, would.runs);
  EXPECT_EQ(pass.deleted.run_events, would.run_events);
  EXPECT_EQ(pass.deleted.steps, would.steps);
  EXPECT_EQ(pass.deleted.approvals, would.approvals);
  EXPECT_EQ(pass.deleted.incidents, would.incidents);
  EXPECT_EQ(pass.deleted.incident_events, would.incident_events);
  EXPECT_EQ(pass.deleted.webhook_deliveries, would.webhook_deliveries);
  EXPECT_EQ(pass.deleted.audit, would.audit);

  EXPECT_FALSE(store_->get_run("r-old-done"));
  EXPECT_FALSE(store_->get_run("r-old-failed"));
  EXPECT_TRUE(store_->get_run("r-old-running")) << "a run that is not final stays";
  EXPECT_TRUE(store_->get_run("r-old-queued")) << "a run that is not final stays";
  EXPECT_TRUE(store_->get_run("r-new-done"));
  EXPECT_FALSE(store_->list_events("r-old-running").empty());
  EXPECT_FALSE(store_->get_incident("i-old-resolved"));
  EXPECT_TRUE(store_->get_incident("i-old-open")) << "an open incident stays";
  EXPECT_TRUE(store_->get_incident("i-new-resolved"));
  EXPECT_EQ(rows("approval_votes"), 3);
  EXPECT_EQ(rows("agent_turns"), 3) << "the pruned runs' agent turns went with them";
  EXPECT_EQ(rows("webhook_deliveries"), 2);
  EXPECT_EQ(store_->list_webhook_deliveries()[0].status, "received");
  EXPECT_EQ(rows("audit_log"), 1);
  EXPECT_EQ(store_->count_prunable(cutoffs).total(), 0);
}

TEST_P(StoreRetention, OneBatchDeletesAtMostBatchRowsOfAKind) {
  run("r-old", "", RunState::Succeeded, kOld, 25);  // 25 lines + created + 2 state rows
  const auto cutoffs = retention_cutoffs(DataRetentionConfig{}, kNow);
  const auto first = store_->prune_batch(cutoffs, 10);
  EXPECT_EQ(first.run_events, 10);
  EXPECT_EQ(first.runs, 0) << "the run goes after its timeline";
  EXPECT_EQ(rows("run_events"), 18);
  DataRetentionConfig small;
  small.batch_rows = 10;
  const auto cut_short = prune_aged_rows(*store_, small, kNow, 1);
  EXPECT_FALSE(cut_short.drained) << "a pass stops at its batch limit and says so";
  const auto rest = prune_aged_rows(*store_, small, kNow, 10);
  EXPECT_TRUE(rest.drained);
  EXPECT_EQ(rows("runs"), 0);
  EXPECT_EQ(rows("run_events"), 0);
}

// A resolved incident whose run is still going stays until the run is final and old enough.
TEST_P(StoreRetention, AnIncidentStaysWhileARunRefersToIt) {
  incident("i-old", true, kOld);
  run("r-running", "i-old", RunState::Running, kOld);
  const auto cutoffs = retention_cutoffs(DataRetentionConfig{}, kNow);
  EXPECT_EQ(store_->count_prunable(cutoffs).incidents, 0);
  prune_aged_rows(*store_, DataRetentionConfig{}, kNow, 100);
  EXPECT_TRUE(store_->get_incident("i-old"));
  EXPECT_EQ(store_->list_incident_events("i-old").size(), 1u) << "its timeline stays with it";
}

}  // namespace
}  // namespace vigil
