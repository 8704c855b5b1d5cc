#include "bot/app/runtime_setup.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <boost/system/errc.hpp>

#include "bot/store/sql_dialect.h"
#include "integrations/process/child_process.h"

namespace vigil {

std::string resolve_config_path(const std::string& cli_path) {
  if (!cli_path.empty()) {
    return cli_path;
  }
  const auto env = current_environment();
  const auto it = env.find("VIGIL_CONFIG");
  return it == env.end() ? std::string() : it->second;
}

std::optional<Config> load_config_or_report(const std::string& cli_path, std::size_t* warnings) {
  const auto path = resolve_config_path(cli_path);
  const auto load = load_config(path, current_environment());
  if (warnings != nullptr) {
    *warnings = load.warnings.size();
  }
  for (const auto& w : load.warnings) {
    std::cerr << w.to_string() << " (warning)\n";
  }
  for (const auto& e : load.errors) {
    std::cerr << e.to_string() << "\n";
  }
  if (!load.ok()) {
    std::cerr << load.errors.size() << " problem" << (load.errors.size() == 1 ? "" : "s") << " in the configuration\n";
    return std::nullopt;
  }
  return load.config;
}

std::string listen_failure_message(const std::string& address, const Error& error, const std::string& setting) {
  const std::string head = "cannot listen on " + address + ": ";
  if (error.code == boost::system::errc::address_in_use) {
    return head + "address already in use; another program has this port: set " + setting +
           ", or port 0 for a free one";
  }
  if (error.code == boost::system::errc::permission_denied) {
    return head + "permission denied (a port below 1024 needs privileges): set " + setting + " to a port above 1023";
  }
  if (error.code == boost::system::errc::address_not_available) {
    return head + "no network interface of this machine has this address: set " + setting +
           " (127.0.0.1 for this machine only)";
  }
  const bool ours = error.code.category() == vigil_category();
  return head + (ours ? error.detail : error.code.message()) + ": set " + setting;
}

std::string http_listen_setting(const Config& config) {
  if (config.source_file.empty()) {
    return "http.listen in a configuration file (--config) or VIGIL_HTTP_ADDR";
  }
  return "http.listen in " + config.source_file + " (or VIGIL_HTTP_ADDR)";
}

Result<HeldStore> open_held_store(const StorageConfig& storage, PostgresLock postgres_lock) {
  HeldStore held;
  if (storage.postgres()) {
    auto store = Store::open_postgres(storage.postgres_dsn);
    if (!store) {
      return store.error();
    }
    if (postgres_lock == PostgresLock::Now) {
      if (auto locked = (*store)->hold_single_writer_lock(); !locked) {
        return locked.error();
      }
    }
    held.store = std::move(*store);
    return held;
  }
  // Before the database is opened (and migrated, and its runs recovered): never two at once.
  auto lock = DatabaseLock::acquire(storage.database);
  if (!lock) {
    return lock.error();
  }
  auto store = Store::open(storage.database);
  if (!store) {
    return store.error();
  }
  held.lock = std::make_unique<DatabaseLock>(std::move(*lock));
  held.store = std::move(*store);
  return held;
}

std::string storage_description(const StorageConfig& storage) {
  if (storage.postgres()) {
    return "PostgreSQL " + sql::redacted_dsn(storage.postgres_dsn);
  }
  return "database " + storage.database;
}

std::shared_ptr<Redactor> make_redactor(const Config& config) {
  auto redactor = std::make_shared<Redactor>();
  for (const auto& secret : config.secret_values()) {
    redactor->add_secret(secret);
  }
  for (const auto& p : config.redaction.patterns) {
    (void)redactor->add_pattern(p);  // validated when the configuration was loaded
  }
  return redactor;
}

LogOptions log_options(const Config& config) {
  LogOptions o;
  parse_log_level(config.logging.level, o.level);
  o.json = config.logging.format == "json";
  return o;
}

namespace {

kubernetes::KubectlOptions kubectl_options(const std::string& kubectl, const ClusterConfig& cluster) {
  kubernetes::KubectlOptions o;
  o.kubectl = kubectl;
  o.read_only_kubeconfig = cluster.read_only_kubeconfig;
  o.remediation_kubeconfig = cluster.remediation_kubeconfig;
  o.dry_run_kubeconfig = cluster.dry_run_kubeconfig;
  o.read_only_context = cluster.read_only_context;
  o.remediation_context = cluster.remediation_context;
  o.dry_run_context = cluster.dry_run_context;
  return o;
}

}  // namespace

skills::ExecutorOptions executor_options(const Config& config) {
  skills::ExecutorOptions o;
  const auto clusters = config.kubernetes.all_clusters();
  o.kubectl = kubectl_options(config.kubernetes.kubectl, clusters.front());
  o.default_cluster = clusters.front().name;
  for (const auto& cluster : clusters) {
    o.clusters[cluster.name] =
        skills::ClusterTarget{kubectl_options(config.kubernetes.kubectl, cluster), cluster.namespaces};
  }
  o.env_allowlist = config.agent.env_allowlist;
  o.environment = process::process_environment();
  o.workspace_root = config.agent.workspace_root;
  o.full_output_cap = static_cast<std::size_t>(config.agent.step_output_max_bytes);
  o.grace = std::chrono::duration_cast<std::chrono::milliseconds>(config.agent.grace);
  return o;
}

RunManagerOptions run_manager_options(const Config& config, Logger agent_log) {
  RunManagerOptions o;
  o.default_backend = config.agent.backend;
  o.max_concurrent = config.agent.max_concurrent;
  o.workspace_root = config.agent.workspace_root;
  o.failure_threshold = config.agent.failure_threshold;
  o.pause_for = config.agent.pause_for;
  o.agent.command = config.agent.command;
  o.agent.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.agent.timeout);
  o.agent.grace = std::chrono::duration_cast<std::chrono::milliseconds>(config.agent.grace);
  o.agent.env_allowlist = config.agent.env_allowlist;
  o.agent.environment = process::process_environment();
  o.agent.read_only_kubeconfig =
      config.kubernetes.enabled ? config.kubernetes.all_clusters().front().read_only_kubeconfig : "";
  o.kubernetes = config.kubernetes;
  o.agent.read_only_paths = config.agent.read_only_paths;
  o.agent.kubectl = config.kubernetes.kubectl;
  // One decision for the process, probed where the workspaces live (the sandbox binds them).
  o.agent.isolation =
      std::make_shared<agents::IsolationGate>(config.agent.isolation, config.agent.bwrap,
                                              config.agent.workspace_root + "/.sandbox-probe", std::move(agent_log));
  return o;
}

std::string cli_actor() {
  for (const char* name : {"USER", "LOGNAME"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return std::string("cli:") + value;
    }
  }
  if (const passwd* account = ::getpwuid(::geteuid()); account != nullptr && account->pw_name != nullptr) {
    return std::string("cli:") + account->pw_name;
  }
  return "cli:uid-" + std::to_string(::geteuid());
}

}  // namespace vigil
