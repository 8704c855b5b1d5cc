#pragma once

#include <memory>
#include <string>

#include "bot/base/error.h"
#include "bot/store/sql.h"

namespace vigil::sql {

/// Connects to PostgreSQL (libpq) with `dsn`: a URI (`postgres://vigil@db:5432/vigil`) or
/// `key=value` pairs, libpq's environment (PGPASSWORD, PGPASSFILE, PGSSLMODE, …) filling the rest.
/// The session is UTF-8, named `vigil pid=<pid>` in pg_stat_activity, with a 10 s connect timeout
/// unless the DSN sets one. A broken connection is made again on the next statement (what was in
/// flight fails with sql::Error). Errors never carry the password.
Result<std::unique_ptr<Connection>> postgres_connection(const std::string& dsn);

}  // namespace vigil::sql
