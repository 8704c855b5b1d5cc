// storage.postgres_dsn*: which database the Store uses, and the DSN's password kept a secret.
#include <algorithm>

#include <gtest/gtest.h>

#include "bot/core/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

TEST(ConfigStorage, SqliteUnlessADsnIsSet) {
  const auto load = load_config_text("", "d.yaml", {});
  ASSERT_TRUE(load.ok());
  EXPECT_FALSE(load.config.storage.postgres());

  const auto from_env = load_config_text("", "d.yaml", {{"VIGIL_POSTGRES_DSN", "postgres://vigil:pw1@db/vigil"}});
  ASSERT_TRUE(from_env.ok());
  EXPECT_TRUE(from_env.config.storage.postgres());
  EXPECT_EQ(from_env.config.storage.postgres_dsn, "postgres://vigil:pw1@db/vigil");
  // The DSN and its password are secrets: the redactor masks both, config show prints neither.
  const auto secrets = from_env.config.secret_values();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "pw1"), secrets.end());
  const auto shown = render_config(from_env.config);
  EXPECT_NE(shown.find("postgres_dsn: postgres://vigil:***@db/vigil"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("pw1"), std::string::npos) << shown;
}

TEST(ConfigStorage, APasswordInTheFileIsRefusedAtItsLine) {
  const auto load = load_config_text("storage:\n  postgres_dsn: postgres://vigil:hunter2@db/vigil\n", "s.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].to_string(),
            "s.yaml:2:17: storage.postgres_dsn: this DSN holds a password, and secrets are not read from the "
            "configuration file; set VIGIL_POSTGRES_DSN or storage.postgres_dsn_file");
  const auto without =
      load_config_text("storage:\n  postgres_dsn: host=db dbname=vigil sslmode=verify-full\n", "s.yaml", {});
  ASSERT_TRUE(without.ok()) << without.errors[0].to_string();
  EXPECT_EQ(without.config.storage.postgres_dsn, "host=db dbname=vigil sslmode=verify-full");
}

TEST(ConfigStorage, TheDsnFileIsRead) {
  test::TempDir dir;
  test::write_file(dir / "dsn", "postgres://vigil:from-file@db/vigil\n");
  const auto load = load_config_text("storage:\n  postgres_dsn_file: " + (dir / "dsn").string() + "\n",
                                     (dir / "c.yaml").string(), {});
  ASSERT_TRUE(load.ok()) << load.errors[0].to_string();
  EXPECT_EQ(load.config.storage.postgres_dsn, "postgres://vigil:from-file@db/vigil");
  const auto missing = load_config_text("storage:\n  postgres_dsn_file: /nonexistent/dsn\n", "c.yaml", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.errors[0].to_string().find("cannot read secret file /nonexistent/dsn"), std::string::npos);
}

}  // namespace
}  // namespace vigil
