#include "bot/core/workspace_retention.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
constexpr long long kDay = 86400;
constexpr long long kNow = 1'800'000'000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
  }
  std::string run(int n, RunState state, long long finished_at, std::size_t bytes) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
    RunRecord r;
    r.id = id;
    r.trigger_kind = "cli";
    r.trigger_key = r.id;
    r.backend = "codex";
    r.created_at = finished_at - 10;
    EXPECT_TRUE(store_->create_run(r));
    if (state != RunState::Queued) {
      EXPECT_TRUE(store_->transition_run(r.id, {RunState::Queued}, RunState::Running, (finished_at - 5) * 1000));
      if (state != RunState::Running) {
        EXPECT_TRUE(store_->transition_run(r.id, {RunState::Running}, state, finished_at * 1000));
      }
    }
    test::write_file(dir_ / "ws" / r.id / "agent.log", std::string(bytes, 'x'));
    return r.id;
  }
  test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(RetentionTest, SucceededAfterNDaysFailedAfterMDaysActiveNever) {
  const auto old_ok = run(1, RunState::Succeeded, kNow - 8 * kDay, 10);
  const auto new_ok = run(2, RunState::Succeeded, kNow - 1 * kDay, 10);
  const auto old_failed = run(3, RunState::Failed, kNow - 8 * kDay, 10);
  const auto ancient_failed = run(4, RunState::TimedOut, kNow - 31 * kDay, 10);
  const auto running = run(5, RunState::Running, kNow - 60 * kDay, 10);
  fs::create_directories(dir_ / "ws" / "not-a-run");
  RetentionConfig policy{7, 30, 1LL << 30};
  const auto report = prune_workspaces(dir_ / "ws", *store_, policy, kNow);
  EXPECT_FALSE(fs::exists(dir_ / "ws" / old_ok));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / new_ok));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / old_failed));  // failed runs are kept longer
  EXPECT_FALSE(fs::exists(dir_ / "ws" / ancient_failed));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / running));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / "not-a-run"));
  EXPECT_EQ(report.deleted, 2);
  EXPECT_EQ(report.bytes_before, 50u);
  EXPECT_EQ(report.bytes_after, 30u);
}

TEST_F(RetentionTest, SizeCapRemovesOldestFinishedFirst) {
  const auto a = run(1, RunState::Succeeded, kNow - 3 * kDay, 1000);
  const auto b = run(2, RunState::Failed, kNow - 2 * kDay, 1000);
  const auto c = run(3, RunState::Succeeded, kNow - 1 * kDay, 1000);
  const auto active = run(4, RunState::Running, kNow - 5 * kDay, 1000);
  RetentionConfig policy{7, 30, 2500};
  const auto report = prune_workspaces(dir_ / "ws", *store_, policy, kNow);
  EXPECT_FALSE(fs::exists(dir_ / "ws" / a));
  EXPECT_FALSE(fs::exists(dir_ / "ws" / b));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / c));
  EXPECT_TRUE(fs::exists(dir_ / "ws" / active));
  EXPECT_EQ(report.bytes_after, 2000u);
}

TEST_F(RetentionTest, SymlinkedWorkspaceIsNotFollowed) {
  test::TempDir precious;
  test::write_file(precious / "keep.txt", "important");
  fs::create_directories(dir_ / "ws");
  fs::create_directory_symlink(precious.path(), dir_ / "ws" / "00000000-0000-4000-8000-000000000009");
  prune_workspaces(dir_ / "ws", *store_, RetentionConfig{0, 0, 0}, kNow);
  EXPECT_TRUE(fs::exists(precious / "keep.txt"));
}

}  // namespace
}  // namespace vigil
