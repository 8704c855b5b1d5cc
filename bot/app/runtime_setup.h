#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/core/config.h"
#include "bot/core/run_manager.h"
#include "bot/store/database_lock.h"
#include "bot/store/store.h"
#include "skills/step_executor.h"

namespace vigil {

/// The configuration path: --config, else $VIGIL_CONFIG, else none (defaults).
std::string resolve_config_path(const std::string& cli_path);
/// Loads and validates the configuration, printing every problem to stderr (warnings as
/// "file:line:col: key: message (warning)"); nullopt: exit 2. `warnings` gets how many were printed.
std::optional<Config> load_config_or_report(const std::string& cli_path, std::size_t* warnings = nullptr);

/// A listener that could not bind, said with what to change, e.g. "cannot listen on 127.0.0.1:9090:
/// address already in use; another program has this port: set <setting>, or port 0 for a free one".
/// `setting` names where the address comes from ("http.listen in vigil.yaml (or VIGIL_HTTP_ADDR)").
std::string listen_failure_message(const std::string& address, const Error& error, const std::string& setting);
/// Where http.listen is set, for listen_failure_message.
std::string http_listen_setting(const Config& config);

/// Who runs a CLI command, as runs and timelines name them: "cli:<login>" from $USER, $LOGNAME or the
/// account of the effective user id ($USER is unset under sudo -i, systemd, cron and in containers).
std::string cli_actor();

/// The redactor for a configuration: built-in patterns, configured ones, and every secret value.
std::shared_ptr<Redactor> make_redactor(const Config& config);

/// The Store storage.* names, for this process alone while it lives (`vigil serve`, local runs):
/// a SQLite file under its DatabaseLock, a PostgreSQL database under its session lock; with
/// `WhenLeading`, the PostgreSQL lock is left for the replica to take when it leads (serve_slack).
struct HeldStore {
  std::unique_ptr<DatabaseLock> lock;  // SQLite only
  std::unique_ptr<Store> store;
};
enum class PostgresLock { Now, WhenLeading };
Result<HeldStore> open_held_store(const StorageConfig& storage, PostgresLock postgres_lock = PostgresLock::Now);
/// Where the data is, for a log line: the SQLite file, or the PostgreSQL DSN without its password.
std::string storage_description(const StorageConfig& storage);
LogOptions log_options(const Config& config);

/// Step executor and run manager settings from the configuration.
skills::ExecutorOptions executor_options(const Config& config);
/// `agent_log` is where the agents' isolation decision is logged (once, at the first need).
RunManagerOptions run_manager_options(const Config& config, Logger agent_log);

}  // namespace vigil
