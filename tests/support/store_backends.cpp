#include "tests/support/store_backends.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil::test {

bool StoreBackend::start(const std::string& backend, std::string* why) {
  if (backend == "postgresql") {
    server_ = PostgresServer::shared(why);
    if (server_ == nullptr) {
      return false;
    }
  }
  start_over();
  return true;
}

void StoreBackend::start_over() {
  if (server_ != nullptr) {
    dsn_ = server_->create_database();
  } else {
    path_ = (dir_ / ("vigil" + std::to_string(++databases_) + ".db")).string();
  }
}

Result<std::unique_ptr<Store>> StoreBackend::open(int version) const {
  if (server_ != nullptr) {
    return Store::open_postgres(dsn_, StoreOpenMode::CreateIfMissing, version);
  }
  return Store::open_at_version(path_, version);
}

void StoreBackend::exec(const std::string& sql) const {
  if (server_ != nullptr) {
    server_->exec(dsn_, sql);
    return;
  }
  SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
  raw.exec(sql);
}

std::string StoreBackend::query(const std::string& sql) const {
  if (server_ != nullptr) {
    return server_->query(dsn_, sql);
  }
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  return raw.execAndGet(sql).getString();
}

std::string StoreBackend::environment() const {
  return server_ != nullptr ? "VIGIL_POSTGRES_DSN=" + dsn_ : "VIGIL_DB=" + path_;
}

}  // namespace vigil::test
