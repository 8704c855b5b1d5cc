// What only the PostgreSQL backend does: one `vigil serve` per database, a server that restarts,
// several processes migrating at once, and a DSN's password kept out of every error. The rest of
// the Store's behaviour is the shared suite (store_test.cpp, StoreBackendTest) run on both.
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "bot/store/sql.h"
#include "bot/store/store.h"
#include "tests/support/peer_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

class StorePostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    server_ = test::PostgresServer::shared(&why);
    if (server_ == nullptr) {
      GTEST_SKIP() << why;
    }
    dsn_ = server_->create_database();
  }
  std::unique_ptr<Store> open() {
    auto s = Store::open_postgres(dsn_);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  test::PostgresServer* server_ = nullptr;
  std::string dsn_;
};

RunRecord queued_run(const std::string& id) {
  RunRecord r;
  r.id = id;
  r.trigger_kind = "slash_command";
  r.trigger_key = "key-" + id;
  r.backend = "runbook";
  r.created_at = 1'800'000'000;
  return r;
}

TEST_F(StorePostgres, OneServeAtATimeAndTheRefusalNamesTheHolder) {
  auto first = open();
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->hold_single_writer_lock());
  EXPECT_EQ(first->backend(), "postgresql");

  auto second = open();
  ASSERT_TRUE(second) << "reading is never refused";
  const auto refused = second->hold_single_writer_lock();
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(Errc::Conflict));
  EXPECT_NE(refused.error().detail.find("another Vigil leads on this PostgreSQL database: 'vigil pid=" +
                                        std::to_string(::getpid()) + "' (connected from 127.0.0.1)"),
            std::string::npos)
      << refused.error().detail;

  first.reset();  // the holder went away: its session ends (the server notices a moment later)
  EXPECT_TRUE(test::eventually([&] { return static_cast<bool>(second->hold_single_writer_lock()); }));
}

// The server restarts under a live Store: the statement in flight fails (and says so); the next
// one reconnects, and the session lock comes back with the connection.
TEST_F(StorePostgres, AServerRestartCostsOneStatementNotTheProcess) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->hold_single_writer_lock());
  ASSERT_TRUE(store->create_run(queued_run("r1")));
  ASSERT_TRUE(server_->restart());

  bool failed_once = false;
  try {
    store->get_run("r1");
  } catch (const sql::Error& e) {
    failed_once = true;
    EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(failed_once) << "the lost connection is reported, not hidden";
  const auto run = store->get_run("r1");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->state, RunState::Queued);
  EXPECT_TRUE(store->transition_run("r1", {RunState::Queued}, RunState::Running, 1'800'000'001'000));

  auto other = open();
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->hold_single_writer_lock()) << "the reconnected session holds the lock again";
}

// Replicas start together on a new database: the migrations run once, one process after another.
TEST_F(StorePostgres, ProcessesStartingTogetherMigrateOnce) {
  constexpr int kStarters = 4;
  std::vector<std::thread> starters;
  std::vector<int> versions(kStarters, -1);
  std::vector<std::string> errors(kStarters);
  for (int i = 0; i < kStarters; ++i) {
    starters.emplace_back([&, i] {
      auto store = Store::open_postgres(dsn_);
      if (!store) {
        errors[static_cast<std::size_t>(i)] = store.error().message();
        return;
      }
      versions[static_cast<std::size_t>(i)] = (*store)->schema_version();
    });
  }
  for (auto& t : starters) {
    t.join();
  }
  for (int i = 0; i < kStarters; ++i) {
    EXPECT_EQ(versions[static_cast<std::size_t>(i)], Store::kSchemaVersion) << errors[static_cast<std::size_t>(i)];
  }
  EXPECT_EQ(server_->query(dsn_, "SELECT COUNT(*) FROM schema_version"), std::to_string(Store::kSchemaVersion));
}

TEST_F(StorePostgres, AnUnreachableServerIsAnErrorWithoutThePassword) {
  const auto port = test::free_loopback_port();
  const auto store =
      Store::open_postgres("postgres://vigil:s3cr3t-pw@127.0.0.1:" + std::to_string(port) + "/vigil?connect_timeout=2");
  ASSERT_FALSE(store);
  EXPECT_TRUE(store.error().is(Errc::Io));
  EXPECT_NE(store.error().detail.find("cannot connect to PostgreSQL at postgres://vigil:***@127.0.0.1:"),
            std::string::npos)
      << store.error().detail;
  EXPECT_EQ(store.error().detail.find("s3cr3t-pw"), std::string::npos) << store.error().detail;
}

// Text PostgreSQL would refuse (NUL, broken UTF-8: a tool's output can hold both) is stored with
// U+FFFD in their place, never refused, so nothing a run recorded is lost.
TEST_F(StorePostgres, TextPostgresRefusesIsStoredReplaced) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create_run(queued_run("r1")));
  const std::string raw("exit\0code \xff\xfe 1", 14);
  store->append_event({0, "r1", 1, "step", "system", raw, ""});
  const auto events = store->list_events("r1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].text,
            "exit\xEF\xBF\xBD"
            "code \xEF\xBF\xBD\xEF\xBF\xBD 1");
}

// `vigil runs list` and the other read-back commands: never migrate, never write.
TEST_F(StorePostgres, ReadOnlyNeverMigratesOrWrites) {
  const auto empty = Store::open_postgres(dsn_, StoreOpenMode::ReadOnly);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().detail.find("is not a Vigil database"), std::string::npos) << empty.error().detail;
  EXPECT_EQ(empty.error().detail.find("password"), std::string::npos);
  { ASSERT_TRUE(Store::open_postgres(dsn_, StoreOpenMode::CreateIfMissing, 2)); }
  const auto older = Store::open_postgres(dsn_, StoreOpenMode::ReadOnly);
  ASSERT_FALSE(older);
  EXPECT_NE(older.error().detail.find("has schema version 2"), std::string::npos) << older.error().detail;
  EXPECT_EQ(server_->query(dsn_, "SELECT MAX(version) FROM schema_version"), "2") << "not migrated";
  { ASSERT_TRUE(open()); }
  const auto current = Store::open_postgres(dsn_, StoreOpenMode::ReadOnly);
  ASSERT_TRUE(current) << current.error().detail;
  EXPECT_TRUE((*current)->list_runs(10).empty());
  EXPECT_FALSE((*current)->is_writable());
}

}  // namespace
}  // namespace vigil
