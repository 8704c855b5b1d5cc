// The SQLite connection keeps prepared statements for their next use: a statement taken again
// starts with no parameters bound and no row, two uses at once get two statements, and an error
// is said and leaves the statement usable.
#include "bot/store/sql_sqlite.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::sql {
namespace {

std::unique_ptr<Connection> open_in(const test::TempDir& dir) {
  auto db = std::make_unique<SQLite::Database>((dir / "t.db").string(),
                                               SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
  auto c = sqlite_connection(std::move(db));
  c->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");
  return c;
}

const std::string kInsert = "INSERT INTO t (k, v) VALUES (?, ?)";

// One use of the kept INSERT: the rows it changed.
long long insert(Connection& c, const std::string& key, int value) {
  Statement s(c, kInsert);
  s.bind(1, key);
  s.bind(2, value);
  return s.exec();
}

TEST(SqliteConnection, AStatementUsedAgainStartsWithNoParametersAndNoRow) {
  test::TempDir dir;
  auto c = open_in(dir);
  EXPECT_EQ(insert(*c, "a", 1), 1);
  {
    Statement s(*c, kInsert);  // the kept statement: the old "a" and 1 are not bound any more
    s.bind(1, "b");
    EXPECT_EQ(s.exec(), 1);
  }
  Statement q(*c, "SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column(0).as_text(), "a");
  EXPECT_EQ(q.column(1).as_int(), 1);
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column(0).as_text(), "b");
  EXPECT_TRUE(q.column(1).is_null()) << "a parameter of the statement's last use leaked into this one";
  EXPECT_FALSE(q.step());
}

TEST(SqliteConnection, TwoCursorsOfOneStatementAtOnceAreIndependent) {
  test::TempDir dir;
  auto c = open_in(dir);
  c->exec("INSERT INTO t VALUES ('a', 1), ('b', 2)");
  const std::string select = "SELECT v FROM t WHERE k = ?";
  Statement first(*c, select);
  first.bind(1, "a");
  Statement second(*c, select);
  second.bind(1, "b");
  ASSERT_TRUE(first.step());
  ASSERT_TRUE(second.step());
  EXPECT_EQ(first.column(0).as_int(), 1);
  EXPECT_EQ(second.column(0).as_int(), 2);
}

TEST(SqliteConnection, AConstraintErrorIsSaidAndTheStatementStillWorks) {
  test::TempDir dir;
  auto c = open_in(dir);
  insert(*c, "a", 1);
  try {
    insert(*c, "a", 2);
    FAIL() << "a duplicate key was inserted";
  } catch (const Error& e) {
    EXPECT_TRUE(e.constraint());
    EXPECT_NE(std::string(e.what()).find("UNIQUE constraint failed: t.k"), std::string::npos) << e.what();
  }
  EXPECT_EQ(insert(*c, "c", 3), 1);
  EXPECT_EQ(query_int64(*c, "SELECT COUNT(*) FROM t"), 2);
}

TEST(SqliteConnection, ABadStatementIsAnErrorNamingIt) {
  test::TempDir dir;
  auto c = open_in(dir);
  try {
    Statement s(*c, "SELECT nope FROM t");
    FAIL() << "prepared";
  } catch (const Error& e) {
    EXPECT_FALSE(e.constraint());
    EXPECT_NE(std::string(e.what()).find("no such column: nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vigil::sql
