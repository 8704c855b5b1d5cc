#include "bot/store/sql_dialect.h"

#include <gtest/gtest.h>

namespace vigil::sql {
namespace {

TEST(SqlDialect, ParametersAreNumberedAsSqliteNumbersThem) {
  int highest = 0;
  EXPECT_EQ(numbered_parameters("SELECT a FROM t WHERE b=? AND c=?", &highest), "SELECT a FROM t WHERE b=$1 AND c=$2");
  EXPECT_EQ(highest, 2);
  EXPECT_EQ(numbered_parameters("DELETE FROM t WHERE x < ?1 LIMIT ?2", &highest),
            "DELETE FROM t WHERE x < $1 LIMIT $2");
  EXPECT_EQ(numbered_parameters("SELECT ?2, ?, ?1", &highest), "SELECT $2, $3, $1") << "a bare ? follows the highest";
  EXPECT_EQ(highest, 3);
  EXPECT_EQ(numbered_parameters("SELECT '?' || \"a?b\" FROM t WHERE x=? AND y='it''s ?'", &highest),
            "SELECT '?' || \"a?b\" FROM t WHERE x=$1 AND y='it''s ?'");
  EXPECT_EQ(highest, 1);
  EXPECT_EQ(numbered_parameters("SELECT 1", &highest), "SELECT 1");
  EXPECT_EQ(highest, 0);
}

TEST(SqlDialect, TheSchemaIsTranslatedWordByWord) {
  EXPECT_EQ(postgres_schema("CREATE TABLE e (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  at_ms INTEGER NOT NULL,\n"
                            "  cost REAL\n);"),
            "CREATE TABLE e (\n  id BIGSERIAL PRIMARY KEY,\n  at_ms BIGINT NOT NULL,\n  cost DOUBLE PRECISION\n);");
  // No integer key: the insertion order SQLite keeps in rowid becomes a column.
  EXPECT_EQ(postgres_schema("CREATE TABLE v (token TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (token, user));"),
            "CREATE TABLE v (rowid BIGSERIAL NOT NULL, token TEXT NOT NULL, \"user\" TEXT NOT NULL, PRIMARY KEY "
            "(token, \"user\"));");
  EXPECT_EQ(postgres_schema("CREATE TABLE IF NOT EXISTS s (version INTEGER PRIMARY KEY, applied_at INTEGER)"),
            "CREATE TABLE IF NOT EXISTS s (version BIGINT PRIMARY KEY, applied_at BIGINT)");
  // Words inside literals and longer words are left alone; so are indexes and ALTERs' own words.
  EXPECT_EQ(postgres_schema("ALTER TABLE a ADD COLUMN users_REAL TEXT NOT NULL DEFAULT 'INTEGER user';"),
            "ALTER TABLE a ADD COLUMN users_REAL TEXT NOT NULL DEFAULT 'INTEGER user';");
  EXPECT_EQ(postgres_schema("ALTER TABLE a ADD COLUMN n INTEGER NOT NULL DEFAULT 1;\nCREATE INDEX a_n ON a(n);"),
            "ALTER TABLE a ADD COLUMN n BIGINT NOT NULL DEFAULT 1;\nCREATE INDEX a_n ON a(n);");
}

TEST(SqlDialect, ADsnIsShownWithoutItsPassword) {
  EXPECT_EQ(redacted_dsn("postgres://vigil:s3cret@db.internal:5432/vigil?sslmode=require"),
            "postgres://vigil:***@db.internal:5432/vigil?sslmode=require");
  EXPECT_EQ(redacted_dsn("postgresql://vigil:p%40ss@db/vigil"), "postgresql://vigil:***@db/vigil");
  EXPECT_EQ(redacted_dsn("postgres://db/vigil?user=vigil&password=s3cret&sslmode=verify-full"),
            "postgres://db/vigil?user=vigil&password=***&sslmode=verify-full");
  EXPECT_EQ(redacted_dsn("postgres://vigil@db/vigil"), "postgres://vigil@db/vigil");
  EXPECT_EQ(redacted_dsn("host=db user=vigil password=s3cret dbname=vigil"),
            "host=db user=vigil password=*** dbname=vigil");
  EXPECT_EQ(redacted_dsn("host=db password = 'it\\'s secret' dbname=vigil"), "host=db password = *** dbname=vigil");
  // The redactor is given the password itself too.
  EXPECT_EQ(dsn_password("postgres://vigil:s3cret@db/vigil"), "s3cret");
  EXPECT_EQ(dsn_password("host=db password='two words' dbname=vigil"), "two words");
  EXPECT_EQ(dsn_password("postgres://vigil@db/vigil"), "");
}

}  // namespace
}  // namespace vigil::sql
