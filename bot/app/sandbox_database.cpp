#include "bot/app/sandbox_database.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil {
namespace {

namespace fs = std::filesystem;

Result<bool> has_marker(const fs::path& path) {
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    return db.tableExists(kSandboxMarkerTable);
  } catch (const SQLite::Exception& e) {
    // Not a database at all (or unreadable): not one the sandbox made either.
    return make_error(Errc::InvalidConfig, sandbox_database_refusal(path.string()) + " (" + e.what() + ")");
  }
}

// Creates the file 0600 whatever the umask (it will hold the sandbox's rows), then the marker.
Result<void> create_with_marker(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::Io, "cannot create the sandbox database " + path.string() + ": " + std::strerror(errno));
  }
  ::close(fd);
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec(std::string("CREATE TABLE IF NOT EXISTS ") + kSandboxMarkerTable +
            " (created_at TEXT NOT NULL, note TEXT NOT NULL)");
    db.exec(std::string("INSERT INTO ") + kSandboxMarkerTable +
            " VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'created by vigil serve --sandbox: demo data only')");
  } catch (const SQLite::Exception& e) {
    return make_error(Errc::Io, "cannot create the sandbox database " + path.string() + ": " + e.what());
  }
  return {};
}

}  // namespace

SandboxDatabaseUse sandbox_database_use(bool exists, bool has_marker) {
  if (!exists) {
    return SandboxDatabaseUse::Create;
  }
  return has_marker ? SandboxDatabaseUse::Reuse : SandboxDatabaseUse::Refuse;
}

std::string sandbox_database_refusal(const std::string& path) {
  return "refusing to run the sandbox on " + path +
         ": the sandbox did not create this database (it may hold real incidents and runs, and the sandbox would "
         "act on them). Point storage.database (or VIGIL_DB) at a new file for the sandbox (it creates it), or set "
         "both Slack "
         "tokens to serve your workspace with this database";
}

Result<void> claim_sandbox_database(const fs::path& path) {
  if (path.empty() || path == ":memory:") {
    return {};
  }
  std::error_code ec;
  const bool exists = fs::exists(path, ec) && !(fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0);
  bool marked = false;
  if (exists) {
    auto marker = has_marker(path);
    if (!marker) {
      return marker.error();
    }
    marked = *marker;
  }
  switch (sandbox_database_use(exists, marked)) {
    case SandboxDatabaseUse::Create:
      return create_with_marker(path);
    case SandboxDatabaseUse::Reuse:
      return {};
    case SandboxDatabaseUse::Refuse:
      break;
  }
  return make_error(Errc::InvalidConfig, sandbox_database_refusal(path.string()));
}

}  // namespace vigil
