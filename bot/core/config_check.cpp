// What is checked after the environment is applied (errors and warnings at the key in the file),
// and the checks of single values that readers and `vigil config check` share.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "bot/core/config_reader.h"

namespace vigil {
namespace {

// Its letters, and what the kind is called in messages.
struct SlackIdShape {
  const char* letters;
  const char* name;
  const char* example;
};

SlackIdShape shape_of(SlackIdKind kind) {
  switch (kind) {
    case SlackIdKind::Channel:
      return {"CG", "a Slack channel id (C… or G…)", "C0123ABCD"};
    case SlackIdKind::User:
      return {"UW", "a Slack user id (U… or W…)", "U0123ABCD"};
    case SlackIdKind::UserGroup:
      return {"S", "a Slack user group id (S…)", "S0123ABCD"};
    case SlackIdKind::Bot:
      return {"B", "a Slack bot id (B…)", "B0123ABCD"};
  }
  return {"", "", ""};
}

bool has_id_shape(const std::string& value, const char* letters) {
  return value.size() >= 3 && std::strchr(letters, value[0]) != nullptr &&
         std::all_of(value.begin() + 1, value.end(),
                     [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
}

}  // namespace

namespace config_detail {

// Checks that need the environment applied first (a token may come from there); the errors point
// at the key in the file that needs the token.
void check_paging(const DeferredMarks& marks, const std::string& file, ConfigLoad& load) {
  const auto& c = load.config;
  auto report = [&](const std::string& mark_key, const std::string& key, const std::string& message) {
    load.errors.push_back(marks.diagnostic(file, mark_key, key, message));
  };
  const auto& oc = c.approvals.oncall;
  if (!oc.pagerduty_schedule.empty() && c.pagerduty.api_token.empty()) {
    report("approvals.oncall.pagerduty_schedule", "approvals.oncall.pagerduty_schedule",
           "needs a PagerDuty API token: set VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
  }
  if (!oc.opsgenie_schedule.empty() && c.opsgenie.api_key.empty()) {
    report("approvals.oncall.opsgenie_schedule", "approvals.oncall.opsgenie_schedule",
           "needs an OpsGenie API key: set VIGIL_OPSGENIE_API_KEY or opsgenie.api_key_file");
  }
  if (c.pagerduty.notes && c.pagerduty.api_token.empty()) {
    report("pagerduty.notes", "pagerduty.notes",
           "notes need a PagerDuty API token: set VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
  }
  if (c.pagerduty.notes && c.pagerduty.from_email.empty()) {
    report("pagerduty.notes", "pagerduty.from_email",
           "notes need pagerduty.from_email (PagerDuty requires a From header naming one of its users)");
  }
  if (c.opsgenie.notes && c.opsgenie.api_key.empty()) {
    report("opsgenie.notes", "opsgenie.notes",
           "notes need an OpsGenie API key: set VIGIL_OPSGENIE_API_KEY or opsgenie.api_key_file");
  }
  if (oc.enabled() && c.approvals.users.empty() && c.approvals.groups.empty()) {
    load.warnings.push_back(
        marks.diagnostic(file, "approvals.oncall", "approvals.oncall",
                         "no approvals.users or approvals.groups: while the on-call lookup fails, nobody can approve"));
  }
}

// Files and folders the configuration names that are not there, and settings whose feature cannot
// work as configured: warnings (Vigil starts; `config check` says what will not work), each at the
// key in the file when there is one.
void check_references(const DeferredMarks& marks, const std::string& file, ConfigLoad& load) {
  const auto& c = load.config;
  auto warn = [&](const std::string& mark_key, const std::string& key, const std::string& message) {
    load.warnings.push_back(marks.diagnostic(file, mark_key, key, message));
  };
  std::error_code ec;
  if (c.kubernetes.enabled) {
    for (const auto& [key, path] :
         {std::pair<std::string, std::string>{"kubernetes.read_only_kubeconfig", c.kubernetes.read_only_kubeconfig},
          {"kubernetes.remediation_kubeconfig", c.kubernetes.remediation_kubeconfig}}) {
      if (path.empty()) {
        warn("kubernetes.enabled", key, "not set: kubectl steps cannot run without it");
      } else if (!std::filesystem::is_regular_file(path, ec)) {
        warn(key, key, "no file at " + path);
      }
    }
    for (std::size_t i = 0; i < c.kubernetes.clusters.size(); ++i) {
      const auto& cluster = c.kubernetes.clusters[i];
      const auto base = "kubernetes.clusters[" + std::to_string(i) + "]";
      for (const auto& [key, path] :
           {std::pair<std::string, std::string>{base + ".read_only_kubeconfig", cluster.read_only_kubeconfig},
            {base + ".remediation_kubeconfig", cluster.remediation_kubeconfig}}) {
        if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
          warn(key, key, "no file at " + path + " (cluster " + cluster.name + ")");
        }
      }
    }
  }
  if (!c.skills.shipped) {
    for (std::size_t i = 0; i < c.skills.dirs.size(); ++i) {
      if (!std::filesystem::is_directory(c.skills.dirs[i], ec)) {
        const auto key = "skills.dirs[" + std::to_string(i) + "]";
        warn(key, "skills.dirs", "no folder at " + c.skills.dirs[i]);
      }
    }
  }
  for (std::size_t i = 0; i < c.agent.knowledge_dirs.size(); ++i) {
    if (!std::filesystem::is_directory(c.agent.knowledge_dirs[i], ec)) {
      const auto key = "agent.knowledge_dirs[" + std::to_string(i) + "]";
      warn(key, "agent.knowledge_dirs", "no folder at " + c.agent.knowledge_dirs[i]);
    }
  }
  if (const auto message = webhook_channel_warning(c); !message.empty()) {
    warn("http.alert_channel", "http.alert_channel", message);
  }
}

// What agent.read_only_paths may not bind into an agent's sandbox: anything that is, or holds,
// Vigil's database, a secret file, the remediation kubeconfig, or other runs' workspaces.
void check_sandbox_binds(const DeferredMarks& marks, const std::string& file, ConfigLoad& load) {
  const auto& c = load.config;
  std::vector<std::pair<std::string, std::string>> guarded = {
      {"storage.database", c.storage.database},
      {"kubernetes.remediation_kubeconfig", c.kubernetes.remediation_kubeconfig},
      {"kubernetes.dry_run_kubeconfig", c.kubernetes.dry_run_kubeconfig},
      {"agent.workspace_root", c.agent.workspace_root},
      {"slack.app_token_file", c.slack.app_token_file},
      {"slack.bot_token_file", c.slack.bot_token_file},
      {"http.alertmanager_token_file", c.http.alertmanager_token_file},
      {"http.pagerduty_secrets_file", c.http.pagerduty_secrets_file},
      {"http.opsgenie_token_file", c.http.opsgenie_token_file},
      {"http.grafana_token_file", c.http.grafana_token_file},
      {"pagerduty.api_token_file", c.pagerduty.api_token_file},
      {"opsgenie.api_key_file", c.opsgenie.api_key_file},
      {"alertmanager.api_token_file", c.alertmanager.api_token_file},
  };
  for (const auto& cluster : c.kubernetes.clusters) {
    guarded.emplace_back("cluster " + cluster.name + "'s remediation_kubeconfig", cluster.remediation_kubeconfig);
    guarded.emplace_back("cluster " + cluster.name + "'s dry_run_kubeconfig", cluster.dry_run_kubeconfig);
  }
  if (!c.source_file.empty()) {
    guarded.emplace_back("the configuration file",
                         std::filesystem::absolute(c.source_file).lexically_normal().string());
  }
  for (std::size_t i = 0; i < c.agent.read_only_paths.size(); ++i) {
    const auto key = "agent.read_only_paths[" + std::to_string(i) + "]";
    const auto bind = std::filesystem::path(c.agent.read_only_paths[i]).lexically_normal();
    if (!bind.is_absolute()) {
      load.errors.push_back(marks.diagnostic(file, key, "agent.read_only_paths", "must be an absolute path"));
      continue;
    }
    for (const auto& [what, path] : guarded) {
      if (path.empty() || path == ":memory:") {
        continue;
      }
      const auto relative = std::filesystem::absolute(path).lexically_normal().lexically_relative(bind);
      if (!relative.empty() && *relative.begin() != "..") {
        load.errors.push_back(marks.diagnostic(
            file, key, "agent.read_only_paths",
            bind.string() + " would give agents " + what + " (" + path + "); bind only what agents need"));
      }
    }
  }
}

}  // namespace config_detail

std::string slack_id_problem(const std::string& value, SlackIdKind kind) {
  const auto want = shape_of(kind);
  if (has_id_shape(value, want.letters)) {
    return {};
  }
  const std::string quoted = "'" + value + "'";
  if (!value.empty() && value[0] == '#' && kind == SlackIdKind::Channel) {
    return quoted + " is a channel name, not " + want.name +
           ": the id is at the bottom of the channel's details (e.g. " + want.example + ")";
  }
  if (!value.empty() && value[0] == '@') {
    return quoted + " is a name, not " + want.name + " (e.g. " + want.example + ")";
  }
  for (const auto other : {SlackIdKind::Channel, SlackIdKind::User, SlackIdKind::UserGroup, SlackIdKind::Bot}) {
    if (other != kind && has_id_shape(value, shape_of(other).letters)) {
      return quoted + " is " + shape_of(other).name + ", not " + want.name;
    }
  }
  return quoted + " is not " + want.name;
}

std::string webhook_channel_warning(const Config& c) {
  if (!c.http.alert_channel.empty()) {
    return {};
  }
  std::vector<std::string> sources;
  if (!c.http.alertmanager_token.empty())
    sources.emplace_back("alertmanager");
  if (!c.http.pagerduty_secrets.empty())
    sources.emplace_back("pagerduty");
  if (!c.http.opsgenie_token.empty())
    sources.emplace_back("opsgenie");
  if (!c.http.grafana_token.empty())
    sources.emplace_back("grafana");
  if (sources.empty()) {
    return {};
  }
  std::string list;
  for (const auto& s : sources) {
    list += (list.empty() ? "/webhooks/" : ", /webhooks/") + s;
  }
  return "not set, so " + list +
         " answer every alert with 503 (no alert channel): set it to the channel id "
         "(C…) where webhook alerts are posted";
}

std::string missing_skills_warning(const Config& config) {
  const auto& skills = config.skills;
  if (!skills.shipped && skills.dirs.empty()) {
    return {};
  }
  const std::string where =
      config.source_file.empty() ? std::string("a configuration file (--config)") : config.source_file;
  auto join = [](const std::vector<std::string>& dirs) {
    std::string text;
    for (const auto& dir : dirs) {
      text += (text.empty() ? "" : ", ") + dir;
    }
    return text;
  };
  if (skills.shipped && skills.dirs.empty()) {
    return "no skills: the skills shipped with Vigil are not in " + join(shipped_skill_dirs()) +
           "; set skills.dirs in " + where;
  }
  return "no skills in " + join(skills.dirs) + "; check skills.dirs in " + where;
}

}  // namespace vigil
