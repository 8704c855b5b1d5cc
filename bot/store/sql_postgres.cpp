#include "bot/store/sql_postgres.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <vector>

#include <libpq-fe.h>

#include "bot/base/utf8.h"
#include "bot/store/sql_dialect.h"

namespace vigil::sql {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Throws unless `r` says the command worked; a SQLSTATE of class 23 is a constraint refusal.
void check(const ResultPtr& r, PGconn* conn, ExecStatusType expected) {
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == expected || status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return;
  }
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  const bool constraint = state != nullptr && state[0] == '2' && state[1] == '3';
  const std::string message = r ? trimmed(PQresultErrorMessage(r.get())) : trimmed(PQerrorMessage(conn));
  throw Error("PostgreSQL: " + message, constraint);
}

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

class PgConnection;

class PgCursor final : public Cursor {
 public:
  PgCursor(PgConnection& connection, const std::string& sql, bool keep);
  void bind_null(int index) override { slot(index).reset(); }
  void bind_int64(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bind_double(int index, double value) override {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    slot(index) = std::string(buffer, result.ptr);
  }
  void bind_text(int index, std::string_view value) override { slot(index) = utf8_scrubbed(value); }
  bool step() override;
  long long changes() const override { return changes_; }
  bool is_null(int column) const override { return PQgetisnull(result_.get(), row_, column) != 0; }
  std::int64_t int64(int column) const override;
  double real(int column) const override { return std::strtod(PQgetvalue(result_.get(), row_, column), nullptr); }
  std::string text(int column) const override {
    return std::string(PQgetvalue(result_.get(), row_, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
  }
  int column_count() const override { return result_ ? PQnfields(result_.get()) : 0; }
  std::string column_name(int column) const override { return PQfname(result_.get(), column); }
  void reset() override {
    for (auto& p : params_) {
      p.reset();
    }
    result_.reset();
    ran_ = false;
    row_ = -1;
    changes_ = 0;
  }

 private:
  std::optional<std::string>& slot(int index) {
    if (index < 1 || index > static_cast<int>(params_.size())) {
      throw Error("PostgreSQL: parameter " + std::to_string(index) + " is out of range for: " + sql_);
    }
    return params_[static_cast<std::size_t>(index - 1)];
  }
  void run();

  PgConnection& connection_;
  std::string sql_;
  bool keep_;
  std::string name_;
  std::uint64_t prepared_in_ = 0;  // the connection generation it was prepared in (0: never)
  std::vector<std::optional<std::string>> params_;
  ResultPtr result_;
  bool ran_ = false;
  int row_ = -1;
  long long changes_ = 0;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) { PQsetNoticeProcessor(conn_, ignore_notice, nullptr); }
  ~PgConnection() override { PQfinish(conn_); }
  Dialect dialect() const override { return Dialect::PostgreSQL; }
  std::unique_ptr<Cursor> prepare(const std::string& sql, bool keep) override {
    return std::make_unique<PgCursor>(*this, sql, keep);
  }
  void exec(const std::string& script) override {
    PGconn* conn = live();
    ResultPtr r(PQexec(conn, script.c_str()));
    check(r, conn, PGRES_COMMAND_OK);
  }
  bool table_exists(const std::string& name) override {
    Statement q(*this,
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?");
    q.bind(1, name);
    return q.step();
  }

  bool lost_session_lock() const override { return lost_lock_; }
  bool hold_session_lock(std::int64_t key) override {
    if (!try_lock(live(), key)) {
      return false;
    }
    session_lock_ = key;
    return true;
  }

  /// The connection, made again first when it broke; bumps generation() when it was.
  PGconn* live() {
    if (lost_lock_) {
      throw Error(kLostLock);
    }
    if (PQstatus(conn_) == CONNECTION_OK) {
      return conn_;
    }
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw Error("PostgreSQL: the connection is down: " + trimmed(PQerrorMessage(conn_)));
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    ++generation_;
    set_up_session();
    if (session_lock_ && !try_lock(conn_, *session_lock_)) {
      lost_lock_ = true;  // every later statement fails: another process owns the database now
      throw Error(kLostLock);
    }
    return conn_;
  }
  std::uint64_t generation() const { return generation_; }

  /// The server's side of the heartbeat: it drops a session (and its lock) whose peer stopped
  /// answering within about 10 s, not the kernel's default two hours.
  void set_up_session() {
    ResultPtr r(PQexec(conn_,
                       "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3; "
                       "SET tcp_user_timeout = 10000"));
    check(r, conn_, PGRES_COMMAND_OK);
  }
  std::string next_statement_name() { return "vigil_" + std::to_string(++statements_); }

 private:
  static bool try_lock(PGconn* conn, std::int64_t key) {
    const std::string text = "SELECT pg_try_advisory_lock(" + std::to_string(key) + ")";
    ResultPtr r(PQexec(conn, text.c_str()));
    check(r, conn, PGRES_TUPLES_OK);
    return PQntuples(r.get()) == 1 && PQgetvalue(r.get(), 0, 0)[0] == 't';
  }

  PGconn* conn_;
  static constexpr const char* kLostLock =
      "PostgreSQL: reconnected, but another process took this Vigil's database lock meanwhile";
  std::optional<std::int64_t> session_lock_;
  bool lost_lock_ = false;
  std::uint64_t generation_ = 1;
  std::uint64_t statements_ = 0;
};

PgCursor::PgCursor(PgConnection& connection, const std::string& sql, bool keep) : connection_(connection), keep_(keep) {
  int highest = 0;
  sql_ = numbered_parameters(sql, &highest);
  params_.resize(static_cast<std::size_t>(highest));
  if (keep_) {
    name_ = connection_.next_statement_name();
  }
}

void PgCursor::run() {
  PGconn* conn = connection_.live();
  std::vector<const char*> values;
  values.reserve(params_.size());
  for (const auto& p : params_) {
    values.push_back(p ? p->c_str() : nullptr);
  }
  const int count = static_cast<int>(values.size());
  if (keep_ && prepared_in_ != connection_.generation()) {
    ResultPtr prepared(PQprepare(conn, name_.c_str(), sql_.c_str(), count, nullptr));
    check(prepared, conn, PGRES_COMMAND_OK);
    prepared_in_ = connection_.generation();
  }
  if (keep_) {
    result_.reset(PQexecPrepared(conn, name_.c_str(), count, values.data(), nullptr, nullptr, 0));
  } else {
    result_.reset(PQexecParams(conn, sql_.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0));
  }
  check(result_, conn, PGRES_TUPLES_OK);
  const char* tuples = PQcmdTuples(result_.get());
  changes_ = (tuples != nullptr && *tuples != '\0') ? std::atoll(tuples) : 0;
}

bool PgCursor::step() {
  if (!ran_) {
    ran_ = true;
    row_ = -1;
    run();
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

std::int64_t PgCursor::int64(int column) const {
  const char* value = PQgetvalue(result_.get(), row_, column);
  if (value[0] == 't' || value[0] == 'f') {  // a boolean expression
    return value[0] == 't' ? 1 : 0;
  }
  std::int64_t number = 0;
  const char* end = value + PQgetlength(result_.get(), row_, column);
  const auto parsed = std::from_chars(value, end, number);
  if (parsed.ec != std::errc() || (parsed.ptr != end && *parsed.ptr != '.')) {
    return static_cast<std::int64_t>(std::strtod(value, nullptr));  // numeric, e.g. SUM(…)
  }
  return number;
}

}  // namespace

Result<std::unique_ptr<Connection>> postgres_connection(const std::string& dsn) {
  const std::string application = "vigil pid=" + std::to_string(::getpid());
  // The DSN's own settings win over the defaults before it; UTF-8 is not negotiable. TCP
  // keepalives every few seconds are the session lock's heartbeat: a holder cut off or gone
  // without closing is noticed in about 10 s on this side, and (tcp_* below) on the server's.
  const char* keywords[] = {
      "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval", "keepalives_count",
      "tcp_user_timeout", "application_name", "dbname",          "client_encoding",     nullptr};
  const char* values[] = {"10", "1", "5", "2", "3", "10000", application.c_str(), dsn.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) {
    return make_error(Errc::Io, "cannot connect to PostgreSQL at " + redacted_dsn(dsn) + ": out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string why = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(Errc::Io, "cannot connect to PostgreSQL at " + redacted_dsn(dsn) + ": " + why);
  }
  auto connection = std::make_unique<PgConnection>(conn);
  try {
    connection->set_up_session();
  } catch (const Error& e) {
    return make_error(Errc::Io, "cannot set up the PostgreSQL session at " + redacted_dsn(dsn) + ": " + e.what());
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace vigil::sql
