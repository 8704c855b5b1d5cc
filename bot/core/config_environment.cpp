// After the YAML is read: paths made relative to the file's folder, then the environment's
// secrets and overrides applied over the file's values.
#include <filesystem>
#include <sstream>

#include "bot/core/config_reader.h"

namespace vigil::config_detail {
namespace {

std::vector<std::string> split_comma(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    while (!item.empty() && item.front() == ' ') {
      item.erase(item.begin());
    }
    while (!item.empty() && item.back() == ' ') {
      item.pop_back();
    }
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

}  // namespace

// Relative paths in the file, and the relative default database, are relative to the file's folder
// (the working directory without a file); the environment's are relative to the working directory.
// Without skills.dirs in the file, the skills shipped with Vigil.
void resolve_paths(const std::filesystem::path& folder, Config& c) {
  if (c.storage.database != ":memory:") {
    c.storage.database = relative_to(folder, c.storage.database);
  }
  for (auto& dir : c.agent.knowledge_dirs) {
    dir = relative_to(folder, dir);
  }
  for (auto& path : c.agent.read_only_paths) {
    path = relative_to(folder, path);
  }
  c.kubernetes.read_only_kubeconfig = relative_to(folder, c.kubernetes.read_only_kubeconfig);
  c.kubernetes.remediation_kubeconfig = relative_to(folder, c.kubernetes.remediation_kubeconfig);
  c.kubernetes.dry_run_kubeconfig = relative_to(folder, c.kubernetes.dry_run_kubeconfig);
  for (auto& cluster : c.kubernetes.clusters) {
    cluster.read_only_kubeconfig = relative_to(folder, cluster.read_only_kubeconfig);
    cluster.remediation_kubeconfig = relative_to(folder, cluster.remediation_kubeconfig);
    cluster.dry_run_kubeconfig = relative_to(folder, cluster.dry_run_kubeconfig);
  }
  if (!c.skills.shipped) {
    for (auto& dir : c.skills.dirs) {
      dir = relative_to(folder, dir);
    }
    return;
  }
  c.skills.dirs.clear();
  for (const auto& candidate : shipped_skill_dirs()) {
    std::error_code ec;
    if (std::filesystem::is_directory(candidate, ec)) {
      c.skills.dirs.push_back(candidate);
      return;
    }
  }
}

void apply_environment(const Environment& env, ConfigLoad& load) {
  auto& c = load.config;
  auto get = [&](const char* name) -> const std::string* {
    const auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const auto* v = get("SLACK_APP_TOKEN"))
    c.slack.app_token = *v;
  if (const auto* v = get("SLACK_BOT_TOKEN"))
    c.slack.bot_token = *v;
  if (const auto* v = get("SLACK_API_URL"))
    c.slack.api_url = *v;
  if (const auto* v = get("VIGIL_DB"))
    c.storage.database = *v;
  if (const auto* v = get("VIGIL_POSTGRES_DSN"))
    c.storage.postgres_dsn = *v;
  if (const auto* v = get("VIGIL_HTTP_ADDR")) {
    if (valid_listen_address(*v)) {
      c.http.listen = *v;
    } else {
      load.errors.push_back({"", 0, 0, "VIGIL_HTTP_ADDR", "expected host:port, got '" + *v + "'"});
    }
  }
  if (const auto* v = get("VIGIL_HTTP_PROBE_ADDR")) {
    if (v->empty() || valid_listen_address(*v)) {
      c.http.probe_listen = *v;
    } else {
      load.errors.push_back({"", 0, 0, "VIGIL_HTTP_PROBE_ADDR", "expected host:port, got '" + *v + "'"});
    }
  }
  if (const auto* v = get("VIGIL_LOG_LEVEL"))
    c.logging.level = *v;
  if (const auto* v = get("VIGIL_ALERTMANAGER_TOKEN"))
    c.http.alertmanager_token = *v;
  if (const auto* v = get("VIGIL_PAGERDUTY_WEBHOOK_SECRETS"))
    c.http.pagerduty_secrets = split_comma(*v);
  if (const auto* v = get("VIGIL_OPSGENIE_TOKEN"))
    c.http.opsgenie_token = *v;
  if (const auto* v = get("VIGIL_GRAFANA_TOKEN"))
    c.http.grafana_token = *v;
  if (const auto* v = get("VIGIL_WORKSPACE_ROOT"))
    c.agent.workspace_root = *v;
  if (const auto* v = get("VIGIL_PAGERDUTY_API_TOKEN"))
    c.pagerduty.api_token = *v;
  if (const auto* v = get("VIGIL_OPSGENIE_API_KEY"))
    c.opsgenie.api_key = *v;
  if (const auto* v = get("VIGIL_ALERTMANAGER_URL")) {
    if (is_http_url(*v)) {
      c.alertmanager.url = *v;
    } else {
      load.errors.push_back(
          {"", 0, 0, "VIGIL_ALERTMANAGER_URL", "must start with https:// or http://, got '" + *v + "'"});
    }
  }
  if (const auto* v = get("VIGIL_ALERTMANAGER_API_TOKEN"))
    c.alertmanager.api_token = *v;
  if (!c.slack.app_token.empty() && c.slack.app_token.rfind("xapp-", 0) != 0) {
    load.errors.push_back(
        {"", 0, 0, "SLACK_APP_TOKEN", "an app-level token starts with xapp- (Basic Information → App-Level Tokens)"});
  }
  if (!c.slack.bot_token.empty() && c.slack.bot_token.rfind("xoxb-", 0) != 0) {
    load.errors.push_back({"", 0, 0, "SLACK_BOT_TOKEN", "a bot token starts with xoxb- (OAuth & Permissions)"});
  }
  if (c.slack.api_url.empty() || c.slack.api_url.back() != '/') {
    c.slack.api_url += '/';
  }
}

}  // namespace vigil::config_detail
