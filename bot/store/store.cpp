// The Store's opening, pragmas and shared statement cache. Its sections live beside it:
// store_migrations.cpp (the schema), store_incidents.cpp, store_runs.cpp, store_triage_pauses.cpp,
// store_run_events.cpp (the timeline), store_steps.cpp, store_approvals.cpp, store_audit.cpp,
// store_webhooks.cpp and store_event_dedup.cpp (processed Slack event ids).
#include "bot/store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/base/redactor.h"
#include "bot/store/sql.h"
#include "bot/store/sql_dialect.h"
#include "bot/store/sql_postgres.h"
#include "bot/store/sql_sqlite.h"

namespace vigil {
namespace {

// A new database file is created here, 0600 whatever the umask, before SQLite opens it: SQLite
// then creates the -wal and -shm files with the database's own mode. An existing file is left as
// it is (Store::exposure_warning tells about a readable one).
Result<void> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return {};
    }
    return make_error(Errc::Io, "cannot create database " + path + ": " + std::strerror(errno));
  }
  const int changed = ::fchmod(fd, 0600);
  ::close(fd);
  if (changed != 0) {
    return make_error(Errc::Io, "cannot make database " + path + " private: " + std::strerror(errno));
  }
  return {};
}

Result<std::unique_ptr<SQLite::Database>> open_database(const std::string& path, StoreOpenMode mode) {
  const bool read_only = mode == StoreOpenMode::ReadOnly;
  int flags = (read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) | SQLite::OPEN_FULLMUTEX;
  if (mode == StoreOpenMode::CreateIfMissing) {
    flags |= SQLite::OPEN_CREATE;
    if (auto created = create_private_file(path); !created) {
      return created.error();
    }
  } else if (std::error_code ec; !std::filesystem::is_regular_file(path, ec)) {
    return make_error(Errc::NotFound, "no database at " + path);
  }
  try {
    auto db = std::make_unique<SQLite::Database>(path, flags);
    db->setBusyTimeout(5000);
    if (read_only) {
      return db;  // the journal mode is the writer's; nothing here changes the file
    }
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    return db;
  } catch (const SQLite::Exception& e) {
    return make_error(Errc::Io, "cannot open database " + path + ": " + e.what());
  }
}

// The key of the PostgreSQL advisory lock one `vigil serve` holds (any 64-bit number Vigil owns).
constexpr std::int64_t kSingleWriterLockKey = 0x5669'6769'6c00'0001;  // "Vigil" 1

}  // namespace

Store::Store(std::unique_ptr<sql::Connection> db) : db_(std::move(db)), redactor_(std::make_shared<const Redactor>()) {}
Store::~Store() = default;

void Store::set_redactor(std::shared_ptr<const Redactor> redactor) {
  if (redactor) {
    redactor_ = std::move(redactor);
  }
}

std::string Store::scrub(const std::string& text) const {
  if (text.empty()) {
    return text;
  }
  return redactor_->redact(text);
}

std::string Store::exposure_warning(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 0077) == 0) {
    return "";
  }
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "the database " + path + " has mode " + mode +
         ": its group or others can read what Vigil recorded; `chmod 600 " + path + "` (and its -wal and -shm files)";
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOpenMode mode) {
  return open_with(path, kSchemaVersion, mode);
}

Result<std::unique_ptr<Store>> Store::open_at_version(const std::string& path, int version) {
  return open_with(path, version, StoreOpenMode::CreateIfMissing);
}

Result<std::unique_ptr<Store>> Store::open_with(const std::string& path, int version, StoreOpenMode mode) {
  auto db = open_database(path, mode);
  if (!db) {
    return db.error();
  }
  std::unique_ptr<Store> store(new Store(sql::sqlite_connection(std::move(*db))));
  return prepare_opened(std::move(store), path, version, mode);
}

Result<std::unique_ptr<Store>> Store::open_postgres(const std::string& dsn, StoreOpenMode mode, int version) {
  auto connection = sql::postgres_connection(dsn);
  if (!connection) {
    return connection.error();
  }
  std::unique_ptr<Store> store(new Store(std::move(*connection)));
  if (mode == StoreOpenMode::ReadOnly) {
    try {
      store->db_->exec("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    } catch (const sql::Error& e) {
      return make_error(Errc::Io, std::string("cannot open PostgreSQL read-only: ") + e.what());
    }
  }
  return prepare_opened(std::move(store), sql::redacted_dsn(dsn), version, mode);
}

Result<std::unique_ptr<Store>> Store::prepare_opened(std::unique_ptr<Store> store, const std::string& where,
                                                     int version, StoreOpenMode mode) {
  if (mode == StoreOpenMode::ReadOnly) {
    if (auto r = store->check_readable(where); !r) {
      return r.error();
    }
    return store;
  }
  if (auto r = store->migrate(version); !r) {
    return r.error();
  }
  return store;
}

std::string Store::backend() const {
  return db_->dialect() == sql::Dialect::PostgreSQL ? "postgresql" : "sqlite";
}

Result<void> Store::hold_single_writer_lock() {
  if (db_->dialect() != sql::Dialect::PostgreSQL) {
    return {};
  }
  try {
    if (db_->hold_session_lock(kSingleWriterLockKey)) {
      return {};
    }
    sql::Statement holder(*db_,
                          "SELECT a.application_name, COALESCE(host(a.client_addr), 'a local socket') FROM pg_locks l "
                          "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                          "AND l.classid = ? AND l.objid = ? LIMIT 1");
    holder.bind(1, static_cast<std::int64_t>(static_cast<std::uint64_t>(kSingleWriterLockKey) >> 32));
    holder.bind(2, static_cast<std::int64_t>(kSingleWriterLockKey & 0xffffffff));
    std::string who = "another process";
    if (holder.step()) {
      who = "'" + holder.column(0).as_text() + "' (connected from " + holder.column(1).as_text() + ")";
    }
    return make_error(Errc::Conflict, "another Vigil leads on this PostgreSQL database: " + who);
  } catch (const sql::Error& e) {
    return make_error(Errc::Io, std::string("cannot take the PostgreSQL lock: ") + e.what());
  }
}

bool Store::lost_single_writer_lock() const {
  return db_->lost_session_lock();
}

int Store::schema_version() const {
  return static_cast<int>(sql::query_int64(*db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
}

Result<void> Store::check_readable(const std::string& path) const {
  try {
    const bool vigil = db_->table_exists("schema_version");
    const int current = vigil ? schema_version() : 0;
    if (!vigil || current == 0) {
      return make_error(Errc::InvalidConfig, path +
                                                 " is not a Vigil database (no schema version); check "
                                                 "storage.database");
    }
    if (current > kSchemaVersion) {
      return make_error(Errc::InvalidConfig, "the database was written by a newer Vigil (schema version " +
                                                 std::to_string(current) + ", this build knows up to " +
                                                 std::to_string(kSchemaVersion) +
                                                 "); upgrade Vigil or point storage.database at another file");
    }
    if (current < kSchemaVersion) {
      return make_error(Errc::InvalidConfig,
                        "the database " + path + " has schema version " + std::to_string(current) +
                            " and this Vigil reads version " + std::to_string(kSchemaVersion) +
                            "; commands that only read never upgrade it: `vigil serve` upgrades it when it "
                            "starts (back the file up first), or read it with the Vigil that wrote it");
    }
  } catch (const sql::Error& e) {
    return make_error(Errc::Io, "cannot read " + path + ": " + e.what());
  }
  return {};
}

// A write that touches nothing else: one row of its own table, created on first use.
bool Store::is_writable() {
  try {
    sql::Transaction tx(*db_);
    db_->exec("CREATE TABLE IF NOT EXISTS health_probe (id BIGINT PRIMARY KEY, at BIGINT)");
    sql::Statement q(*db_,
                     "INSERT INTO health_probe(id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at");
    q.bind(1, static_cast<std::int64_t>(std::time(nullptr)));
    q.exec();
    tx.commit();
    return true;
  } catch (const sql::Error&) {
    return false;
  }
}

// On SQLite every statement is kept by the connection now (sql_sqlite.cpp's StatementPool); what
// this adds is PostgreSQL's server-side prepare (`keep`) for the hottest statements.
sql::Statement& Store::prepared(const char* text) {
  auto& slot = prepared_[text];
  if (!slot) {
    slot = std::make_unique<sql::Statement>(db_->prepare(text, true));
  } else {
    slot->reset();
  }
  return *slot;
}

Store::Unit::Unit(std::unique_ptr<sql::Transaction> tx) : tx_(std::move(tx)) {}
Store::Unit::~Unit() = default;
Store::Unit::Unit(Unit&&) noexcept = default;

void Store::Unit::commit() {
  tx_->commit();
}

Store::Unit Store::unit() {
  return Unit(std::make_unique<sql::Transaction>(*db_));
}

}  // namespace vigil
