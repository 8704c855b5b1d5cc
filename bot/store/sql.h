#pragma once

// The one port the Store talks to a database through: a connection that prepares statements and
// runs scripts, implemented for SQLite (sql_sqlite.cpp, the zero-configuration default) and for
// PostgreSQL (sql_postgres.cpp, several replicas sharing one database). The Store's SQL is written
// once, in the dialect both accept (`?` or `?N` parameters, ON CONFLICT, RETURNING); the
// PostgreSQL connection renumbers parameters and translates the schema (sql_dialect.h).

#include <concepts>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vigil::sql {

enum class Dialect { SQLite, PostgreSQL };

/// A database failure. `constraint()` when a UNIQUE, PRIMARY KEY, FOREIGN KEY or CHECK refused it.
class Error : public std::runtime_error {
 public:
  Error(const std::string& what, bool constraint = false) : std::runtime_error(what), constraint_(constraint) {}
  bool constraint() const { return constraint_; }

 private:
  bool constraint_;
};

/// One backend's prepared statement. Parameters count from 1, columns from 0. The first step()
/// runs it; each step() then moves to the next row (false past the last).
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void bind_null(int index) = 0;
  virtual void bind_int64(int index, std::int64_t value) = 0;
  virtual void bind_double(int index, double value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual bool step() = 0;
  /// Rows the statement inserted, updated or deleted (after it ran).
  virtual long long changes() const = 0;
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;
  virtual double real(int column) const = 0;
  virtual std::string text(int column) const = 0;
  /// The result's columns (after the first step()).
  virtual int column_count() const = 0;
  virtual std::string column_name(int column) const = 0;
  /// Ready to run again, with no parameters bound.
  virtual void reset() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  /// `keep`: the statement is run many times (the backend may prepare it once on the server).
  virtual std::unique_ptr<Cursor> prepare(const std::string& sql, bool keep) = 0;
  /// Runs statements that take no parameters and return no rows (schema, BEGIN, COMMIT).
  virtual void exec(const std::string& script) = 0;
  virtual bool table_exists(const std::string& name) = 0;
  /// Takes a lock held by this connection's session until it closes (PostgreSQL's advisory lock;
  /// taken again after a reconnect, and every later statement fails if another session took it
  /// meanwhile). False when another session holds it. SQLite: true (a file lock does this there).
  virtual bool hold_session_lock(std::int64_t key) = 0;
  /// True once a reconnect found the session lock taken by another session.
  virtual bool lost_session_lock() const = 0;

 private:
  friend class Transaction;
  int open_transactions_ = 0;  // Transactions open on this connection (nested ones are savepoints)
};

/// One column of the current row.
class Column {
 public:
  Column(const Cursor& cursor, int index) : cursor_(cursor), index_(index) {}
  bool is_null() const { return cursor_.is_null(index_); }
  int as_int() const { return static_cast<int>(cursor_.int64(index_)); }
  std::int64_t as_int64() const { return cursor_.int64(index_); }
  double as_double() const { return cursor_.real(index_); }
  std::string as_text() const { return cursor_.text(index_); }

 private:
  const Cursor& cursor_;
  int index_;
};

/// A statement: bind, then step() through the rows or exec() for the rows changed.
class Statement {
 public:
  Statement(Connection& connection, const std::string& sql) : cursor_(connection.prepare(sql, false)) {}
  explicit Statement(std::unique_ptr<Cursor> cursor) : cursor_(std::move(cursor)) {}

  template <std::integral T>
  void bind(int index, T value) {
    cursor_->bind_int64(index, static_cast<std::int64_t>(value));
  }
  void bind(int index, double value) { cursor_->bind_double(index, value); }
  void bind(int index, std::string_view value) { cursor_->bind_text(index, value); }
  void bind(int index, const std::string& value) { cursor_->bind_text(index, value); }
  void bind(int index, const char* value) { cursor_->bind_text(index, value); }
  void bind(int index) { cursor_->bind_null(index); }

  bool step() { return cursor_->step(); }
  /// Runs a statement that returns no rows; the rows it changed.
  long long exec() {
    cursor_->step();
    return cursor_->changes();
  }
  Column column(int index) const { return Column(*cursor_, index); }
  int column_count() const { return cursor_->column_count(); }
  std::string column_name(int index) const { return cursor_->column_name(index); }
  void reset() { cursor_->reset(); }

 private:
  std::unique_ptr<Cursor> cursor_;
};

/// BEGIN now; ROLLBACK when it goes out of scope without commit(). Inside another Transaction on
/// the same connection it is a SAVEPOINT of it instead (RELEASE, or ROLLBACK TO): a Store call that
/// keeps its own writes atomic can also be one part of a larger unit that commits once.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection), depth_(connection.open_transactions_) {
    connection_.exec(depth_ == 0 ? std::string("BEGIN") : "SAVEPOINT " + savepoint());
    ++connection_.open_transactions_;
  }
  ~Transaction() {
    if (!done_) {
      --connection_.open_transactions_;
      try {
        connection_.exec(depth_ == 0 ? std::string("ROLLBACK")
                                     : "ROLLBACK TO " + savepoint() + "; RELEASE " + savepoint());
      } catch (const Error&) {  // the connection is gone; the server rolled back for us
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    connection_.exec(depth_ == 0 ? std::string("COMMIT") : "RELEASE " + savepoint());
    --connection_.open_transactions_;
    done_ = true;
  }

 private:
  std::string savepoint() const { return "vigil_" + std::to_string(depth_); }

  Connection& connection_;
  int depth_;
  bool done_ = false;
};

/// The first row's first column of a query without parameters (0 when there is no row).
std::int64_t query_int64(Connection& connection, const std::string& sql);

}  // namespace vigil::sql
