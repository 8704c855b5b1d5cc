#include "bot/store/sql_sqlite.h"

#include <sqlite3.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil::sql {
namespace {

constexpr int kSqliteConstraint = 19;  // SQLITE_CONSTRAINT, the primary result code

Error error_of(const SQLite::Exception& e) {
  return Error(e.what(), (e.getErrorCode() & 0xff) == kSqliteConstraint);
}

Error error_of(sqlite3* db, int rc) {
  return Error(std::string(sqlite3_errmsg(db)) + " (" + sqlite3_errstr(rc) + ")", (rc & 0xff) == kSqliteConstraint);
}

// Prepared statements kept for their next use: the Store runs the same few dozen statements over
// and over, and parsing one again costs more than running it (a fifth of a slash command's CPU in
// answer_burst_bench's profile). Each idle statement is reset with no parameters bound.
class StatementPool {
 public:
  explicit StatementPool(sqlite3* db) : db_(db) {}
  ~StatementPool() {
    for (auto& [sql, idle] : idle_) {
      for (auto* st : idle) {
        sqlite3_finalize(st);
      }
    }
  }
  StatementPool(const StatementPool&) = delete;
  StatementPool& operator=(const StatementPool&) = delete;

  sqlite3_stmt* take(const std::string& sql) {
    if (auto it = idle_.find(sql); it != idle_.end() && !it->second.empty()) {
      auto* st = it->second.back();
      it->second.pop_back();
      --idle_count_;
      return st;
    }
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st);
      throw error_of(db_, rc);
    }
    return st;
  }
  void give_back(const std::string& sql, sqlite3_stmt* st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (idle_count_ >= kMaxIdle) {
      sqlite3_finalize(st);
      return;
    }
    idle_[sql].push_back(st);
    ++idle_count_;
  }
  sqlite3* db() const { return db_; }

 private:
  static constexpr std::size_t kMaxIdle = 256;  // a bound for statements built at run time
  sqlite3* db_;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
  std::size_t idle_count_ = 0;
};

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(std::weak_ptr<StatementPool> pool, sqlite3* db, std::string sql, sqlite3_stmt* st)
      : pool_(std::move(pool)), db_(db), sql_(std::move(sql)), st_(st) {}
  ~SqliteCursor() override {
    if (auto pool = pool_.lock()) {
      pool->give_back(sql_, st_);
    } else {
      sqlite3_finalize(st_);
    }
  }
  SqliteCursor(const SqliteCursor&) = delete;
  SqliteCursor& operator=(const SqliteCursor&) = delete;

  void bind_null(int index) override { check(sqlite3_bind_null(st_, index)); }
  void bind_int64(int index, std::int64_t value) override { check(sqlite3_bind_int64(st_, index, value)); }
  void bind_double(int index, double value) override { check(sqlite3_bind_double(st_, index, value)); }
  void bind_text(int index, std::string_view value) override {
    check(sqlite3_bind_text64(st_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  bool step() override {
    const int rc = sqlite3_step(st_);
    if (!ran_) {
      ran_ = true;
      changes_ = sqlite3_changes64(db_);
    }
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    const auto error = error_of(db_, sqlite3_extended_errcode(db_));
    sqlite3_reset(st_);
    throw error;
  }
  long long changes() const override { return changes_; }
  bool is_null(int column) const override { return sqlite3_column_type(st_, column) == SQLITE_NULL; }
  std::int64_t int64(int column) const override { return sqlite3_column_int64(st_, column); }
  double real(int column) const override { return sqlite3_column_double(st_, column); }
  std::string text(int column) const override {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(st_, column));
    return bytes ? std::string(bytes, static_cast<std::size_t>(sqlite3_column_bytes(st_, column))) : std::string();
  }
  int column_count() const override { return sqlite3_column_count(st_); }
  std::string column_name(int column) const override {
    const char* name = sqlite3_column_name(st_, column);
    return name ? name : "";
  }
  void reset() override {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    ran_ = false;
    changes_ = 0;
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) {
      throw error_of(db_, rc);
    }
  }

  std::weak_ptr<StatementPool> pool_;
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* st_;
  bool ran_ = false;
  long long changes_ = 0;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(std::unique_ptr<SQLite::Database> db)
      : db_(std::move(db)), pool_(std::make_shared<StatementPool>(db_->getHandle())) {}
  // The kept statements are finalized before the database closes (a cursor must not outlive its
  // connection, as with any SQLite statement).
  ~SqliteConnection() override { pool_.reset(); }
  Dialect dialect() const override { return Dialect::SQLite; }
  std::unique_ptr<Cursor> prepare(const std::string& sql, bool /*keep*/) override {
    auto* st = pool_->take(sql);
    return std::make_unique<SqliteCursor>(pool_, db_->getHandle(), sql, st);
  }
  void exec(const std::string& script) override {
    try {
      db_->exec(script);
    } catch (const SQLite::Exception& e) {
      throw error_of(e);
    }
  }
  bool hold_session_lock(std::int64_t /*key*/) override { return true; }
  bool lost_session_lock() const override { return false; }
  bool table_exists(const std::string& name) override {
    try {
      return db_->tableExists(name);
    } catch (const SQLite::Exception& e) {
      throw error_of(e);
    }
  }

 private:
  std::unique_ptr<SQLite::Database> db_;
  std::shared_ptr<StatementPool> pool_;
};

}  // namespace

std::unique_ptr<Connection> sqlite_connection(std::unique_ptr<SQLite::Database> db) {
  return std::make_unique<SqliteConnection>(std::move(db));
}

}  // namespace vigil::sql
