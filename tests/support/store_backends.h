#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_paths.h"

namespace vigil::test {

/// One Store backend for a test suite run on both (INSTANTIATE with kStoreBackends): a SQLite file
/// in a temporary folder, or a new database on this process's real PostgreSQL server.
class StoreBackend {
 public:
  /// "sqlite" or "postgresql"; false (and `why`) when PostgreSQL cannot be started here.
  bool start(const std::string& backend, std::string* why);
  /// A Store on this backend, migrated up to `version`.
  Result<std::unique_ptr<Store>> open(int version = Store::kSchemaVersion) const;
  /// Points at a new, empty database (or file) of the same backend.
  void start_over();
  /// SQL straight to the database, behind the Store's back.
  void exec(const std::string& sql) const;
  /// The first column of the first row, as text.
  std::string query(const std::string& sql) const;
  /// What `vigil serve` is given to use this database: its environment (VIGIL_POSTGRES_DSN, or
  /// VIGIL_DB naming the SQLite file).
  std::string environment() const;

 private:
  TempDir dir_;
  int databases_ = 0;
  std::string path_;
  PostgresServer* server_ = nullptr;
  std::string dsn_;
};

inline const auto kStoreBackends = ::testing::Values(std::string("sqlite"), std::string("postgresql"));
inline std::string store_backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace vigil::test
