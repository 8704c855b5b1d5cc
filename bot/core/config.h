#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil {

/// The process environment as a map, so tests can hand in their own.
using Environment = std::map<std::string, std::string>;
Environment current_environment();

struct SlackConfig {
  std::string app_token;  // xapp-…, from SLACK_APP_TOKEN or app_token_file
  std::string bot_token;  // xoxb-…, from SLACK_BOT_TOKEN or bot_token_file
  std::string app_token_file;
  std::string bot_token_file;
  std::string api_url = "https://slack.com/api/";
  int connections = 2;
  /// A socket with nothing received (no frame, no pong) for this long is dead and replaced; a ping
  /// goes out after half of it.
  std::chrono::seconds pong_timeout{15};
  bool has_tokens() const { return !app_token.empty() && !bot_token.empty(); }
};

/// Who may start one kind of work: Slack users (U…) and user groups (S…). Neither set: everyone.
struct StartRule {
  std::vector<std::string> users;   // U… or W…
  std::vector<std::string> groups;  // S… (resolved like approvals.groups)
  bool restricted() const { return !users.empty() || !groups.empty(); }
};

/// Who may start each kind of work. In a channel binding, a kind that is set replaces the global rule
/// for that kind; a kind left unset there falls back to the global `start:`.
struct StartRules {
  StartRule triage;   // `/triage <text>` and `@vigil <text>` (automatic triage of alerts is no person starting)
  StartRule runbook;  // `/runbook run` and the parameters form
  StartRule agent;    // any run on an agent backend (claude-code, codex, gemini, command), on top of triage
};

/// A token bucket: `burst` starts at once, then one more every `every`. burst 0: no limit.
struct RateLimit {
  int burst = 0;
  std::chrono::seconds every{0};
  bool enabled() const { return burst > 0 && every.count() > 0; }
};

/// The limits on one kind of run, for each person and for each channel.
struct StartLimits {
  RateLimit per_user;
  RateLimit per_channel;
};

/// `start:` — who may start work, and how often (issue 21).
struct StartConfig {
  StartRules who;  // the keys triage, runbook and agent
  StartLimits agent{{5, std::chrono::minutes(5)}, {10, std::chrono::minutes(2)}};
  StartLimits runbook;  // off unless configured
};

struct ChannelBinding {
  std::string id;            // C… (exact), or empty
  std::string name_pattern;  // regular expression on the channel name, or empty
  std::string backend;       // empty: agent.backend
  bool auto_triage = true;
  std::vector<std::string> alert_bots;  // bot ids whose messages are alerts; empty: any bot
  StartRules start;                     // who may start work here; unset kinds: the global `start:`
  std::string cluster;                  // the cluster runs here use (kubernetes.clusters); empty: default
};

/// Whoever is on call now in one PagerDuty or OpsGenie schedule may approve too.
struct OnCallConfig {
  std::string pagerduty_schedule;  // P… (needs pagerduty.api_token)
  std::string opsgenie_schedule;   // id or name (needs opsgenie.api_key)
  std::chrono::seconds cache{60};  // how long an answer is reused
  /// After a failed lookup the last good answer is used while it is younger than this; after that
  /// only the configured users and groups can approve (fail closed).
  std::chrono::seconds max_stale{15 * 60};
  bool enabled() const { return !pagerduty_schedule.empty() || !opsgenie_schedule.empty(); }
};

struct ApprovalsConfig {
  std::vector<std::string> users;   // U…
  std::vector<std::string> groups;  // S… (Slack user groups)
  OnCallConfig oncall;
  std::chrono::seconds expiry{30 * 60};
  bool allow_self_approval = false;
  std::vector<std::string> two_approvers_for{"high"};  // risk levels that need two approvers
};

struct RetentionConfig {
  int succeeded_days = 7;
  int failed_days = 30;
  long long max_total_bytes = 5LL * 1024 * 1024 * 1024;
};

/// `agent.kubernetes`: where agent Pods run when agent.isolation is kubernetes (one Job per turn).
struct AgentKubernetesConfig {
  std::string namespace_name = "vigil-agents";
  std::string image;                                    // the agent image (deploy/Dockerfile.agent); required
  std::string service_account = "vigil-agent";          // bound to the read-only ClusterRole
  std::string api_key_secret = "vigil-agent-api-keys";  // the agents' own API keys, nothing of Vigil's
  std::string cpu_request = "250m";
  std::string memory_request = "512Mi";
  std::string cpu_limit = "2";
  std::string memory_limit = "2Gi";
  std::string workspace_size = "1Gi";
  std::chrono::seconds ttl_after_finished{3600};
  std::chrono::seconds poll{2};  // how often the Pod's phase and log are read
  // The API server and Vigil's credentials there; empty api_server: in-cluster
  // (KUBERNETES_SERVICE_HOST/PORT and the mounted ServiceAccount's token and CA).
  std::string api_server;
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
};

struct AgentConfig {
  std::string backend = "runbook";   // runbook, claude-code, codex, gemini, command
  std::vector<std::string> command;  // argv for the command backend (or to override a CLI path)
  std::chrono::seconds timeout{15 * 60};
  std::chrono::seconds grace{30};
  int max_concurrent = 4;
  std::string workspace_root = "/var/lib/vigil/workspaces";
  long long step_output_max_bytes = 1024 * 1024;  // a step's full output kept on disk
  RetentionConfig retention;
  std::vector<std::string> env_allowlist{"PATH", "HOME", "LANG", "LC_ALL", "TZ"};
  std::vector<std::string> knowledge_dirs;
  int failure_threshold = 3;  // consecutive failures before automatic triage pauses
  std::chrono::seconds pause_for{60 * 60};
  // Where agent runs are fenced off: auto, bubblewrap, none, or kubernetes (a Pod per turn,
  // agent.kubernetes).
  std::string isolation = "auto";
  std::string bwrap = "bwrap";  // the bubblewrap program (isolation auto or bubblewrap)
  /// Files and folders bound read-only into each agent's sandbox (the agent CLIs' own credentials,
  /// runbooks); never one holding Vigil's database, secrets or remediation kubeconfig.
  std::vector<std::string> read_only_paths;
  AgentKubernetesConfig kubernetes;
};

/// One cluster Vigil may read and change: its identities (a kubeconfig, and optionally a context
/// in it, passed to kubectl as --context) and the namespaces runs there may name.
struct ClusterConfig {
  std::string name;
  std::string read_only_kubeconfig;
  std::string remediation_kubeconfig;
  /// The identity of server-side dry runs (--dry-run=server) on approval cards; empty: the
  /// remediation kubeconfig (a server-side dry run is authorised like the write and persists nothing).
  std::string dry_run_kubeconfig;
  std::string read_only_context;    // empty: the kubeconfig's current-context
  std::string remediation_context;  // also the dry run's when dry_run_kubeconfig is empty
  std::string dry_run_context;
  std::vector<std::string> namespaces;  // empty: any
};

struct KubernetesConfig {
  bool enabled = false;
  std::string kubectl = "kubectl";
  std::string read_only_kubeconfig;
  std::string remediation_kubeconfig;
  /// The identity of server-side dry runs (--dry-run=server) on approval cards; empty: the
  /// remediation kubeconfig (a server-side dry run is authorised like the write and persists nothing).
  std::string dry_run_kubeconfig;
  std::string read_only_context;
  std::string remediation_context;
  std::string dry_run_context;
  std::vector<std::string> namespaces;
  std::string cluster = "default";  // the name of the cluster above (label on metrics, cards)
  /// More clusters (`kubernetes.clusters`): an alert's `cluster` label or a channel's `cluster`
  /// picks one; nothing picks the default.
  std::vector<ClusterConfig> clusters;

  /// Every cluster, the default first: the one the keys above describe when they name a read-only
  /// kubeconfig or no other cluster is listed, else the first of `clusters`.
  std::vector<ClusterConfig> all_clusters() const;
  /// The name of the cluster a run uses when nothing picks one.
  std::string default_cluster() const;
  /// Whether more than one cluster is configured (cards and timelines then name the cluster).
  bool several_clusters() const;
  /// The cluster of that name, or nullopt.
  std::optional<ClusterConfig> find_cluster(const std::string& name) const;
  /// Every cluster's name, the default first, as messages list them: "us, eu".
  std::string cluster_names() const;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9090";
  std::string alertmanager_token;              // VIGIL_ALERTMANAGER_TOKEN
  std::vector<std::string> pagerduty_secrets;  // VIGIL_PAGERDUTY_WEBHOOK_SECRETS (comma-separated)
  std::string opsgenie_token;                  // VIGIL_OPSGENIE_TOKEN
  std::string grafana_token;                   // VIGIL_GRAFANA_TOKEN
  std::string alertmanager_token_file;
  std::string pagerduty_secrets_file;
  std::string opsgenie_token_file;
  std::string grafana_token_file;
  std::string alert_channel;  // where webhook alerts go when no channel matches
  long long max_body_bytes = 1024 * 1024;
  /// A second listener for /healthz, /readyz and /metrics only (host:port; empty: none). Its
  /// connections are counted apart, so clients flooding the webhook port cannot starve the probes.
  std::string probe_listen;
  long long max_connections = 256;             // open connections per listener at most
  long long max_connections_per_client = 32;   // per client IP address and listener; 0: no limit
  std::chrono::seconds first_byte_timeout{2};  // a connection's first byte, from the accept
  std::chrono::seconds header_timeout{5};      // the whole request header, from its first byte
};

/// The PagerDuty REST API: who is on call (approvals.oncall) and notes on incidents.
struct PagerDutyConfig {
  std::string api_url = "https://api.pagerduty.com";
  std::string api_token;  // VIGIL_PAGERDUTY_API_TOKEN or api_token_file
  std::string api_token_file;
  bool notes = false;      // a note on the PagerDuty incident when triage starts and ends
  std::string from_email;  // the From header PagerDuty requires on writes (a PagerDuty user's e-mail)
};

/// The OpsGenie REST API: who is on call (approvals.oncall) and notes on alerts.
struct OpsGenieConfig {
  std::string api_url = "https://api.opsgenie.com";  // EU: https://api.eu.opsgenie.com
  std::string api_key;                               // VIGIL_OPSGENIE_API_KEY or api_key_file
  std::string api_key_file;
  bool notes = false;  // a note on the OpsGenie alert when triage starts and ends
};

/// Alertmanager's API v2, read when an alert arrives as Alertmanager's default Slack message, whose
/// title shows label values without their names: the labels are looked up instead of guessed.
struct AlertmanagerConfig {
  std::string url;        // e.g. http://alertmanager.monitoring:9093 (VIGIL_ALERTMANAGER_URL); empty: off
  std::string api_token;  // bearer token, when a proxy in front asks for one (VIGIL_ALERTMANAGER_API_TOKEN)
  std::string api_token_file;
  bool enabled() const { return !url.empty(); }
};

struct RedactionConfig {
  std::vector<std::string> patterns;
};

/// How long each kind of row stays in the database (storage.retention). Pruned in batches of
/// `batch_rows` (one short transaction each) every `every`, off the ack path; a run that is not
/// final and an open incident are never pruned, whatever their age.
struct DataRetentionConfig {
  bool enabled = true;
  std::chrono::seconds runs{30LL * 86400};               // final runs, their timeline, steps, approvals
  std::chrono::seconds incidents{90LL * 86400};          // resolved incidents and their timeline
  std::chrono::seconds webhook_deliveries{7LL * 86400};  // processed or failed deliveries
  std::chrono::seconds audit{365LL * 86400};             // the audit log: kept longest
  int batch_rows = 500;
  std::chrono::seconds every{60 * 60};
};

struct StorageConfig {
  /// Relative: to the configuration file's folder (the working directory when there is none).
  std::string database = "vigil.db";
  /// When set, the Store is this PostgreSQL database instead of the SQLite file: a libpq
  /// connection string from VIGIL_POSTGRES_DSN, storage.postgres_dsn_file, or (without a
  /// password) storage.postgres_dsn. A secret: shown only through sql::redacted_dsn.
  std::string postgres_dsn;
  std::string postgres_dsn_file;
  bool postgres() const { return !postgres_dsn.empty(); }
  std::chrono::seconds processed_event_ttl{60 * 60};
  DataRetentionConfig retention;
};

struct LoggingConfig {
  std::string level = "info";
  std::string format = "text";  // text or json
};

struct SkillsConfig {
  /// Folders of skill YAML files. When the file does not set skills.dirs: the skills shipped with
  /// Vigil (the first of shipped_skill_dirs() that exists), or none when none exists.
  std::vector<std::string> dirs;
  bool shipped = true;  // dirs is the built-in default, not the file's
};

struct IncidentsConfig {
  /// `/incident declare` also creates a channel <prefix>-YYYYMMDD-<slug> and invites the declarer.
  bool create_channel = false;
  std::string channel_prefix = "inc";
};

struct Config {
  std::string source_file;  // empty when only defaults and the environment were used
  SlackConfig slack;
  std::vector<ChannelBinding> channels;
  ApprovalsConfig approvals;
  AgentConfig agent;
  KubernetesConfig kubernetes;
  HttpConfig http;
  PagerDutyConfig pagerduty;
  OpsGenieConfig opsgenie;
  AlertmanagerConfig alertmanager;
  RedactionConfig redaction;
  StorageConfig storage;
  LoggingConfig logging;
  SkillsConfig skills;
  IncidentsConfig incidents;
  StartConfig start;

  /// Every secret value, so the redactor can remove them wherever they appear.
  std::vector<std::string> secret_values() const;
};

/// One problem in a configuration file: where, which key, what.
struct ConfigDiagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when not tied to a place
  int column = 0;
  std::string key;  // dotted path, e.g. slack.connections
  std::string message;
  std::string to_string() const;  // file:line:col: key: message
};

struct ConfigLoad {
  Config config;
  std::vector<ConfigDiagnostic> errors;
  std::vector<ConfigDiagnostic> warnings;
  bool ok() const { return errors.empty(); }
};

/// Reads `path` (empty: defaults only), applies the environment overrides, validates everything and
/// reports every problem at once.
ConfigLoad load_config(const std::string& path, const Environment& env);
/// Same, from YAML text (tests).
ConfigLoad load_config_text(const std::string& yaml, const std::string& file_name, const Environment& env);

/// The effective configuration as YAML, every secret shown as ***.
std::string render_config(const Config& config);

/// Where the skills shipped with Vigil may be, in the order searched: skills/ next to the binary's
/// folder (build/vigil in a checkout), <prefix>/share/vigil/skills (installed as <prefix>/bin/vigil),
/// /usr/share/vigil/skills (the container image), and the checkout this binary was built from.
std::vector<std::string> shipped_skill_dirs();

/// The warning for a catalog with no skills: the folders searched and what to set. Empty when no
/// skills were expected (skills.dirs: [] in the file).
std::string missing_skills_warning(const Config& config);

/// The kinds of Slack id settings hold.
enum class SlackIdKind {
  Channel,    // C… or G… (http.alert_channel, channels[].id)
  User,       // U… or W… (approvals.users)
  UserGroup,  // S… (approvals.groups)
  Bot,        // B… (channels[].alert_bots)
};
/// Empty when `value` has the shape of that kind of Slack id (its letter, then upper-case letters and
/// digits); otherwise what is wrong, naming the kind it is when it is another kind of id or a #name.
std::string slack_id_problem(const std::string& value, SlackIdKind kind);

/// Webhook alerts are enabled (a webhook token or secret is set) but http.alert_channel is empty, so
/// every /webhooks/* request is answered 503: what to set. Empty when there is nothing to say.
std::string webhook_channel_warning(const Config& config);

/// "30s", "5m", "2h", "7d" or a plain number of seconds.
std::optional<std::chrono::seconds> parse_duration(const std::string& text);

}  // namespace vigil
