#include "tests/support/postgres_server.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <libpq-fe.h>

#include "tests/support/peer_process.h"

namespace vigil::test {
namespace {

constexpr unsigned kUnprivilegedId = 65534;  // nobody / nogroup on Debian

// The folder holding initdb and pg_ctl: the newest /usr/lib/postgresql/<version>/bin (Debian keeps
// them off PATH), else PATH's.
std::optional<std::filesystem::path> postgres_bin() {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(entry.path() / "bin" / "pg_ctl") &&
        std::filesystem::exists(entry.path() / "bin" / "initdb")) {
      found.push_back(entry.path() / "bin");
    }
  }
  if (!found.empty()) {
    return *std::max_element(found.begin(), found.end());
  }
  const auto initdb = find_on_path("initdb");
  if (initdb && find_on_path("pg_ctl")) {
    return initdb->parent_path();
  }
  return std::nullopt;
}

// argv as the unprivileged user when this process is root (PostgreSQL will not run as root).
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (::geteuid() != 0) {
    return argv;
  }
  static const std::string setpriv = find_on_path("setpriv").value_or(std::filesystem::path("setpriv")).string();
  std::vector<std::string> out = {setpriv, "--reuid=" + std::to_string(kUnprivilegedId),
                                  "--regid=" + std::to_string(kUnprivilegedId), "--clear-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void give_to_server_user(const std::filesystem::path& path) {
  if (::geteuid() == 0 && ::chown(path.c_str(), kUnprivilegedId, kUnprivilegedId) != 0) {
    throw std::runtime_error("cannot chown " + path.string());
  }
}

// One initdb per machine, user and PostgreSQL version; later processes copy it.
std::optional<std::filesystem::path> template_cluster(const std::filesystem::path& bin, std::string* why) {
  const auto base = std::filesystem::temp_directory_path();
  const auto name = "vigil-postgres-template-" + bin.parent_path().filename().string() + "-uid" +
                    std::to_string(::geteuid() == 0 ? kUnprivilegedId : ::geteuid());
  const auto ready = base / name;
  if (std::filesystem::exists(ready / "PG_VERSION")) {
    return ready;
  }
  const auto building = base / (name + ".tmp-" + std::to_string(::getpid()));
  const auto init = run_process(as_server_user({(bin / "initdb").string(), "-D", building.string(), "-U", "vigil",
                                                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"}));
  if (init.exit_code != 0) {
    *why = "initdb failed: " + init.out + init.err;
    std::filesystem::remove_all(building);
    return std::nullopt;
  }
  std::error_code ec;
  std::filesystem::rename(building, ready, ec);
  if (ec) {  // another test process made it first
    std::filesystem::remove_all(building);
  }
  return ready;
}

struct Connection {
  explicit Connection(const std::string& dsn) : conn(PQconnectdb(dsn.c_str())) {
    if (PQstatus(conn) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(conn);
      PQfinish(conn);
      throw std::runtime_error("cannot connect to " + dsn + ": " + why);
    }
  }
  ~Connection() { PQfinish(conn); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  PGconn* conn;
};

}  // namespace

std::optional<std::string> PostgresServer::missing() {
  if (!postgres_bin()) {
    return "PostgreSQL's server (initdb, pg_ctl) is not installed: `make test` installs Debian's postgresql";
  }
  if (::geteuid() == 0 && !find_on_path("setpriv")) {
    return "running as root, and setpriv (util-linux) is missing to start PostgreSQL as nobody";
  }
  return std::nullopt;
}

PostgresServer* PostgresServer::shared(std::string* why) {
  static std::string failure;
  static std::unique_ptr<PostgresServer> server = [] {
    std::unique_ptr<PostgresServer> made(new PostgresServer());
    if (const auto reason = missing()) {
      failure = *reason;
      return std::unique_ptr<PostgresServer>();
    }
    if (!made->start(&failure)) {
      return std::unique_ptr<PostgresServer>();
    }
    return made;
  }();
  if (!server && why != nullptr) {
    *why = failure;
  }
  return server.get();
}

bool PostgresServer::start(std::string* why) {
  bin_ = *postgres_bin();
  const auto cluster = template_cluster(bin_, why);
  if (!cluster) {
    return false;
  }
  give_to_server_user(dir_.path());
  data_ = dir_ / "data";
  const auto cp = find_on_path("cp").value_or(std::filesystem::path("/bin/cp"));
  const auto copied = run_process(as_server_user({cp.string(), "-a", cluster->string(), data_.string()}));
  if (copied.exit_code != 0) {
    *why = "cannot copy the template cluster: " + copied.err;
    return false;
  }
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    port_ = free_loopback_port();
    running_ = restart();
  }
  if (!running_) {
    *why = "pg_ctl start failed: " + read_file(dir_ / "postgres.log");
  }
  return running_;
}

bool PostgresServer::restart() {
  stop("fast");
  const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                              " -c unix_socket_directories= -c fsync=off -c synchronous_commit=off "
                              "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=60";
  const auto started =
      run_process(as_server_user({(bin_ / "pg_ctl").string(), "-D", data_.string(), "-l",
                                  (dir_ / "postgres.log").string(), "-w", "-t", "60", "-o", options, "start"}));
  running_ = started.exit_code == 0;
  return running_;
}

bool PostgresServer::stop(const std::string& mode) {
  if (!running_) {
    return true;
  }
  const auto stopped =
      run_process(as_server_user({(bin_ / "pg_ctl").string(), "-D", data_.string(), "-m", mode, "-w", "stop"}));
  running_ = stopped.exit_code != 0;
  return !running_;
}

PostgresServer::~PostgresServer() {
  if (stop()) {
    return;
  }
  // pg_ctl could not stop it: SIGQUIT to the postmaster (an immediate shutdown), so no server
  // outlives the test process.
  try {
    const auto pid = std::stol(read_file(data_ / "postmaster.pid"));
    if (pid > 0) {
      ::kill(static_cast<pid_t>(pid), SIGQUIT);
    }
  } catch (const std::exception&) {  // no pid file: nothing runs
  }
}

std::string PostgresServer::dsn(const std::string& database) const {
  return "postgres://vigil@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
  const std::string name = "vigil_test_" + std::to_string(++databases_);
  exec(dsn("postgres"), "CREATE DATABASE " + name);
  return dsn(name);
}

void PostgresServer::exec(const std::string& database_dsn, const std::string& sql) const {
  query(database_dsn, sql);
}

std::string PostgresServer::query(const std::string& database_dsn, const std::string& sql) const {
  Connection c(database_dsn);
  PGresult* r = PQexec(c.conn, sql.c_str());
  const auto status = PQresultStatus(r);
  const bool failed = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
  const std::string value = status == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  const std::string message = PQresultErrorMessage(r);
  PQclear(r);
  if (failed) {
    throw std::runtime_error("PostgreSQL refused `" + sql + "`: " + message);
  }
  return value;
}

}  // namespace vigil::test
