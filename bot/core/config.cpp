#include "bot/core/config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "bot/core/config_reader.h"
#include "bot/store/sql_dialect.h"

extern char** environ;

namespace vigil {

Environment current_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  return env;
}

std::string ConfigDiagnostic::to_string() const {
  std::ostringstream out;
  out << (file.empty() ? "<config>" : file);
  if (line > 0) {
    out << ':' << line << ':' << column;
  }
  out << ": ";
  if (!key.empty()) {
    out << key << ": ";
  }
  out << message;
  return out.str();
}

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t pos = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (value < 0) {
    return std::nullopt;
  }
  const std::string unit = text.substr(pos);
  if (unit.empty() || unit == "s") {
    return std::chrono::seconds(value);
  }
  if (unit == "m") {
    return std::chrono::seconds(value * 60);
  }
  if (unit == "h") {
    return std::chrono::seconds(value * 3600);
  }
  if (unit == "d") {
    return std::chrono::seconds(value * 86400);
  }
  return std::nullopt;
}

std::vector<std::string> Config::secret_values() const {
  std::vector<std::string> out;
  for (const auto* s : {&slack.app_token, &slack.bot_token, &http.alertmanager_token, &http.opsgenie_token,
                        &http.grafana_token, &pagerduty.api_token, &opsgenie.api_key, &alertmanager.api_token}) {
    if (!s->empty()) {
      out.push_back(*s);
    }
  }
  out.insert(out.end(), http.pagerduty_secrets.begin(), http.pagerduty_secrets.end());
  // A DSN with a password is a secret, whole and the password alone; without one it is an address.
  if (const auto password = sql::dsn_password(storage.postgres_dsn); !password.empty()) {
    out.push_back(storage.postgres_dsn);
    out.push_back(password);
  }
  return out;
}

// Read, resolve, apply the environment, check: the steps are in config_read.cpp,
// config_environment.cpp and config_check.cpp.
ConfigLoad load_config_text(const std::string& yaml, const std::string& file_name, const Environment& env) {
  using namespace config_detail;
  ConfigLoad load;
  load.config.source_file = file_name;
  ConfigReader reader(file_name, load);
  DeferredMarks marks;
  try {
    const auto docs = YAML::LoadAll(yaml);
    if (docs.size() > 1) {
      load.errors.push_back({file_name, 0, 0, "", "expected one YAML document, found " + std::to_string(docs.size())});
    } else if (docs.size() == 1) {
      read_document(docs.front(), reader, load.config, marks);
    }
  } catch (const YAML::Exception& e) {
    ConfigDiagnostic d;
    d.file = file_name;
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    d.message = "YAML syntax error: " + e.msg;
    load.errors.push_back(std::move(d));
    return load;
  }
  resolve_paths(std::filesystem::path(file_name).parent_path(), load.config);
  apply_environment(env, load);
  check_paging(marks, file_name, load);
  check_references(marks, file_name, load);
  check_sandbox_binds(marks, file_name, load);
  return load;
}

ConfigLoad load_config(const std::string& path, const Environment& env) {
  if (path.empty()) {
    return load_config_text("", "", env);
  }
  std::ifstream in(path);
  if (!in) {
    ConfigLoad load;
    load.errors.push_back({path, 0, 0, "", "cannot open the configuration file"});
    return load;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path, env);
}

}  // namespace vigil

namespace vigil {

// The top-level keys describe a cluster when they name a read-only kubeconfig or nothing else does.
static bool top_level_is_a_cluster(const KubernetesConfig& k) {
  return !k.read_only_kubeconfig.empty() || k.clusters.empty();
}

std::vector<ClusterConfig> KubernetesConfig::all_clusters() const {
  std::vector<ClusterConfig> out;
  if (top_level_is_a_cluster(*this)) {
    ClusterConfig top;
    top.name = cluster;
    top.read_only_kubeconfig = read_only_kubeconfig;
    top.remediation_kubeconfig = remediation_kubeconfig;
    top.dry_run_kubeconfig = dry_run_kubeconfig;
    top.read_only_context = read_only_context;
    top.remediation_context = remediation_context;
    top.dry_run_context = dry_run_context;
    top.namespaces = namespaces;
    out.push_back(std::move(top));
  }
  out.insert(out.end(), clusters.begin(), clusters.end());
  return out;
}

std::string KubernetesConfig::default_cluster() const {
  return top_level_is_a_cluster(*this) ? cluster : clusters.front().name;
}

bool KubernetesConfig::several_clusters() const {
  return clusters.size() + (top_level_is_a_cluster(*this) ? 1 : 0) > 1;
}

std::optional<ClusterConfig> KubernetesConfig::find_cluster(const std::string& name) const {
  for (auto& c : all_clusters()) {
    if (c.name == name) {
      return std::move(c);
    }
  }
  return std::nullopt;
}

std::string KubernetesConfig::cluster_names() const {
  std::string names;
  for (const auto& c : all_clusters()) {
    names += (names.empty() ? "" : ", ") + c.name;
  }
  return names;
}

}  // namespace vigil
