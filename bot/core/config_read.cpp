// Reading a configuration file's YAML: one function per section, each converting its values,
// checking them and collecting every problem at its place in the file.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include <boost/regex.hpp>

#include "bot/core/config_reader.h"
#include "bot/store/sql_dialect.h"

namespace vigil::config_detail {
namespace {

void read_oncall(const YAML::Node& o, ConfigReader& r, OnCallConfig& oc, DeferredMarks& marks) {
  const std::string path = "approvals.oncall";
  if (o.IsNull()) {
    return;
  }
  if (!r.check_map(o, path, {"pagerduty_schedule", "opsgenie_schedule", "cache", "max_stale"})) {
    return;
  }
  r.read_string(o, path, "pagerduty_schedule", oc.pagerduty_schedule);
  r.read_string(o, path, "opsgenie_schedule", oc.opsgenie_schedule);
  r.read_duration(o, path, "cache", std::chrono::seconds(0), oc.cache);
  r.read_duration(o, path, "max_stale", std::chrono::seconds(0), oc.max_stale);
  marks.keep(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule");
  marks.keep(o["opsgenie_schedule"], "approvals.oncall.opsgenie_schedule");
  marks.keep(o, "approvals.oncall");
  if (!oc.pagerduty_schedule.empty() && !oc.opsgenie_schedule.empty()) {
    r.error(o["opsgenie_schedule"], "approvals.oncall", "set pagerduty_schedule or opsgenie_schedule, not both");
  }
  if (o["pagerduty_schedule"] && oc.pagerduty_schedule.empty()) {
    r.error(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule", "must not be empty");
  }
  if (o["opsgenie_schedule"] && oc.opsgenie_schedule.empty()) {
    r.error(o["opsgenie_schedule"], "approvals.oncall.opsgenie_schedule", "must not be empty");
  }
  if (!oc.pagerduty_schedule.empty() && !std::all_of(oc.pagerduty_schedule.begin(), oc.pagerduty_schedule.end(),
                                                     [](unsigned char ch) { return std::isalnum(ch) != 0; })) {
    r.error(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule",
            "a PagerDuty schedule id is letters and digits (e.g. PXXXXXX, from the schedule's URL)");
  }
}

void read_pagerduty(const YAML::Node& p, ConfigReader& r, PagerDutyConfig& pd, DeferredMarks& marks) {
  if (!r.check_map(p, "pagerduty", {"api_url", "api_token_file", "notes", "from_email", "api_token"})) {
    return;
  }
  r.refuse_inline_secret(p, "pagerduty", "api_token", "VIGIL_PAGERDUTY_API_TOKEN", "pagerduty.api_token_file");
  r.read_secret_file(p, "pagerduty", "api_token_file", pd.api_token_file, pd.api_token);
  r.read_string(p, "pagerduty", "api_url", pd.api_url);
  r.read_bool(p, "pagerduty", "notes", pd.notes);
  r.read_string(p, "pagerduty", "from_email", pd.from_email);
  if (p["api_url"] && !is_http_url(pd.api_url)) {
    r.error(p["api_url"], "pagerduty.api_url", "must start with https:// or http://");
  }
  if (!pd.from_email.empty() && pd.from_email.find('@') == std::string::npos) {
    r.error(p["from_email"], "pagerduty.from_email", "expected the e-mail address of a PagerDuty user");
  }
  marks.keep(p["notes"], "pagerduty.notes");
  marks.keep(p, "pagerduty");
}

void read_opsgenie(const YAML::Node& g, ConfigReader& r, OpsGenieConfig& og, DeferredMarks& marks) {
  if (!r.check_map(g, "opsgenie", {"api_url", "api_key_file", "notes", "api_key"})) {
    return;
  }
  r.refuse_inline_secret(g, "opsgenie", "api_key", "VIGIL_OPSGENIE_API_KEY", "opsgenie.api_key_file");
  r.read_secret_file(g, "opsgenie", "api_key_file", og.api_key_file, og.api_key);
  r.read_string(g, "opsgenie", "api_url", og.api_url);
  r.read_bool(g, "opsgenie", "notes", og.notes);
  if (g["api_url"] && !is_http_url(og.api_url)) {
    r.error(g["api_url"], "opsgenie.api_url", "must start with https:// or http://");
  }
  marks.keep(g["notes"], "opsgenie.notes");
  marks.keep(g, "opsgenie");
}

void read_alertmanager(const YAML::Node& a, ConfigReader& r, AlertmanagerConfig& am) {
  if (!r.check_map(a, "alertmanager", {"url", "api_token_file", "api_token"})) {
    return;
  }
  r.refuse_inline_secret(a, "alertmanager", "api_token", "VIGIL_ALERTMANAGER_API_TOKEN", "alertmanager.api_token_file");
  r.read_secret_file(a, "alertmanager", "api_token_file", am.api_token_file, am.api_token);
  r.read_string(a, "alertmanager", "url", am.url);
  if (!am.url.empty() && !is_http_url(am.url)) {
    r.error(a["url"], "alertmanager.url",
            "must start with https:// or http:// (Alertmanager's own address, e.g. http://alertmanager:9093)");
  }
}

void read_slack(const YAML::Node& s, ConfigReader& r, SlackConfig& slack) {
  if (!r.check_map(
          s, "slack",
          {"app_token_file", "bot_token_file", "api_url", "connections", "pong_timeout", "app_token", "bot_token"})) {
    return;
  }
  r.refuse_inline_secret(s, "slack", "app_token", "SLACK_APP_TOKEN", "slack.app_token_file");
  r.refuse_inline_secret(s, "slack", "bot_token", "SLACK_BOT_TOKEN", "slack.bot_token_file");
  r.read_secret_file(s, "slack", "app_token_file", slack.app_token_file, slack.app_token);
  r.read_secret_file(s, "slack", "bot_token_file", slack.bot_token_file, slack.bot_token);
  r.read_string(s, "slack", "api_url", slack.api_url);
  r.read_int(s, "slack", "connections", 1, 10, slack.connections);
  r.read_duration(s, "slack", "pong_timeout", std::chrono::seconds(1), slack.pong_timeout);
  const auto api = s["api_url"];
  if (api && api.IsScalar() && api.Scalar().rfind("https://", 0) != 0 && api.Scalar().rfind("http://", 0) != 0) {
    r.error(api, "slack.api_url", "must start with https:// or http://");
  }
}

// One `{users: [U…], groups: [S…]}` of `start:` (globally, per channel binding).
void read_start_rule(const YAML::Node& n, const std::string& path, ConfigReader& r, StartRule& rule) {
  if (!r.check_map(n, path, {"users", "groups"})) {
    return;
  }
  r.read_list(n, path, "users", rule.users);
  r.read_list(n, path, "groups", rule.groups);
  for (std::size_t i = 0; i < rule.users.size(); ++i) {
    if (const auto problem = slack_id_problem(rule.users[i], SlackIdKind::User); !problem.empty()) {
      r.error(n["users"][i], path + ".users", problem);
    }
  }
  for (std::size_t i = 0; i < rule.groups.size(); ++i) {
    if (const auto problem = slack_id_problem(rule.groups[i], SlackIdKind::UserGroup); !problem.empty()) {
      r.error(n["groups"][i], path + ".groups", problem);
    }
  }
}

// The kinds of work under a `start:` (triage, runbook, agent); `extra` are further keys allowed there.
void read_start_rules(const YAML::Node& n, const std::string& path, ConfigReader& r, StartRules& rules,
                      std::vector<std::string> extra = {}) {
  std::vector<std::string> known{"triage", "runbook", "agent"};
  known.insert(known.end(), extra.begin(), extra.end());
  if (!r.check_map(n, path, known)) {
    return;
  }
  const std::pair<const char*, StartRule*> kinds[] = {
      {"triage", &rules.triage}, {"runbook", &rules.runbook}, {"agent", &rules.agent}};
  for (const auto& [key, rule] : kinds) {
    if (const auto k = n[key]) {
      read_start_rule(k, path + "." + key, r, *rule);
    }
  }
}

// `{burst: N, every: 5m}`; `off` (or burst 0) turns the limit off.
void read_rate_limit(const YAML::Node& n, const std::string& path, ConfigReader& r, RateLimit& limit) {
  if (n.IsScalar() && (n.Scalar() == "off" || n.Scalar() == "false")) {
    limit = RateLimit{};
    return;
  }
  if (!r.check_map(n, path, {"burst", "every"})) {
    return;
  }
  r.read_int(n, path, "burst", 0, 10000, limit.burst);
  r.read_duration(n, path, "every", std::chrono::seconds(1), limit.every);
  if (limit.burst > 0 && limit.every.count() <= 0) {
    r.error(n, path + ".every", "a limit with a burst needs a pace, e.g. every: 5m");
  }
}

void read_start_limits(const YAML::Node& n, const std::string& path, ConfigReader& r, StartLimits& limits) {
  if (!r.check_map(n, path, {"per_user", "per_channel"})) {
    return;
  }
  if (const auto u = n["per_user"]) {
    read_rate_limit(u, path + ".per_user", r, limits.per_user);
  }
  if (const auto c = n["per_channel"]) {
    read_rate_limit(c, path + ".per_channel", r, limits.per_channel);
  }
}

// `start:`: who may start each kind of work, and `limits:` on agent and runbook runs.
void read_start(const YAML::Node& n, ConfigReader& r, StartConfig& start) {
  read_start_rules(n, "start", r, start.who, {"limits"});
  const auto limits = n.IsMap() ? n["limits"] : YAML::Node();
  if (!limits || !r.check_map(limits, "start.limits", {"agent", "runbook"})) {
    return;
  }
  if (const auto a = limits["agent"]) {
    read_start_limits(a, "start.limits.agent", r, start.agent);
  }
  if (const auto rb = limits["runbook"]) {
    read_start_limits(rb, "start.limits.runbook", r, start.runbook);
  }
}

// One entry of `channels:`; nullopt when it is not a mapping.
std::optional<ChannelBinding> read_channel(const YAML::Node& ch, const std::string& path, ConfigReader& r) {
  if (!r.check_map(ch, path, {"id", "name_pattern", "backend", "auto_triage", "alert_bots", "start", "cluster"})) {
    return std::nullopt;
  }
  ChannelBinding b;
  r.read_string(ch, path, "id", b.id);
  r.read_string(ch, path, "name_pattern", b.name_pattern);
  r.read_enum(ch, path, "backend", kBackends, b.backend);
  r.read_bool(ch, path, "auto_triage", b.auto_triage);
  r.read_list(ch, path, "alert_bots", b.alert_bots);
  r.read_string(ch, path, "cluster", b.cluster);
  if (const auto st = ch["start"]) {
    read_start_rules(st, path + ".start", r, b.start);
  }
  if (b.id.empty() && b.name_pattern.empty()) {
    r.error(ch, path, "needs an id (C…) or a name_pattern");
  }
  if (!b.id.empty() && (b.id.size() < 2 || (b.id[0] != 'C' && b.id[0] != 'G'))) {
    r.error(ch["id"], path + ".id", "a channel id starts with C or G (e.g. C0123ABCD)");
  } else if (const auto problem = slack_id_problem(b.id, SlackIdKind::Channel); !b.id.empty() && !problem.empty()) {
    r.warning(ch["id"], path + ".id", problem);
  }
  for (std::size_t j = 0; j < b.alert_bots.size(); ++j) {
    if (const auto problem = slack_id_problem(b.alert_bots[j], SlackIdKind::Bot); !problem.empty()) {
      r.warning(ch["alert_bots"][j], path + ".alert_bots",
                problem + "; alert_bots names the bot_id of the messages that are alerts");
    }
  }
  if (!b.name_pattern.empty()) {
    try {
      boost::regex re(b.name_pattern);
    } catch (const boost::regex_error& e) {
      r.error(ch["name_pattern"], path + ".name_pattern", std::string("invalid regular expression: ") + e.what());
    }
  }
  return b;
}

void read_channels(const YAML::Node& list, ConfigReader& r, std::vector<ChannelBinding>& channels) {
  if (!list.IsSequence()) {
    r.error(list, "channels", "expected a list of channel bindings");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto binding = read_channel(list[i], "channels[" + std::to_string(i) + "]", r)) {
      channels.push_back(std::move(*binding));
    }
  }
}

void read_approvals(const YAML::Node& a, ConfigReader& r, ApprovalsConfig& approvals, DeferredMarks& marks) {
  if (!r.check_map(a, "approvals",
                   {"users", "groups", "oncall", "expiry", "allow_self_approval", "two_approvers_for"})) {
    return;
  }
  if (const auto o = a["oncall"]) {
    read_oncall(o, r, approvals.oncall, marks);
  }
  r.read_list(a, "approvals", "users", approvals.users);
  r.read_list(a, "approvals", "groups", approvals.groups);
  r.read_duration(a, "approvals", "expiry", std::chrono::seconds(60), approvals.expiry);
  r.read_bool(a, "approvals", "allow_self_approval", approvals.allow_self_approval);
  r.read_list(a, "approvals", "two_approvers_for", approvals.two_approvers_for);
  for (std::size_t i = 0; i < approvals.users.size(); ++i) {
    if (const auto problem = slack_id_problem(approvals.users[i], SlackIdKind::User); !problem.empty()) {
      r.error(a["users"][i], "approvals.users", problem);
    }
  }
  for (std::size_t i = 0; i < approvals.groups.size(); ++i) {
    if (const auto problem = slack_id_problem(approvals.groups[i], SlackIdKind::UserGroup); !problem.empty()) {
      r.error(a["groups"][i], "approvals.groups", problem);
    }
  }
  for (std::size_t i = 0; i < approvals.two_approvers_for.size(); ++i) {
    const auto& risk = approvals.two_approvers_for[i];
    if (std::find(kRisks.begin(), kRisks.end(), risk) == kRisks.end()) {
      r.error(a["two_approvers_for"][i], "approvals.two_approvers_for",
              "'" + risk + "' is not a risk level (low, medium, high)");
    }
  }
}

void read_agent_kubernetes(const YAML::Node& k, ConfigReader& r, AgentKubernetesConfig& o) {
  const std::string path = "agent.kubernetes";
  if (!r.check_map(k, path,
                   {"namespace", "image", "service_account", "api_key_secret", "resources", "ttl_after_finished",
                    "poll", "api_server", "token_file", "ca_file"})) {
    return;
  }
  r.read_string(k, path, "namespace", o.namespace_name);
  r.read_string(k, path, "image", o.image);
  r.read_string(k, path, "service_account", o.service_account);
  r.read_string(k, path, "api_key_secret", o.api_key_secret);
  r.read_duration(k, path, "ttl_after_finished", std::chrono::seconds(0), o.ttl_after_finished);
  r.read_duration(k, path, "poll", std::chrono::seconds(1), o.poll);
  r.read_string(k, path, "api_server", o.api_server);
  r.read_string(k, path, "token_file", o.token_file);
  r.read_string(k, path, "ca_file", o.ca_file);
  if (const auto res = k["resources"]) {
    const std::string rp = path + ".resources";
    if (r.check_map(res, rp, {"cpu_request", "memory_request", "cpu_limit", "memory_limit", "workspace_size"})) {
      r.read_string(res, rp, "cpu_request", o.cpu_request);
      r.read_string(res, rp, "memory_request", o.memory_request);
      r.read_string(res, rp, "cpu_limit", o.cpu_limit);
      r.read_string(res, rp, "memory_limit", o.memory_limit);
      r.read_string(res, rp, "workspace_size", o.workspace_size);
    }
  }
  if (!o.api_server.empty() && !o.api_server.starts_with("https://") && !o.api_server.starts_with("http://")) {
    r.error(k["api_server"], path + ".api_server", "must be an http:// or https:// URL");
  }
}

void read_agent(const YAML::Node& g, ConfigReader& r, AgentConfig& agent, DeferredMarks& marks) {
  if (!r.check_map(g, "agent",
                   {"backend", "command", "timeout", "grace", "max_concurrent", "workspace_root", "retention",
                    "env_allowlist", "knowledge_dirs", "failure_threshold", "pause_for", "step_output_max_bytes",
                    "isolation", "kubernetes", "bwrap", "read_only_paths"})) {
    return;
  }
  r.read_enum(g, "agent", "isolation", {"auto", "bubblewrap", "none", "kubernetes"}, agent.isolation);
  if (const auto k = g["kubernetes"]) {
    read_agent_kubernetes(k, r, agent.kubernetes);
  }
  if (agent.isolation == "kubernetes" && agent.kubernetes.image.empty()) {
    r.error(g["isolation"], "agent.kubernetes.image", "agent.isolation: kubernetes needs the agent image");
  }
  r.read_string(g, "agent", "bwrap", agent.bwrap);
  r.read_list(g, "agent", "read_only_paths", agent.read_only_paths);
  if (const auto ro = g["read_only_paths"]; ro && ro.IsSequence()) {
    for (std::size_t i = 0; i < ro.size(); ++i) {
      marks.keep(ro[i], "agent.read_only_paths[" + std::to_string(i) + "]");
    }
  }
  r.read_enum(g, "agent", "backend", kBackends, agent.backend);
  r.read_list(g, "agent", "command", agent.command);
  r.read_duration(g, "agent", "timeout", std::chrono::seconds(1), agent.timeout);
  r.read_duration(g, "agent", "grace", std::chrono::seconds(0), agent.grace);
  r.read_int(g, "agent", "max_concurrent", 1, 256, agent.max_concurrent);
  r.read_string(g, "agent", "workspace_root", agent.workspace_root);
  r.read_int(g, "agent", "step_output_max_bytes", 1024, 1LL << 30, agent.step_output_max_bytes);
  r.read_list(g, "agent", "env_allowlist", agent.env_allowlist);
  r.read_list(g, "agent", "knowledge_dirs", agent.knowledge_dirs);
  if (const auto kd = g["knowledge_dirs"]; kd && kd.IsSequence()) {
    for (std::size_t i = 0; i < kd.size(); ++i) {
      marks.keep(kd[i], "agent.knowledge_dirs[" + std::to_string(i) + "]");
    }
  }
  r.read_int(g, "agent", "failure_threshold", 1, 100, agent.failure_threshold);
  r.read_duration(g, "agent", "pause_for", std::chrono::seconds(0), agent.pause_for);
  if (agent.backend == "command" && agent.command.empty()) {
    r.error(g["backend"], "agent.command", "the command backend needs agent.command (an argv list)");
  }
  if (agent.workspace_root.empty() || agent.workspace_root[0] != '/') {
    r.error(g["workspace_root"] ? g["workspace_root"] : g, "agent.workspace_root", "must be an absolute path");
  }
  if (const auto ret = g["retention"]) {
    if (r.check_map(ret, "agent.retention", {"succeeded_days", "failed_days", "max_total_bytes"})) {
      r.read_int(ret, "agent.retention", "succeeded_days", 0, 3650, agent.retention.succeeded_days);
      r.read_int(ret, "agent.retention", "failed_days", 0, 3650, agent.retention.failed_days);
      r.read_int(ret, "agent.retention", "max_total_bytes", 0, 1LL << 50, agent.retention.max_total_bytes);
    }
  }
}

bool is_cluster_name(const std::string& s) {
  static const boost::regex re("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");
  return boost::regex_match(s, re);
}

// The keys a cluster shares with the top-level `kubernetes:` (its identities and namespaces).
void read_cluster_identities(const YAML::Node& n, const std::string& path, ConfigReader& r, ClusterConfig& c) {
  r.read_string(n, path, "read_only_kubeconfig", c.read_only_kubeconfig);
  r.read_string(n, path, "remediation_kubeconfig", c.remediation_kubeconfig);
  r.read_string(n, path, "dry_run_kubeconfig", c.dry_run_kubeconfig);
  r.read_string(n, path, "read_only_context", c.read_only_context);
  r.read_string(n, path, "remediation_context", c.remediation_context);
  r.read_string(n, path, "dry_run_context", c.dry_run_context);
  r.read_list(n, path, "namespaces", c.namespaces);
  for (std::size_t i = 0; i < c.namespaces.size(); ++i) {
    if (!is_cluster_name(c.namespaces[i]) || c.namespaces[i].find_first_of("_.") != std::string::npos) {
      r.error(n["namespaces"][i], path + ".namespaces", "'" + c.namespaces[i] + "' is not a namespace name");
    }
  }
  for (const char* key : {"read_only_context", "remediation_context", "dry_run_context"}) {
    const auto v = n[key];
    if (v && v.IsScalar() &&
        (v.Scalar().empty() || v.Scalar()[0] == '-' || v.Scalar().find('\n') != std::string::npos)) {
      r.error(v, path + "." + key, "expected a context name from the kubeconfig");
    }
  }
  if (!c.read_only_kubeconfig.empty() && c.read_only_kubeconfig == c.remediation_kubeconfig) {
    r.error(n["remediation_kubeconfig"], path + ".remediation_kubeconfig",
            "must differ from read_only_kubeconfig: investigation never gets write credentials");
  }
}

void read_clusters(const YAML::Node& list, ConfigReader& r, KubernetesConfig& kubernetes) {
  if (!list.IsSequence()) {
    r.error(list, "kubernetes.clusters", "expected a list of clusters");
    return;
  }
  std::set<std::string> names;
  if (!kubernetes.read_only_kubeconfig.empty()) {
    names.insert(kubernetes.cluster);  // the top-level keys are a cluster too
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto path = "kubernetes.clusters[" + std::to_string(i) + "]";
    if (!r.check_map(list[i], path,
                     {"name", "read_only_kubeconfig", "remediation_kubeconfig", "dry_run_kubeconfig",
                      "read_only_context", "remediation_context", "dry_run_context", "namespaces"})) {
      continue;
    }
    ClusterConfig c;
    r.read_string(list[i], path, "name", c.name);
    read_cluster_identities(list[i], path, r, c);
    if (!is_cluster_name(c.name)) {
      r.error(list[i]["name"] ? list[i]["name"] : list[i], path + ".name",
              "expected a cluster name (lower case letters, digits, '-', '_' and '.'; at most 63)");
    } else if (!names.insert(c.name).second) {
      r.error(list[i]["name"], path + ".name", "'" + c.name + "' names another cluster already");
    }
    if (c.read_only_kubeconfig.empty() || c.remediation_kubeconfig.empty()) {
      r.error(list[i], path, "needs read_only_kubeconfig and remediation_kubeconfig");
    }
    kubernetes.clusters.push_back(std::move(c));
  }
}

void read_kubernetes(const YAML::Node& k, ConfigReader& r, KubernetesConfig& kubernetes, DeferredMarks& marks) {
  if (!r.check_map(
          k, "kubernetes",
          {"enabled", "kubectl", "read_only_kubeconfig", "remediation_kubeconfig", "dry_run_kubeconfig",
           "read_only_context", "remediation_context", "dry_run_context", "namespaces", "cluster", "clusters"})) {
    return;
  }
  r.read_bool(k, "kubernetes", "enabled", kubernetes.enabled);
  r.read_string(k, "kubernetes", "kubectl", kubernetes.kubectl);
  ClusterConfig top;
  read_cluster_identities(k, "kubernetes", r, top);
  kubernetes.read_only_kubeconfig = top.read_only_kubeconfig;
  kubernetes.remediation_kubeconfig = top.remediation_kubeconfig;
  kubernetes.dry_run_kubeconfig = top.dry_run_kubeconfig;
  kubernetes.read_only_context = top.read_only_context;
  kubernetes.remediation_context = top.remediation_context;
  kubernetes.dry_run_context = top.dry_run_context;
  kubernetes.namespaces = top.namespaces;
  marks.keep(k["read_only_kubeconfig"], "kubernetes.read_only_kubeconfig");
  marks.keep(k["remediation_kubeconfig"], "kubernetes.remediation_kubeconfig");
  marks.keep(k["enabled"] ? k["enabled"] : k, "kubernetes.enabled");
  r.read_string(k, "kubernetes", "cluster", kubernetes.cluster);
  if (!is_cluster_name(kubernetes.cluster)) {
    r.error(k["cluster"], "kubernetes.cluster",
            "expected a cluster name (lower case letters, digits, '-', '_' and '.'; at most 63)");
  }
  if (const auto list = k["clusters"]) {
    read_clusters(list, r, kubernetes);
    for (std::size_t i = 0; i < kubernetes.clusters.size() && i < list.size(); ++i) {
      const auto base = "kubernetes.clusters[" + std::to_string(i) + "]";
      marks.keep(list[i]["read_only_kubeconfig"], base + ".read_only_kubeconfig");
      marks.keep(list[i]["remediation_kubeconfig"], base + ".remediation_kubeconfig");
    }
  }
}

// A channel's `cluster` names one of the configured clusters.
void check_channel_clusters(const YAML::Node& list, ConfigReader& r, const Config& c) {
  for (std::size_t i = 0; i < c.channels.size() && i < list.size(); ++i) {
    const auto& want = c.channels[i].cluster;
    if (!want.empty() && !c.kubernetes.find_cluster(want)) {
      r.error(list[i]["cluster"], "channels[" + std::to_string(i) + "].cluster",
              "'" + want + "' is not a configured cluster (" + c.kubernetes.cluster_names() + ")");
    }
  }
}

// The probe listener and what one client may hold of a listener (issue 21: a listener that slow
// clients cannot starve).
void read_http_listener_limits(const YAML::Node& h, ConfigReader& r, HttpConfig& http) {
  r.read_string(h, "http", "probe_listen", http.probe_listen);
  if (h["probe_listen"] && !http.probe_listen.empty() && !valid_listen_address(http.probe_listen)) {
    r.error(h["probe_listen"], "http.probe_listen", "expected host:port, e.g. 0.0.0.0:9091 (empty: no probe listener)");
  }
  r.read_int(h, "http", "max_connections", 16, 100'000, http.max_connections);
  r.read_int(h, "http", "max_connections_per_client", 0, 100'000, http.max_connections_per_client);
  r.read_duration(h, "http", "first_byte_timeout", std::chrono::seconds(1), http.first_byte_timeout);
  r.read_duration(h, "http", "header_timeout", std::chrono::seconds(1), http.header_timeout);
}

void read_http(const YAML::Node& h, ConfigReader& r, HttpConfig& http, DeferredMarks& marks) {
  if (!r.check_map(h, "http",
                   {"listen", "alertmanager_token_file", "pagerduty_secrets_file", "opsgenie_token_file",
                    "grafana_token_file", "alert_channel", "max_body_bytes", "alertmanager_token", "pagerduty_secrets",
                    "opsgenie_token", "grafana_token", "probe_listen", "max_connections", "max_connections_per_client",
                    "first_byte_timeout", "header_timeout"})) {
    return;
  }
  r.read_string(h, "http", "listen", http.listen);
  if (h["listen"] && !valid_listen_address(http.listen)) {
    r.error(h["listen"], "http.listen", "expected host:port, e.g. 127.0.0.1:9090");
  }
  r.refuse_inline_secret(h, "http", "alertmanager_token", "VIGIL_ALERTMANAGER_TOKEN", "http.alertmanager_token_file");
  r.refuse_inline_secret(h, "http", "pagerduty_secrets", "VIGIL_PAGERDUTY_WEBHOOK_SECRETS",
                         "http.pagerduty_secrets_file");
  r.refuse_inline_secret(h, "http", "opsgenie_token", "VIGIL_OPSGENIE_TOKEN", "http.opsgenie_token_file");
  r.refuse_inline_secret(h, "http", "grafana_token", "VIGIL_GRAFANA_TOKEN", "http.grafana_token_file");
  r.read_secret_file(h, "http", "alertmanager_token_file", http.alertmanager_token_file, http.alertmanager_token);
  std::string pd;
  r.read_secret_file(h, "http", "pagerduty_secrets_file", http.pagerduty_secrets_file, pd);
  if (!pd.empty()) {
    std::istringstream lines(pd);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) {
        http.pagerduty_secrets.push_back(line);
      }
    }
  }
  r.read_secret_file(h, "http", "opsgenie_token_file", http.opsgenie_token_file, http.opsgenie_token);
  r.read_secret_file(h, "http", "grafana_token_file", http.grafana_token_file, http.grafana_token);
  r.read_string(h, "http", "alert_channel", http.alert_channel);
  if (const auto problem = slack_id_problem(http.alert_channel, SlackIdKind::Channel);
      !http.alert_channel.empty() && !problem.empty()) {
    r.warning(h["alert_channel"], "http.alert_channel",
              problem + "; webhook alerts are posted there, and Slack's API takes the id");
  }
  marks.keep(h["alert_channel"] ? h["alert_channel"] : h, "http.alert_channel");
  r.read_int(h, "http", "max_body_bytes", 1024, 64LL * 1024 * 1024, http.max_body_bytes);
  read_http_listener_limits(h, r, http);
}

void read_redaction(const YAML::Node& red, ConfigReader& r, RedactionConfig& redaction) {
  if (!r.check_map(red, "redaction", {"patterns"})) {
    return;
  }
  r.read_list(red, "redaction", "patterns", redaction.patterns);
  for (std::size_t i = 0; i < redaction.patterns.size(); ++i) {
    try {
      boost::regex re(redaction.patterns[i], boost::regex::perl);
    } catch (const boost::regex_error& e) {
      r.error(red["patterns"][i], "redaction.patterns", std::string("invalid regular expression: ") + e.what());
    }
  }
}

void read_data_retention(const YAML::Node& ret, ConfigReader& r, DataRetentionConfig& retention) {
  const char* path = "storage.retention";
  if (!r.check_map(ret, path, {"enabled", "runs", "incidents", "webhook_deliveries", "audit", "batch_rows", "every"})) {
    return;
  }
  const std::chrono::seconds day(86400);
  r.read_bool(ret, path, "enabled", retention.enabled);
  r.read_duration(ret, path, "runs", day, retention.runs);
  r.read_duration(ret, path, "incidents", day, retention.incidents);
  r.read_duration(ret, path, "webhook_deliveries", std::chrono::seconds(3600), retention.webhook_deliveries);
  r.read_duration(ret, path, "audit", day, retention.audit);
  r.read_int(ret, path, "batch_rows", 10, 100000, retention.batch_rows);
  r.read_duration(ret, path, "every", std::chrono::seconds(60), retention.every);
  const auto shorter = std::max({retention.runs, retention.incidents, retention.webhook_deliveries});
  if (retention.audit < shorter) {
    r.warning(ret["audit"] ? ret["audit"] : ret, "storage.retention.audit",
              "is shorter than another kind's retention: the audit log outlives what it audits only when it "
              "is kept longest");
  }
}

void read_storage(const YAML::Node& st, ConfigReader& r, StorageConfig& storage) {
  if (!r.check_map(st, "storage",
                   {"database", "processed_event_ttl", "retention", "postgres_dsn", "postgres_dsn_file"})) {
    return;
  }
  r.read_string(st, "storage", "database", storage.database);
  // A DSN without a password (PGPASSFILE, client certificates) may sit in the file; one with a
  // password is a secret like any other.
  r.read_string(st, "storage", "postgres_dsn", storage.postgres_dsn);
  if (!sql::dsn_password(storage.postgres_dsn).empty()) {
    r.error(st["postgres_dsn"], "storage.postgres_dsn",
            "this DSN holds a password, and secrets are not read from the configuration file; set "
            "VIGIL_POSTGRES_DSN or storage.postgres_dsn_file");
    storage.postgres_dsn.clear();
  }
  if (st["postgres_dsn"] && st["postgres_dsn_file"]) {
    r.error(st["postgres_dsn_file"], "storage.postgres_dsn_file", "set storage.postgres_dsn or this, not both");
  }
  r.read_secret_file(st, "storage", "postgres_dsn_file", storage.postgres_dsn_file, storage.postgres_dsn);
  r.read_duration(st, "storage", "processed_event_ttl", std::chrono::seconds(600), storage.processed_event_ttl);
  if (storage.database.empty()) {
    r.error(st["database"] ? st["database"] : st, "storage.database", "must not be empty");
  }
  if (const auto ret = st["retention"]) {
    read_data_retention(ret, r, storage.retention);
  }
}

void read_logging(const YAML::Node& lg, ConfigReader& r, LoggingConfig& logging) {
  if (!r.check_map(lg, "logging", {"level", "format"})) {
    return;
  }
  r.read_enum(lg, "logging", "level", {"trace", "debug", "info", "warn", "error", "critical", "off"}, logging.level);
  r.read_enum(lg, "logging", "format", {"text", "json"}, logging.format);
}

void read_skills(const YAML::Node& sk, ConfigReader& r, SkillsConfig& skills, DeferredMarks& marks) {
  if (!r.check_map(sk, "skills", {"dirs"})) {
    return;
  }
  if (sk["dirs"]) {
    skills.shipped = false;
    r.read_list(sk, "skills", "dirs", skills.dirs);
    if (const auto dirs = sk["dirs"]; dirs.IsSequence()) {
      for (std::size_t i = 0; i < dirs.size(); ++i) {
        marks.keep(dirs[i], "skills.dirs[" + std::to_string(i) + "]");
      }
    }
  }
}

void read_incidents(const YAML::Node& in, ConfigReader& r, IncidentsConfig& incidents) {
  if (!r.check_map(in, "incidents", {"create_channel", "channel_prefix"})) {
    return;
  }
  r.read_bool(in, "incidents", "create_channel", incidents.create_channel);
  r.read_string(in, "incidents", "channel_prefix", incidents.channel_prefix);
  // Slack channel names: lower case letters, digits, - and _; the date and slug follow.
  static const boost::regex kPrefix("[a-z0-9][a-z0-9_-]{0,19}");
  if (!boost::regex_match(incidents.channel_prefix, kPrefix)) {
    r.error(in["channel_prefix"] ? in["channel_prefix"] : in, "incidents.channel_prefix",
            "must be 1-20 lower-case letters, digits, - or _ (Slack channel name rules)");
  }
}

}  // namespace

// Every section of the file, each read and checked by its own function above.
void read_document(const YAML::Node& root, ConfigReader& r, Config& c, DeferredMarks& marks) {
  if (!root || root.IsNull()) {
    return;
  }
  if (!r.check_map(root, "",
                   {"slack", "channels", "approvals", "agent", "kubernetes", "http", "pagerduty", "opsgenie",
                    "alertmanager", "redaction", "storage", "logging", "skills", "incidents", "start"})) {
    return;
  }
  if (const auto s = root["slack"]) {
    read_slack(s, r, c.slack);
  }
  if (const auto list = root["channels"]) {
    read_channels(list, r, c.channels);
  }
  if (const auto a = root["approvals"]) {
    read_approvals(a, r, c.approvals, marks);
  }
  if (const auto g = root["agent"]) {
    read_agent(g, r, c.agent, marks);
  }
  if (const auto k = root["kubernetes"]) {
    read_kubernetes(k, r, c.kubernetes, marks);
  }
  if (const auto h = root["http"]) {
    read_http(h, r, c.http, marks);
  }
  if (const auto p = root["pagerduty"]) {
    read_pagerduty(p, r, c.pagerduty, marks);
  }
  if (const auto g = root["opsgenie"]) {
    read_opsgenie(g, r, c.opsgenie, marks);
  }
  if (const auto a = root["alertmanager"]) {
    read_alertmanager(a, r, c.alertmanager);
  }
  if (const auto red = root["redaction"]) {
    read_redaction(red, r, c.redaction);
  }
  if (const auto st = root["storage"]) {
    read_storage(st, r, c.storage);
  }
  if (const auto lg = root["logging"]) {
    read_logging(lg, r, c.logging);
  }
  // A `skills:` with every key commented out (as in the example) leaves the default.
  if (const auto sk = root["skills"]; sk && !sk.IsNull()) {
    read_skills(sk, r, c.skills, marks);
  }
  if (const auto in = root["incidents"]) {
    read_incidents(in, r, c.incidents);
  }
  if (const auto st = root["start"]) {
    read_start(st, r, c.start);
  }
  if (const auto list = root["channels"]; list && list.IsSequence()) {
    check_channel_clusters(list, r, c);
  }
}

}  // namespace vigil::config_detail
