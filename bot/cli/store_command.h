#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil store migrate --to postgres://…`: copies everything in the configured SQLite
/// database (storage.database) into an empty PostgreSQL database (tables created), in one
/// transaction, while no `vigil serve` uses either. `--to` may be left out when VIGIL_POSTGRES_DSN
/// or storage.postgres_dsn* name the database (off the command line, where `ps` shows it). Prints the rows copied per
/// table; exit 0 when everything was copied, 1 when nothing was (the reason on stderr), 2 on a usage error.
void register_store_command(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
