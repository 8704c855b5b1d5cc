#include "bot/store/store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "tests/support/store_backends.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

constexpr long long kNow = 1'800'000'000;

// `vigil runs list` and the other read-back commands open with MustExist: no file is created.
TEST(StoreOpen, MustExistRefusesAMissingFileAndCreatesNothing) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  const auto missing = Store::open(db, StoreOpenMode::MustExist);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::NotFound));
  EXPECT_EQ(missing.error().detail, "no database at " + db);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  { ASSERT_TRUE(Store::open(db)); }
  const auto existing = Store::open(db, StoreOpenMode::MustExist);
  ASSERT_TRUE(existing);
  EXPECT_EQ((*existing)->schema_version(), Store::kSchemaVersion);
}

// The read-back commands open ReadOnly: nothing is created, migrated or written.
TEST(StoreOpen, ReadOnlyNeverCreatesMigratesOrWrites) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  const auto missing = Store::open(db, StoreOpenMode::ReadOnly);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::NotFound));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  { ASSERT_TRUE(Store::open_at_version(db, 2)); }
  const auto older = Store::open(db, StoreOpenMode::ReadOnly);
  ASSERT_FALSE(older);
  EXPECT_TRUE(older.error().is(Errc::InvalidConfig));
  EXPECT_NE(older.error().detail.find("has schema version 2 and this Vigil reads version " +
                                      std::to_string(Store::kSchemaVersion)),
            std::string::npos)
      << older.error().detail;
  {
    SQLite::Database raw(db, SQLite::OPEN_READONLY);
    EXPECT_EQ(raw.execAndGet("SELECT MAX(version) FROM schema_version").getInt(), 2) << "not migrated";
  }

  { ASSERT_TRUE(Store::open(db)); }  // `vigil serve` upgrades it
  const auto current = Store::open(db, StoreOpenMode::ReadOnly);
  ASSERT_TRUE(current) << current.error().detail;
  EXPECT_EQ((*current)->schema_version(), Store::kSchemaVersion);
  EXPECT_TRUE((*current)->list_runs(10).empty());
  EXPECT_FALSE((*current)->is_writable()) << "opened read-only";

  test::write_file(dir / "other.db", "");
  const auto empty = Store::open((dir / "other.db").string(), StoreOpenMode::ReadOnly);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().detail.find("is not a Vigil database"), std::string::npos) << empty.error().detail;
}

RunRecord make_run(const std::string& id, const std::string& key) {
  RunRecord r;
  r.id = id;
  r.trigger_kind = "slash_command";
  r.trigger_key = key;
  r.requester = "U111";
  r.text = "api is down";
  r.backend = "runbook";
  r.channel = "C111";
  r.created_at = kNow;
  return r;
}

ApprovalRecord make_approval(const std::string& token, const std::string& run_id) {
  ApprovalRecord a;
  a.token = token;
  a.run_id = run_id;
  a.argv_hash = "abc123";
  a.requester = "U111";
  a.policy = R"({"users":["U222"]})";
  a.risk = "medium";
  a.created_at = kNow;
  a.expires_at = kNow + 1800;
  return a;
}

class StoreTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string path_ = (dir_ / "vigil.db").string();
  std::unique_ptr<Store> open() {
    auto s = Store::open(path_);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }
};

// The same suite on each backend: a SQLite file, and a real PostgreSQL server (Debian's, started
// by the test on a loopback port as an unprivileged user) with a new database per test.
class StoreBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!backend_.start(GetParam(), &why)) {
      GTEST_SKIP() << why;
    }
  }
  Result<std::unique_ptr<Store>> open_at(int version) { return backend_.open(version); }
  std::unique_ptr<Store> open() {
    auto s = backend_.open();
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  test::StoreBackend backend_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackendTest, test::kStoreBackends, test::store_backend_name);

TEST_F(StoreTest, MigratesFromEmptyToCurrentAndUsesWal) {
  auto store = open();
  EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
  SQLite::Database raw(path_);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
  for (const char* table : {"incidents", "runs", "run_events", "steps", "approvals", "audit_log", "processed_events",
                            "approval_votes", "schema_version"}) {
    EXPECT_TRUE(raw.tableExists(table)) << table;
  }
  EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM schema_version").getInt(), Store::kSchemaVersion);
}

TEST_P(StoreBackendTest, MigratesFromEveryOlderVersionKeepingData) {
  for (int from = 1; from < Store::kSchemaVersion; ++from) {
    SCOPED_TRACE("from version " + std::to_string(from));
    backend_.start_over();
    {
      auto old = open_at(from);
      ASSERT_TRUE(old) << old.error().message();
      EXPECT_EQ((*old)->schema_version(), from);
      backend_.exec(
          "INSERT INTO runs(id, trigger_kind, trigger_key, backend, state, created_at) "
          "VALUES ('r-old', 'cli', 'k-old', 'runbook', 'queued', 1)");
      backend_.exec(
          "INSERT INTO approvals(token, run_id, argv_hash, created_at, expires_at) "
          "VALUES ('t-old', 'r-old', 'h', 1, 99999999999)");
    }
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), Store::kSchemaVersion);
    ASSERT_TRUE(store->get_run("r-old"));
    const auto approval = store->get_approval("t-old");
    ASSERT_TRUE(approval);
    EXPECT_EQ(approval->required_approvals, 1);
  }
}

// Replicas on one database: each standby stores what Slack sent it, a key any replica saw is
// stored once, and the leader takes the frames in oldest first, each once.
TEST_P(StoreBackendTest, RelayedEnvelopesAreStoredOnceAndTakenInOnceInOrder) {
  auto leader = open();
  auto standby_a = open();
  auto standby_b = open();
  ASSERT_TRUE(leader && standby_a && standby_b);
  EXPECT_TRUE(standby_a->relay_envelope("Ev1", "event", 100, "frame 1"));
  EXPECT_FALSE(standby_b->relay_envelope("Ev1", "event", 101, "frame 1 again")) << "seen by another replica";
  EXPECT_FALSE(leader->mark_event_processed("Ev1", "event", 101)) << "and by the leader's own connections";
  EXPECT_TRUE(leader->mark_event_processed("Ev2", "event", 102));
  EXPECT_FALSE(standby_a->relay_envelope("Ev2", "event", 103, "frame 2")) << "the leader handled it already";
  EXPECT_TRUE(standby_b->relay_envelope("Ev3", "event", 104, "frame 3"));
  EXPECT_TRUE(standby_a->relay_envelope("Ev4", "event", 105, "frame 4"));
  EXPECT_EQ(leader->count_relayed_envelopes(), 3);

  EXPECT_EQ(leader->take_relayed_envelopes(2), (std::vector<std::string>{"frame 1", "frame 3"}));
  EXPECT_EQ(leader->take_relayed_envelopes(2), (std::vector<std::string>{"frame 4"}));
  EXPECT_TRUE(leader->take_relayed_envelopes(2).empty());
  EXPECT_EQ(leader->count_relayed_envelopes(), 0);
  EXPECT_FALSE(standby_b->relay_envelope("Ev4", "event", 106, "frame 4 again")) << "taken in is still seen";
  EXPECT_EQ(leader->count_relayed_envelopes(), 0);
}

TEST_P(StoreBackendTest, RefusesDatabaseFromNewerVersion) {
  { open(); }
  backend_.exec("INSERT INTO schema_version(version, applied_at) VALUES (99, 0)");
  auto store = open_at(Store::kSchemaVersion);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().detail.find("written by a newer Vigil (schema version 99"), std::string::npos)
      << store.error().detail;
}

TEST_P(StoreBackendTest, ReopenKeepsEverything) {
  {
    auto store = open();
    ASSERT_TRUE(store->create_run(make_run("r1", "slack:cmd:1")));
    store->append_event({0, "r1", kNow * 1000 + 5, "finding", "agent", "pod OOMKilled", ""});
    ASSERT_TRUE(store->create_approval(make_approval("tok1", "r1")));
    store->append_audit({0, kNow * 1000, "U111", "approval.requested", "r1", "tok1", ""});
    EXPECT_TRUE(store->mark_event_processed("Ev1", "events_api", kNow));
  }
  auto store = open();
  const auto run = store->get_run("r1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Queued);
  EXPECT_EQ(run->text, "api is down");
  const auto events = store->list_events("r1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "created");
  EXPECT_EQ(events[1].text, "pod OOMKilled");
  EXPECT_TRUE(store->get_approval("tok1"));
  EXPECT_EQ(store->list_audit("r1").size(), 1u);
  EXPECT_FALSE(store->mark_event_processed("Ev1", "events_api", kNow + 1));
}

TEST_P(StoreBackendTest, DuplicateTriggerFindsExistingRun) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "slack:event:Ev9")));
  const auto again = store->create_run(make_run("r2", "slack:event:Ev9"));
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is(Errc::Conflict));
  EXPECT_EQ(again.error().detail, "r1");
  EXPECT_FALSE(store->get_run("r2"));
}

// The persisted queue is read a few rows at a time, oldest first, and counted without reading it:
// thousands of queued runs cost the run manager one index count and a row or two per decision.
TEST_P(StoreBackendTest, QueuedRunsAreReadOldestFirstAFewAtATimeAndCounted) {
  auto store = open();
  for (int i = 0; i < 6; ++i) {
    auto r = make_run("r" + std::to_string(i), "k" + std::to_string(i));
    r.created_at = kNow + (i == 4 ? -10 : i);  // r4 came first
    ASSERT_TRUE(store->create_run(r));
  }
  ASSERT_TRUE(store->transition_run("r4", {RunState::Queued}, RunState::Running, kNow * 1000));
  EXPECT_EQ(store->count_queued_runs(), 5u);
  std::vector<std::string> ids;
  for (const auto& r : store->queued_runs(2)) {
    ids.push_back(r.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"r0", "r1"}));
  ids.clear();
  for (const auto& r : store->queued_runs(100)) {
    ids.push_back(r.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r5"}));
  ASSERT_TRUE(store->transition_run("r0", {RunState::Queued}, RunState::Cancelled, kNow * 1000));
  EXPECT_EQ(store->count_queued_runs(), 4u);
}

TEST_P(StoreBackendTest, RunTransitionsAreConditionalAndTimelined) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  EXPECT_TRUE(store->transition_run("r1", {RunState::Queued}, RunState::Running, kNow * 1000 + 1000));
  EXPECT_FALSE(store->transition_run("r1", {RunState::Queued}, RunState::Running, kNow * 1000 + 2000));
  EXPECT_TRUE(store->transition_run("r1", {RunState::Running}, RunState::AwaitingApproval, kNow * 1000 + 3000));
  EXPECT_TRUE(store->transition_run("r1", {RunState::AwaitingApproval}, RunState::Running, kNow * 1000 + 4000));
  EXPECT_TRUE(
      store->transition_run("r1", {RunState::Running}, RunState::Succeeded, kNow * 1000 + 5000, "system", "done"));
  const auto run = store->get_run("r1");
  EXPECT_EQ(run->state, RunState::Succeeded);
  EXPECT_EQ(run->started_at, kNow + 1);
  EXPECT_EQ(run->finished_at, kNow + 5);
  std::vector<std::string> texts;
  for (const auto& e : store->list_events("r1")) {
    texts.push_back(e.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"queued", "running", "awaiting_approval", "running", "succeeded: done"}));
}

TEST_P(StoreBackendTest, ApprovalDecisionHasExactlyOneWinner) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  ASSERT_TRUE(store->create_approval(make_approval("tok1", "r1")));
  EXPECT_TRUE(store->claim_approval_decision("tok1", Decision::Approve, "U222", "", kNow + 10));
  EXPECT_FALSE(store->claim_approval_decision("tok1", Decision::Deny, "U333", "no", kNow + 11));
  const auto a = store->get_approval("tok1");
  EXPECT_EQ(a->state, ApprovalState::Approved);
  EXPECT_EQ(a->decided_by, "U222");
}

TEST_P(StoreBackendTest, ExpiredApprovalCannotBeClaimed) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  ASSERT_TRUE(store->create_approval(make_approval("tok1", "r1")));
  EXPECT_FALSE(store->claim_approval_decision("tok1", Decision::Approve, "U222", "", kNow + 1800));
  const auto expired = store->expire_approvals(kNow + 1800);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(store->get_approval("tok1")->state, ApprovalState::Expired);
  EXPECT_TRUE(store->pending_approvals().empty());
}

TEST_P(StoreBackendTest, VotesCountDistinctApprovers) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  ASSERT_TRUE(store->create_approval(make_approval("tok1", "r1")));
  EXPECT_EQ(store->add_approval_vote("tok1", "U222", kNow), 1);
  EXPECT_EQ(store->add_approval_vote("tok1", "U222", kNow + 1), 0);
  EXPECT_EQ(store->add_approval_vote("tok1", "U333", kNow + 2), 2);
  EXPECT_EQ(store->approval_voters("tok1"), (std::vector<std::string>{"U222", "U333"}));
}

// Two connections on the same file race for the same decision, many times over.
TEST_P(StoreBackendTest, ConditionalUpdateRacingItselfHasOneWinner) {
  constexpr int kApprovals = 200;
  {
    auto store = open();
    ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
    for (int i = 0; i < kApprovals; ++i) {
      ASSERT_TRUE(store->create_approval(make_approval("tok" + std::to_string(i), "r1")));
    }
  }
  std::atomic<int> wins{0};
  auto racer = [&](const std::string& user) {
    auto store = open_at(Store::kSchemaVersion);
    ASSERT_TRUE(store);
    for (int i = 0; i < kApprovals; ++i) {
      if ((*store)->claim_approval_decision("tok" + std::to_string(i), Decision::Approve, user, "", kNow)) {
        ++wins;
      }
    }
  };
  std::thread a(racer, "U1"), b(racer, "U2");
  a.join();
  b.join();
  EXPECT_EQ(wins.load(), kApprovals);
  auto store = open();
  for (int i = 0; i < kApprovals; ++i) {
    EXPECT_EQ(store->get_approval("tok" + std::to_string(i))->state, ApprovalState::Approved);
  }
}

// A child process is killed with SIGKILL in the middle of a transaction; the database stays
// consistent and holds none of the half-written rows.
TEST_F(StoreTest, ChildKilledMidTransactionLeavesDatabaseConsistent) {
  {
    auto store = open();
    ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < 500; ++i) {
      db.exec("INSERT INTO run_events(run_id, at_ms, kind, text) VALUES ('r1', 1, 'half', 'x')");
    }
    db.exec("UPDATE runs SET state='running' WHERE id='r1'");
    (void)!::write(ready[1], "x", 1);
    ::pause();  // killed here, transaction open
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open();
  SQLite::Database raw(path_);
  EXPECT_EQ(raw.execAndGet("PRAGMA integrity_check").getString(), "ok");
  EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM run_events WHERE kind='half'").getInt(), 0);
  EXPECT_EQ(store->get_run("r1")->state, RunState::Queued);
  // And the database is writable again.
  EXPECT_TRUE(store->transition_run("r1", {RunState::Queued}, RunState::Running, kNow * 1000));
}

TEST_P(StoreBackendTest, StepsAndInterruptionAfterCrash) {
  auto store = open();
  ASSERT_TRUE(store->create_run(make_run("r1", "k1")));
  StepRecord s;
  s.run_id = "r1";
  s.skill = "pod-crashloop";
  s.step = "restart";
  s.seq = 1;
  s.argv = {"kubectl", "rollout", "restart", "deployment/api"};
  s.argv_hash = "h1";
  s.mutating = true;
  store->create_step(s);
  EXPECT_TRUE(store->transition_step(s.id, {StepState::Pending}, StepState::Running, kNow));
  EXPECT_FALSE(store->transition_step(s.id, {StepState::Pending}, StepState::Running, kNow));
  const auto interrupted = store->interrupt_running_steps(kNow + 5);
  ASSERT_EQ(interrupted.size(), 1u);
  const auto step = store->get_step(s.id);
  EXPECT_EQ(step->state, StepState::Interrupted);
  EXPECT_EQ(step->argv, s.argv);
  EXPECT_TRUE(step->mutating);
  // A stale writer's finish never overwrites what another concluded: interrupted stays interrupted.
  EXPECT_FALSE(store->finish_step(s.id, StepState::Succeeded, 0, std::nullopt, "restarted", false, "", kNow + 9));
  EXPECT_EQ(store->get_step(s.id)->state, StepState::Interrupted);
  EXPECT_EQ(store->get_step(s.id)->output, "");
}

TEST_P(StoreBackendTest, ProcessedEventsPrunedByTtl) {
  auto store = open();
  EXPECT_TRUE(store->mark_event_processed("a", "events_api", kNow));
  EXPECT_TRUE(store->mark_event_processed("b", "events_api", kNow + 700));
  EXPECT_EQ(store->prune_processed_events(kNow + 600), 1);
  EXPECT_TRUE(store->mark_event_processed("a", "events_api", kNow + 800));
  EXPECT_FALSE(store->mark_event_processed("b", "events_api", kNow + 800));
}

TEST_P(StoreBackendTest, IncidentsByFingerprint) {
  auto store = open();
  IncidentRecord i;
  i.id = "inc1";
  i.title = "HighErrorRate";
  i.source = "alertmanager";
  i.fingerprint = "fp1";
  i.created_at = kNow;
  ASSERT_TRUE(store->create_incident(i));
  EXPECT_EQ(store->find_open_incident_by_fingerprint("alertmanager", "fp1")->id, "inc1");
  EXPECT_EQ(store->bump_incident_alert_count("inc1"), 1);
  EXPECT_EQ(store->bump_incident_alert_count("inc1"), 2);
  EXPECT_TRUE(store->resolve_incident("inc1", kNow + 60));
  EXPECT_FALSE(store->resolve_incident("inc1", kNow + 61));
  EXPECT_FALSE(store->find_open_incident_by_fingerprint("alertmanager", "fp1"));
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_P(StoreBackendTest, PauseResumeAndRecentStates) {
  auto store = open();
  ASSERT_TRUE(store);
  auto& s = *store;
  EXPECT_FALSE(s.get_auto_triage_pause("backend:codex"));
  s.pause_auto_triage({"backend:codex", kNow, kNow + 3600, "3 consecutive failures", "", std::nullopt});
  auto p = s.get_auto_triage_pause("backend:codex");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->active(kNow + 10));
  EXPECT_FALSE(p->active(kNow + 3600));
  EXPECT_TRUE(s.resume_auto_triage("backend:codex", "U1", kNow + 20));
  EXPECT_FALSE(s.resume_auto_triage("backend:codex", "U1", kNow + 21));
  EXPECT_FALSE(s.get_auto_triage_pause("backend:codex")->active(kNow + 30));

  for (int i = 0; i < 4; ++i) {
    RunRecord r = make_run("r" + std::to_string(i), "k" + std::to_string(i));
    r.backend = "codex";
    ASSERT_TRUE(s.create_run(r));
    ASSERT_TRUE(s.transition_run(r.id, {RunState::Queued}, RunState::Running, (kNow + i) * 1000));
    ASSERT_TRUE(s.transition_run(r.id, {RunState::Running}, i == 0 ? RunState::Succeeded : RunState::Failed,
                                 (kNow + 100 + i) * 1000));
  }
  const auto runs = s.recent_finished_runs("codex", "", kNow, 3);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, "r3") << "newest first";
  for (const auto& r : runs) {
    EXPECT_EQ(r.state, RunState::Failed);
  }
  EXPECT_EQ(s.recent_finished_runs("codex", "", kNow + 102, 10).size(), 1u);
  EXPECT_TRUE(s.recent_finished_runs("runbook", "", kNow, 3).empty());
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_P(StoreBackendTest, WebhookDeliveriesAreStoredAndMarkedOnce) {
  auto store = open();
  ASSERT_TRUE(store);
  auto& s = *store;
  const auto id = s.record_webhook_delivery("grafana", 1700000000, "{\"a\":1}");
  EXPECT_GT(id, 0);
  auto all = s.list_webhook_deliveries();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].source, "grafana");
  EXPECT_EQ(all[0].body, "{\"a\":1}");
  EXPECT_EQ(all[0].status, "received");
  EXPECT_TRUE(s.mark_webhook_processed(id, "processed", 1700000001));
  EXPECT_FALSE(s.mark_webhook_processed(id, "failed", 1700000002));
  EXPECT_EQ(s.list_webhook_deliveries()[0].status, "processed");
  EXPECT_TRUE(s.count_runs_by_state().empty());
}

}  // namespace
}  // namespace vigil
