// `vigil config show`: the effective configuration as YAML, one function per section, every secret
// shown as *** (set) or empty (not set).
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bot/core/config.h"
#include "bot/store/sql_dialect.h"

namespace vigil {
namespace {

std::string masked(const std::string& value) {
  return value.empty() ? std::string() : std::string("***");
}

void emit_list(YAML::Emitter& out, const std::vector<std::string>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : values) {
    out << s;
  }
  out << YAML::EndSeq;
}

void emit_slack(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "slack" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app_token" << YAML::Value << masked(c.slack.app_token);
  out << YAML::Key << "bot_token" << YAML::Value << masked(c.slack.bot_token);
  out << YAML::Key << "app_token_file" << YAML::Value << c.slack.app_token_file;
  out << YAML::Key << "bot_token_file" << YAML::Value << c.slack.bot_token_file;
  out << YAML::Key << "api_url" << YAML::Value << c.slack.api_url;
  out << YAML::Key << "connections" << YAML::Value << c.slack.connections;
  out << YAML::Key << "pong_timeout" << YAML::Value << (std::to_string(c.slack.pong_timeout.count()) + "s");
  out << YAML::EndMap;
}

void emit_start_rule(YAML::Emitter& out, const char* key, const StartRule& rule) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "users" << YAML::Value;
  emit_list(out, rule.users);
  out << YAML::Key << "groups" << YAML::Value;
  emit_list(out, rule.groups);
  out << YAML::EndMap;
}

// The kinds that are restricted (`all`: every kind, as the global `start:` shows them).
void emit_start_rules(YAML::Emitter& out, const StartRules& rules, bool all) {
  const std::pair<const char*, const StartRule*> kinds[] = {
      {"triage", &rules.triage}, {"runbook", &rules.runbook}, {"agent", &rules.agent}};
  for (const auto& [key, rule] : kinds) {
    if (all || rule->restricted()) {
      emit_start_rule(out, key, *rule);
    }
  }
}

void emit_rate_limit(YAML::Emitter& out, const char* key, const RateLimit& limit) {
  out << YAML::Key << key << YAML::Value;
  if (!limit.enabled()) {
    out << "off";
    return;
  }
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "burst" << YAML::Value << limit.burst;
  out << YAML::Key << "every" << YAML::Value << (std::to_string(limit.every.count()) + "s");
  out << YAML::EndMap;
}

void emit_start(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "start" << YAML::Value << YAML::BeginMap;
  emit_start_rules(out, c.start.who, true);
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  const std::pair<const char*, const StartLimits*> kinds[] = {{"agent", &c.start.agent}, {"runbook", &c.start.runbook}};
  for (const auto& [key, limits] : kinds) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    emit_rate_limit(out, "per_user", limits->per_user);
    emit_rate_limit(out, "per_channel", limits->per_channel);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
}

void emit_channels(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "channels" << YAML::Value << YAML::BeginSeq;
  for (const auto& b : c.channels) {
    out << YAML::BeginMap;
    if (!b.id.empty())
      out << YAML::Key << "id" << YAML::Value << b.id;
    if (!b.name_pattern.empty())
      out << YAML::Key << "name_pattern" << YAML::Value << b.name_pattern;
    out << YAML::Key << "backend" << YAML::Value << (b.backend.empty() ? c.agent.backend : b.backend);
    out << YAML::Key << "auto_triage" << YAML::Value << b.auto_triage;
    out << YAML::Key << "alert_bots" << YAML::Value;
    emit_list(out, b.alert_bots);
    if (!b.cluster.empty()) {
      out << YAML::Key << "cluster" << YAML::Value << b.cluster;
    }
    if (b.start.triage.restricted() || b.start.runbook.restricted() || b.start.agent.restricted()) {
      out << YAML::Key << "start" << YAML::Value << YAML::BeginMap;
      emit_start_rules(out, b.start, false);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emit_approvals(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "approvals" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "users" << YAML::Value;
  emit_list(out, c.approvals.users);
  out << YAML::Key << "groups" << YAML::Value;
  emit_list(out, c.approvals.groups);
  if (c.approvals.oncall.enabled()) {
    out << YAML::Key << "oncall" << YAML::Value << YAML::BeginMap;
    if (!c.approvals.oncall.pagerduty_schedule.empty()) {
      out << YAML::Key << "pagerduty_schedule" << YAML::Value << c.approvals.oncall.pagerduty_schedule;
    }
    if (!c.approvals.oncall.opsgenie_schedule.empty()) {
      out << YAML::Key << "opsgenie_schedule" << YAML::Value << c.approvals.oncall.opsgenie_schedule;
    }
    out << YAML::Key << "cache" << YAML::Value << (std::to_string(c.approvals.oncall.cache.count()) + "s");
    out << YAML::Key << "max_stale" << YAML::Value << (std::to_string(c.approvals.oncall.max_stale.count()) + "s");
    out << YAML::EndMap;
  }
  out << YAML::Key << "expiry" << YAML::Value << (std::to_string(c.approvals.expiry.count()) + "s");
  out << YAML::Key << "allow_self_approval" << YAML::Value << c.approvals.allow_self_approval;
  out << YAML::Key << "two_approvers_for" << YAML::Value;
  emit_list(out, c.approvals.two_approvers_for);
  out << YAML::EndMap;
}

void emit_agent_kubernetes(YAML::Emitter& out, const AgentKubernetesConfig& k) {
  out << YAML::Key << "kubernetes" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "namespace" << YAML::Value << k.namespace_name;
  out << YAML::Key << "image" << YAML::Value << k.image;
  out << YAML::Key << "service_account" << YAML::Value << k.service_account;
  out << YAML::Key << "api_key_secret" << YAML::Value << k.api_key_secret;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cpu_request" << YAML::Value << k.cpu_request;
  out << YAML::Key << "memory_request" << YAML::Value << k.memory_request;
  out << YAML::Key << "cpu_limit" << YAML::Value << k.cpu_limit;
  out << YAML::Key << "memory_limit" << YAML::Value << k.memory_limit;
  out << YAML::Key << "workspace_size" << YAML::Value << k.workspace_size;
  out << YAML::EndMap;
  out << YAML::Key << "ttl_after_finished" << YAML::Value << (std::to_string(k.ttl_after_finished.count()) + "s");
  out << YAML::Key << "poll" << YAML::Value << (std::to_string(k.poll.count()) + "s");
  out << YAML::Key << "api_server" << YAML::Value << k.api_server;
  out << YAML::Key << "token_file" << YAML::Value << k.token_file;
  out << YAML::Key << "ca_file" << YAML::Value << k.ca_file;
  out << YAML::EndMap;
}

void emit_agent(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "agent" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "backend" << YAML::Value << c.agent.backend;
  out << YAML::Key << "command" << YAML::Value;
  emit_list(out, c.agent.command);
  out << YAML::Key << "timeout" << YAML::Value << (std::to_string(c.agent.timeout.count()) + "s");
  out << YAML::Key << "grace" << YAML::Value << (std::to_string(c.agent.grace.count()) + "s");
  out << YAML::Key << "max_concurrent" << YAML::Value << c.agent.max_concurrent;
  out << YAML::Key << "workspace_root" << YAML::Value << c.agent.workspace_root;
  out << YAML::Key << "step_output_max_bytes" << YAML::Value << c.agent.step_output_max_bytes;
  out << YAML::Key << "retention" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "succeeded_days" << YAML::Value << c.agent.retention.succeeded_days;
  out << YAML::Key << "failed_days" << YAML::Value << c.agent.retention.failed_days;
  out << YAML::Key << "max_total_bytes" << YAML::Value << c.agent.retention.max_total_bytes;
  out << YAML::EndMap;
  out << YAML::Key << "env_allowlist" << YAML::Value;
  emit_list(out, c.agent.env_allowlist);
  out << YAML::Key << "knowledge_dirs" << YAML::Value;
  emit_list(out, c.agent.knowledge_dirs);
  out << YAML::Key << "failure_threshold" << YAML::Value << c.agent.failure_threshold;
  out << YAML::Key << "pause_for" << YAML::Value << (std::to_string(c.agent.pause_for.count()) + "s");
  out << YAML::Key << "isolation" << YAML::Value << c.agent.isolation;
  out << YAML::Key << "bwrap" << YAML::Value << c.agent.bwrap;
  out << YAML::Key << "read_only_paths" << YAML::Value;
  emit_list(out, c.agent.read_only_paths);
  emit_agent_kubernetes(out, c.agent.kubernetes);
  out << YAML::EndMap;
}

void emit_kubernetes(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "kubernetes" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << c.kubernetes.enabled;
  out << YAML::Key << "kubectl" << YAML::Value << c.kubernetes.kubectl;
  out << YAML::Key << "read_only_kubeconfig" << YAML::Value << c.kubernetes.read_only_kubeconfig;
  out << YAML::Key << "remediation_kubeconfig" << YAML::Value << c.kubernetes.remediation_kubeconfig;
  out << YAML::Key << "dry_run_kubeconfig" << YAML::Value << c.kubernetes.dry_run_kubeconfig;
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"read_only_context", &c.kubernetes.read_only_context},
        {"remediation_context", &c.kubernetes.remediation_context},
        {"dry_run_context", &c.kubernetes.dry_run_context}}) {
    if (!value->empty()) {
      out << YAML::Key << key << YAML::Value << *value;
    }
  }
  if (!c.kubernetes.namespaces.empty()) {
    out << YAML::Key << "namespaces" << YAML::Value << YAML::Flow << c.kubernetes.namespaces;
  }
  out << YAML::Key << "cluster" << YAML::Value << c.kubernetes.cluster;
  if (!c.kubernetes.clusters.empty()) {
    out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
    for (const auto& cl : c.kubernetes.clusters) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << cl.name;
      out << YAML::Key << "read_only_kubeconfig" << YAML::Value << cl.read_only_kubeconfig;
      out << YAML::Key << "remediation_kubeconfig" << YAML::Value << cl.remediation_kubeconfig;
      for (const auto& [key, value] :
           {std::pair<const char*, const std::string*>{"dry_run_kubeconfig", &cl.dry_run_kubeconfig},
            {"read_only_context", &cl.read_only_context},
            {"remediation_context", &cl.remediation_context},
            {"dry_run_context", &cl.dry_run_context}}) {
        if (!value->empty()) {
          out << YAML::Key << key << YAML::Value << *value;
        }
      }
      if (!cl.namespaces.empty()) {
        out << YAML::Key << "namespaces" << YAML::Value << YAML::Flow << cl.namespaces;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_http(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << c.http.listen;
  out << YAML::Key << "alertmanager_token" << YAML::Value << masked(c.http.alertmanager_token);
  out << YAML::Key << "pagerduty_secrets" << YAML::Value
      << (c.http.pagerduty_secrets.empty() ? std::string()
                                           : std::to_string(c.http.pagerduty_secrets.size()) + " × ***");
  out << YAML::Key << "opsgenie_token" << YAML::Value << masked(c.http.opsgenie_token);
  out << YAML::Key << "grafana_token" << YAML::Value << masked(c.http.grafana_token);
  out << YAML::Key << "alert_channel" << YAML::Value << c.http.alert_channel;
  out << YAML::Key << "max_body_bytes" << YAML::Value << c.http.max_body_bytes;
  out << YAML::Key << "probe_listen" << YAML::Value << c.http.probe_listen;
  out << YAML::Key << "max_connections" << YAML::Value << c.http.max_connections;
  out << YAML::Key << "max_connections_per_client" << YAML::Value << c.http.max_connections_per_client;
  out << YAML::Key << "first_byte_timeout" << YAML::Value << (std::to_string(c.http.first_byte_timeout.count()) + "s");
  out << YAML::Key << "header_timeout" << YAML::Value << (std::to_string(c.http.header_timeout.count()) + "s");
  out << YAML::EndMap;
}

void emit_pagerduty(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "pagerduty" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "api_url" << YAML::Value << c.pagerduty.api_url;
  out << YAML::Key << "api_token" << YAML::Value << masked(c.pagerduty.api_token);
  out << YAML::Key << "api_token_file" << YAML::Value << c.pagerduty.api_token_file;
  out << YAML::Key << "notes" << YAML::Value << c.pagerduty.notes;
  out << YAML::Key << "from_email" << YAML::Value << c.pagerduty.from_email;
  out << YAML::EndMap;
}

void emit_opsgenie(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "opsgenie" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "api_url" << YAML::Value << c.opsgenie.api_url;
  out << YAML::Key << "api_key" << YAML::Value << masked(c.opsgenie.api_key);
  out << YAML::Key << "api_key_file" << YAML::Value << c.opsgenie.api_key_file;
  out << YAML::Key << "notes" << YAML::Value << c.opsgenie.notes;
  out << YAML::EndMap;
}

void emit_alertmanager(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "alertmanager" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << c.alertmanager.url;
  out << YAML::Key << "api_token" << YAML::Value << masked(c.alertmanager.api_token);
  out << YAML::Key << "api_token_file" << YAML::Value << c.alertmanager.api_token_file;
  out << YAML::EndMap;
}

void emit_redaction(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "redaction" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "patterns" << YAML::Value;
  emit_list(out, c.redaction.patterns);
  out << YAML::EndMap;
}

void emit_storage(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "database" << YAML::Value << c.storage.database;
  if (c.storage.postgres()) {  // the data is here, not in the file above; never with its password
    out << YAML::Key << "postgres_dsn" << YAML::Value << sql::redacted_dsn(c.storage.postgres_dsn);
  }
  if (!c.storage.postgres_dsn_file.empty()) {
    out << YAML::Key << "postgres_dsn_file" << YAML::Value << c.storage.postgres_dsn_file;
  }
  out << YAML::Key << "processed_event_ttl" << YAML::Value
      << (std::to_string(c.storage.processed_event_ttl.count()) + "s");
  const auto& ret = c.storage.retention;
  const auto seconds = [](std::chrono::seconds s) { return std::to_string(s.count()) + "s"; };
  out << YAML::Key << "retention" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << ret.enabled;
  out << YAML::Key << "runs" << YAML::Value << seconds(ret.runs);
  out << YAML::Key << "incidents" << YAML::Value << seconds(ret.incidents);
  out << YAML::Key << "webhook_deliveries" << YAML::Value << seconds(ret.webhook_deliveries);
  out << YAML::Key << "audit" << YAML::Value << seconds(ret.audit);
  out << YAML::Key << "batch_rows" << YAML::Value << ret.batch_rows;
  out << YAML::Key << "every" << YAML::Value << seconds(ret.every);
  out << YAML::EndMap;
  out << YAML::EndMap;
}

void emit_logging(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << c.logging.level;
  out << YAML::Key << "format" << YAML::Value << c.logging.format;
  out << YAML::EndMap;
}

void emit_skills(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "skills" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dirs" << YAML::Value;
  emit_list(out, c.skills.dirs);
  out << YAML::EndMap;
}

void emit_incidents(YAML::Emitter& out, const Config& c) {
  out << YAML::Key << "incidents" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "create_channel" << YAML::Value << c.incidents.create_channel;
  out << YAML::Key << "channel_prefix" << YAML::Value << c.incidents.channel_prefix;
  out << YAML::EndMap;
}

}  // namespace

std::string render_config(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  emit_slack(out, c);
  emit_channels(out, c);
  emit_approvals(out, c);
  emit_start(out, c);
  emit_agent(out, c);
  emit_kubernetes(out, c);
  emit_http(out, c);
  emit_pagerduty(out, c);
  emit_opsgenie(out, c);
  emit_alertmanager(out, c);
  emit_redaction(out, c);
  emit_storage(out, c);
  emit_logging(out, c);
  emit_skills(out, c);
  emit_incidents(out, c);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace vigil
