#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/test_paths.h"

namespace vigil::test {

/// A real PostgreSQL server from Debian's postgresql package, for this test process only: its
/// cluster is a copy of one initdb'd template (made once per machine and PostgreSQL version, under
/// the temporary folder), started with pg_ctl on a free loopback port, trust authentication for
/// the role `vigil`, fsync off. As root it runs as `nobody` (PostgreSQL refuses root). Stopped
/// (immediate) when it goes away.
class PostgresServer {
 public:
  /// Nullopt, or why there is no server to start (not installed: `make test` installs it).
  static std::optional<std::string> missing();
  /// The one server of this process, started on first use (nullptr with the reason in `why`).
  static PostgresServer* shared(std::string* why = nullptr);

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// A new, empty database; its DSN.
  std::string create_database();
  /// `postgres://vigil@127.0.0.1:PORT/<database>`
  std::string dsn(const std::string& database) const;
  /// Runs SQL in `database` (psql-less: libpq); throws with PostgreSQL's message on failure.
  void exec(const std::string& database_dsn, const std::string& sql) const;
  /// The first column of the first row of a query, as text ("" when no row).
  std::string query(const std::string& database_dsn, const std::string& sql) const;
  unsigned short port() const { return port_; }
  /// pg_ctl stop -m fast (every session is cut off; what was committed stays: with
  /// synchronous_commit off, an immediate stop could lose it), then start again on the same port.
  bool restart();
  /// `mode`: pg_ctl's shutdown mode (the end of the process: immediate).
  bool stop(const std::string& mode = "immediate");

 private:
  PostgresServer() = default;
  bool start(std::string* why);

  TempDir dir_;
  std::filesystem::path bin_;
  std::filesystem::path data_;
  unsigned short port_ = 0;
  int databases_ = 0;
  bool running_ = false;
};

}  // namespace vigil::test
