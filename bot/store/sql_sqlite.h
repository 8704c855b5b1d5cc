#pragma once

#include <memory>

#include "bot/store/sql.h"

namespace SQLite {
class Database;
}

namespace vigil::sql {

/// The SQLite connection over an open SQLiteCpp database (opened, with its pragmas, by the Store).
std::unique_ptr<Connection> sqlite_connection(std::unique_ptr<SQLite::Database> db);

}  // namespace vigil::sql
