#include "bot/store/sql_sqlite.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil::sql {
namespace {

constexpr int kSqliteConstraint = 19;  // SQLITE_CONSTRAINT, the primary result code

Error error_of(const SQLite::Exception& e) {
  return Error(e.what(), (e.getErrorCode() & 0xff) == kSqliteConstraint);
}

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(SQLite::Database& db, const std::string& sql) try : db_(db), statement_(db, sql) {
  } catch (const SQLite::Exception& e) {
    throw error_of(e);
  }

  void bind_null(int index) override {
    guarded([&] { statement_.bind(index); });
  }
  void bind_int64(int index, std::int64_t value) override {
    guarded([&] { statement_.bind(index, value); });
  }
  void bind_double(int index, double value) override {
    guarded([&] { statement_.bind(index, value); });
  }
  void bind_text(int index, std::string_view value) override {
    guarded([&] { statement_.bind(index, std::string(value)); });
  }
  bool step() override {
    bool row = false;
    guarded([&] { row = statement_.executeStep(); });
    if (!ran_) {
      ran_ = true;
      changes_ = db_.getChanges();
    }
    return row;
  }
  long long changes() const override { return changes_; }
  bool is_null(int column) const override { return statement_.getColumn(column).isNull(); }
  std::int64_t int64(int column) const override { return statement_.getColumn(column).getInt64(); }
  double real(int column) const override { return statement_.getColumn(column).getDouble(); }
  std::string text(int column) const override { return statement_.getColumn(column).getString(); }
  int column_count() const override { return statement_.getColumnCount(); }
  std::string column_name(int column) const override { return statement_.getColumnName(column); }
  void reset() override {
    guarded([&] {
      statement_.reset();
      statement_.clearBindings();
    });
    ran_ = false;
    changes_ = 0;
  }

 private:
  template <class F>
  static void guarded(F&& f) {
    try {
      f();
    } catch (const SQLite::Exception& e) {
      throw error_of(e);
    }
  }

  SQLite::Database& db_;
  SQLite::Statement statement_;
  bool ran_ = false;
  long long changes_ = 0;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
  Dialect dialect() const override { return Dialect::SQLite; }
  std::unique_ptr<Cursor> prepare(const std::string& sql, bool /*keep*/) override {
    return std::make_unique<SqliteCursor>(*db_, sql);
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
};

}  // namespace

std::unique_ptr<Connection> sqlite_connection(std::unique_ptr<SQLite::Database> db) {
  return std::make_unique<SqliteConnection>(std::move(db));
}

}  // namespace vigil::sql
