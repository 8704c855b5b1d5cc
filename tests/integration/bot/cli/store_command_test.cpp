// `vigil store migrate --to postgres://…`, the real binary against a real PostgreSQL server.
#include <filesystem>

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/peer_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;

constexpr long long kAt = 1'800'000'000;

// A little of everything the Store keeps, written through the Store as `vigil serve` would.
void fill(Store& s) {
  IncidentRecord incident;
  incident.id = "inc-1";
  incident.title = "HighErrorRate on checkout";
  incident.created_at = kAt;
  ASSERT_TRUE(s.create_incident(incident));
  s.append_incident_event({0, "inc-1", kAt * 1000, "declared", "U1", "declared by U1"});
  RunRecord run;
  run.id = "run-1";
  run.incident_id = "inc-1";
  run.trigger_kind = "slash_command";
  run.trigger_key = "slack:cmd:1";
  run.backend = "runbook";
  run.skill = "pod-crashloop";
  run.created_at = kAt;
  ASSERT_TRUE(s.create_run(run));
  ASSERT_TRUE(s.transition_run("run-1", {RunState::Queued}, RunState::Running, kAt * 1000 + 10));
  s.append_event({0, "run-1", kAt * 1000 + 20, "finding", "system", "pod api-7 OOMKilled", ""});
  StepRecord step;
  step.run_id = "run-1";
  step.step = "restart";
  step.seq = 1;
  step.argv = {"kubectl", "rollout", "restart", "deployment/api"};
  step.mutating = true;
  s.create_step(step);
  ApprovalRecord approval;
  approval.token = "tok-1";
  approval.run_id = "run-1";
  approval.step_id = step.id;
  approval.argv_hash = "h";
  approval.created_at = kAt;
  approval.expires_at = kAt + 1800;
  approval.required_approvals = 2;
  ASSERT_TRUE(s.create_approval(approval));
  s.add_approval_vote("tok-1", "U2", kAt + 5);
  s.add_approval_vote("tok-1", "U3", kAt + 6);
  s.append_audit({0, kAt * 1000, "U2", "approval.vote", "run-1", "tok-1", ""});
  s.record_webhook_delivery("alertmanager", kAt, "{}");
  s.mark_event_processed("Ev1", "events_api", kAt);
}

TEST(StoreMigrateCli, CopiesEverythingIntoAnEmptyPostgresOnce) {
  std::string why;
  auto* server = test::PostgresServer::shared(&why);
  if (server == nullptr) {
    GTEST_SKIP() << why;
  }
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  {
    auto source = Store::open(db);
    ASSERT_TRUE(source);
    fill(**source);
  }
  const auto dsn = server->create_database();
  const auto r = run_process({vigil_binary().string(), "store", "migrate", "--to", dsn}, {{"VIGIL_DB", db}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  runs: 1\n  run_events: 3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  approval_votes: 2\n"), std::string::npos) << r.out;
  // 1 incident + its event, 1 run + 3 timeline rows, 1 step, 1 approval + 2 votes, 1 audit row,
  // 1 processed event id, 1 webhook delivery.
  EXPECT_NE(r.out.find("copied 13 rows from " + db + " into " + dsn), std::string::npos) << r.out;

  auto copy = Store::open_postgres(dsn);
  ASSERT_TRUE(copy) << copy.error().message();
  auto& pg = **copy;
  const auto run = pg.get_run("run-1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Running);
  EXPECT_EQ(run->incident_id, "inc-1");
  const auto events = pg.list_events("run-1");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].text, "pod api-7 OOMKilled");
  const auto steps = pg.list_steps("run-1");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].argv, (std::vector<std::string>{"kubectl", "rollout", "restart", "deployment/api"}));
  const auto approval = pg.get_approval("tok-1");
  ASSERT_TRUE(approval);
  EXPECT_EQ(approval->step_id, steps[0].id) << "ids are kept, so references still hold";
  EXPECT_EQ(pg.approval_voters("tok-1"), (std::vector<std::string>{"U2", "U3"}));
  EXPECT_FALSE(pg.mark_event_processed("Ev1", "events_api", kAt + 1)) << "a redelivery is still a repeat";
  // New rows get new ids: the sequences moved past the copied ones.
  const auto next = pg.append_event({0, "run-1", kAt * 1000 + 30, "note", "system", "after the move", ""});
  EXPECT_GT(next, events[2].id);

  const auto again = run_process({vigil_binary().string(), "store", "migrate", "--to", dsn}, {{"VIGIL_DB", db}});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("the destination already holds runs; copy into an empty database"), std::string::npos)
      << again.err;
  EXPECT_EQ(pg.list_events("run-1").size(), 4u) << "nothing was added twice";
}

TEST(StoreMigrateCli, APasswordNeverReachesTheOutput) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  { ASSERT_TRUE(Store::open(db)); }
  const auto port = test::free_loopback_port();
  const std::string dsn = "postgres://vigil:hunter2-secret@127.0.0.1:" + std::to_string(port) + "/v?connect_timeout=2";
  // From the environment (the way to keep it off the command line), and from --to.
  const auto r =
      run_process({vigil_binary().string(), "store", "migrate"}, {{"VIGIL_DB", db}, {"VIGIL_POSTGRES_DSN", dsn}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL at postgres://vigil:***@127.0.0.1:"), std::string::npos) << r.err;
  const auto named = run_process({vigil_binary().string(), "store", "migrate", "--to", dsn}, {{"VIGIL_DB", db}});
  EXPECT_EQ(named.exit_code, 1);
  EXPECT_NE(named.err.find("cannot connect to PostgreSQL at postgres://vigil:***@127.0.0.1:"), std::string::npos)
      << named.err;
  EXPECT_EQ((r.out + r.err + named.out + named.err).find("hunter2-secret"), std::string::npos);
}

// The sandbox's demo data never goes into a PostgreSQL database (it may be the real one).
TEST(StoreMigrateCli, TheSandboxRefusesPostgres) {
  test::TempDir dir;
  const auto r = run_process({vigil_binary().string(), "serve", "--sandbox"},
                             {{"VIGIL_DB", (dir / "sandbox.db").string()},
                              {"VIGIL_POSTGRES_DSN", "postgres://vigil:pw-not-shown@127.0.0.1:1/vigil"},
                              {"VIGIL_SANDBOX_ADDR", "127.0.0.1:0"},
                              {"VIGIL_HTTP_ADDR", "127.0.0.1:0"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the sandbox keeps its demo data in a SQLite file of its own, never in PostgreSQL"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "sandbox.db"));
  EXPECT_EQ((r.out + r.err).find("pw-not-shown"), std::string::npos);
}

}  // namespace
}  // namespace vigil
