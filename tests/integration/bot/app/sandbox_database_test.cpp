// The sandbox acts only on a database it created: it marks the one it creates, takes it back
// later, and refuses any other (a production vigil.db, a file that is no database).
#include "bot/app/sandbox_database.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

TEST(SandboxDatabaseUse, OnlyNoneOrAMarkedOne) {
  EXPECT_EQ(sandbox_database_use(false, false), SandboxDatabaseUse::Create);
  EXPECT_EQ(sandbox_database_use(true, true), SandboxDatabaseUse::Reuse);
  EXPECT_EQ(sandbox_database_use(true, false), SandboxDatabaseUse::Refuse);
}

TEST(SandboxDatabaseClaim, CreatesAMarkedDatabaseAndTakesItBack) {
  test::TempDir dir;
  const auto db = dir.path() / "state" / "vigil.db";
  ASSERT_TRUE(claim_sandbox_database(db));
  ASSERT_TRUE(fs::exists(db));
  EXPECT_EQ(fs::status(db).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // The Store opens it as any database, and the sandbox takes it again after that.
  {
    auto store = Store::open(db.string());
    ASSERT_TRUE(store) << store.error().detail;
  }
  EXPECT_TRUE(claim_sandbox_database(db));
}

TEST(SandboxDatabaseClaim, RefusesADatabaseItDidNotCreate) {
  test::TempDir dir;
  const auto db = dir.path() / "vigil.db";
  {
    auto store = Store::open(db.string());
    ASSERT_TRUE(store);
  }
  const auto claimed = claim_sandbox_database(db);
  ASSERT_FALSE(claimed);
  EXPECT_TRUE(claimed.error().is(Errc::InvalidConfig));
  EXPECT_EQ(claimed.error().detail, sandbox_database_refusal(db.string()));
  EXPECT_NE(claimed.error().detail.find("the sandbox did not create this database"), std::string::npos);

  const auto not_a_database = dir.path() / "notes.txt";
  test::write_file(not_a_database, "just some text, long enough to be more than a header of nothing\n");
  const auto refused = claim_sandbox_database(not_a_database);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("refusing to run the sandbox on " + not_a_database.string()), std::string::npos)
      << refused.error().detail;
  EXPECT_EQ(test::read_file(not_a_database), "just some text, long enough to be more than a header of nothing\n");
}

TEST(SandboxDatabaseClaim, AnEmptyFileOrMemoryIsNothingToProtect) {
  test::TempDir dir;
  const auto empty = dir.path() / "empty.db";
  test::write_file(empty, "");
  EXPECT_TRUE(claim_sandbox_database(empty));
  EXPECT_TRUE(claim_sandbox_database(empty)) << "marked now";
  EXPECT_TRUE(claim_sandbox_database(":memory:"));
}

}  // namespace
}  // namespace vigil
