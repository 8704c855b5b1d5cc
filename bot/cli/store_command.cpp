#include "bot/cli/store_command.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/cli/cli.h"
#include "bot/store/database_lock.h"
#include "bot/store/sql_dialect.h"
#include "bot/store/store.h"

namespace vigil {
namespace {

int cmd_store_migrate(const std::string& config_path, std::string destination) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  if (destination.empty()) {
    destination = config->storage.postgres_dsn;  // VIGIL_POSTGRES_DSN or storage.postgres_dsn*
  }
  if (destination.empty()) {
    std::cerr << "vigil store migrate: name the PostgreSQL database with --to postgres://… or VIGIL_POSTGRES_DSN\n";
    return kExitUsage;
  }
  const std::string shown = sql::redacted_dsn(destination);
  // Neither side may change under the copy: the file's lock (no `vigil serve` on it), and the
  // destination's (no `vigil serve` on it either).
  auto lock = DatabaseLock::acquire(config->storage.database);
  if (!lock) {
    std::cerr << "vigil store migrate: " << lock.error().detail << "\n";
    return kExitFailure;
  }
  auto source = Store::open(config->storage.database, StoreOpenMode::MustExist);
  if (!source) {
    std::cerr << "vigil store migrate: " << source.error().detail << "\n";
    return kExitFailure;
  }
  auto target = Store::open_postgres(destination);
  if (!target) {
    std::cerr << "vigil store migrate: " << target.error().detail << "\n";
    return kExitFailure;
  }
  if (auto held = (*target)->hold_single_writer_lock(); !held) {
    std::cerr << "vigil store migrate: " << held.error().detail << "\n";
    return kExitFailure;
  }
  const auto copied = (*source)->copy_into(**target);
  if (!copied) {
    std::cerr << "vigil store migrate: " << copied.error().detail << "\n";
    return kExitFailure;
  }
  long long total = 0;
  for (const auto& [table, rows] : *copied) {
    std::cout << "  " << table << ": " << rows << "\n";
    total += rows;
  }
  std::cout << "copied " << total << " rows from " << config->storage.database << " into " << shown
            << ".\nNext: stop using the file: set VIGIL_POSTGRES_DSN (or storage.postgres_dsn_file) and start "
               "`vigil serve`; keep the file as a backup.\n";
  return kExitOk;
}

}  // namespace

void register_store_command(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto destination = std::make_shared<std::string>();
  auto* store = app.add_subcommand("store", "move the database");
  store->require_subcommand(1);
  auto* migrate = store->add_subcommand(
      "migrate", "copy everything in the SQLite database into an empty PostgreSQL database (one transaction)");
  migrate->add_option("--to", *destination,
                      "the PostgreSQL DSN, postgres://user@host/db (default: VIGIL_POSTGRES_DSN or "
                      "storage.postgres_dsn*, which keep a password off the command line)");
  migrate->callback(
      [&config_path, &exit_code, destination] { exit_code = cmd_store_migrate(config_path, *destination); });
}

}  // namespace vigil
