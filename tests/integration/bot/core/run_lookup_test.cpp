// Finding the run a person named, against a real SQLite file.
#include "bot/core/run_lookup.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

class RunLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
  }
  void add(const std::string& id) {
    RunRecord r;
    r.id = id;
    r.trigger_kind = "slash_command";
    r.trigger_key = "k-" + id;
    r.requester = "U1";
    r.backend = "runbook";
    r.created_at = 1'800'000'000;
    ASSERT_TRUE(store_->create_run(r));
  }
  test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(RunLookupTest, AFullIdOrAPrefixOnlyOneRunHas) {
  add("abcd0001-0000-4000-8000-000000000001");
  add("abcd0002-0000-4000-8000-000000000002");
  const auto full = find_run(*store_, "abcd0002-0000-4000-8000-000000000002");
  ASSERT_TRUE(std::holds_alternative<RunRecord>(full));
  EXPECT_EQ(std::get<RunRecord>(full).id, "abcd0002-0000-4000-8000-000000000002");
  const auto prefix = find_run(*store_, "abcd0001");
  ASSERT_TRUE(std::holds_alternative<RunRecord>(prefix));
  EXPECT_EQ(std::get<RunRecord>(prefix).id, "abcd0001-0000-4000-8000-000000000001");
}

TEST_F(RunLookupTest, APrefixOfTwoRunsIsAmbiguousAndAnUnknownOneNotFound) {
  add("abcd0001-0000-4000-8000-000000000001");
  add("abcd0002-0000-4000-8000-000000000002");
  EXPECT_EQ(std::get<RunLookupFailure>(find_run(*store_, "abcd")), RunLookupFailure::Ambiguous);
  EXPECT_EQ(std::get<RunLookupFailure>(find_run(*store_, "ffff")), RunLookupFailure::NotFound);
}

}  // namespace
}  // namespace vigil
