#pragma once

#include <cstddef>
#include <iterator>
#include <span>
#include <string_view>

namespace vigil {

/// The catalogue of every metric family Vigil records: its name, type, unit, label names and
/// `# HELP` text, in the order /metrics renders them. The registry (`bot/base/metrics.h`) takes only
/// names from this table, checked when the code is compiled: recording under a name that is not
/// here, or as another type, does not compile. So a family cannot reach /metrics without its
/// `# HELP` and `# TYPE`, and this file is the one list to read. README's metrics table follows
/// it; tests/unit/bot/base/metric_catalog_test.cpp checks both, and the Prometheus naming rules.
///
/// Naming (https://prometheus.io/docs/practices/naming/): snake_case, the `vigil_` prefix, base
/// units as a suffix (`_seconds`, `_bytes`), `_total` on counters and only on counters, no
/// `_count`/`_sum`/`_bucket` endings (a histogram's own series).

enum class MetricType { Counter, Gauge, Histogram };

struct MetricFamily {
  std::string_view name;
  MetricType type;
  /// The base unit the name ends with ("seconds", "bytes"), or "" for a count of things.
  std::string_view unit;
  /// Label names, space-separated, in the order they are rendered ("" for none).
  std::string_view labels;
  std::string_view help;
  /// Histograms: bucket upper bounds (+Inf is always added); empty: kLatencyBuckets.
  std::span<const double> buckets = {};
  /// A name kept from the earlier triage runtime (dashboards and alerts use it), not `vigil_…`.
  bool kept_name = false;
};

/// Seconds: 100 µs … 10 s, enough resolution for ack latency (target p99 < 2 ms).
inline constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                             0.05,   0.1,     0.25,   0.5,   1,     2.5,   5,    10};
/// Seconds: a run, from a second to about an hour (an approval alone may wait 30 minutes).
inline constexpr double kRunBuckets[] = {1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200};

inline constexpr MetricFamily kMetricCatalog[] = {
    // ---- Socket Mode (integrations/slack/socket_mode_client.cpp)
    {"vigil_socket_envelopes_total", MetricType::Counter, "", "type",
     "Socket Mode envelopes acked and handed on, by envelope type."},
    {"vigil_socket_ack_seconds", MetricType::Histogram, "seconds", "",
     "Time from reading a Socket Mode envelope to writing its ack, in seconds.", kLatencyBuckets},
    {"vigil_socket_duplicates_total", MetricType::Counter, "", "",
     "Socket Mode envelopes dropped as already handled (Slack's redeliveries)."},
    {"vigil_socket_envelopes_relayed_total", MetricType::Counter, "", "",
     "Socket Mode envelopes a standby replica stored for the replica that leads (PostgreSQL)."},
    {"vigil_socket_envelopes_taken_in_total", MetricType::Counter, "", "",
     "Envelopes stored by standby replicas that this replica took in and handled while leading."},
    {"vigil_socket_bad_frames_total", MetricType::Counter, "", "",
     "Socket Mode frames that could not be used (not JSON, or not a known envelope)."},
    {"vigil_socket_refused_while_stopping_total", MetricType::Counter, "", "type",
     "Socket Mode envelopes that arrived while Vigil was stopping and were not taken on, by "
     "envelope type."},
    {"vigil_socket_connections_opened_total", MetricType::Counter, "", "",
     "Socket Mode connections that reached hello."},
    {"vigil_socket_connect_failures_total", MetricType::Counter, "", "",
     "Attempts to open a Socket Mode connection that failed before hello."},
    {"vigil_socket_reconnects_total", MetricType::Counter, "", "reason",
     "Socket Mode connections replaced or lost, by reason."},
    // ---- Slack Web API (integrations/slack/http_web_api.cpp)
    {"vigil_slack_api_calls_total", MetricType::Counter, "", "method",
     "Slack Web API requests sent (each retry counts), by method."},
    {"vigil_slack_api_rate_limited_total", MetricType::Counter, "", "method",
     "Slack Web API answers that were rate limits (HTTP 429 or ratelimited), by method."},
    {"vigil_slack_api_errors_total", MetricType::Counter, "", "error",
     "Slack Web API answers with ok:false, by Slack's error string."},
    // ---- Inputs (bot/slack/input_queue.cpp)
    {"vigil_inputs_waiting", MetricType::Gauge, "", "",
     "Slack inputs acked and waiting for a free handler (slash commands and messages)."},
    // ---- Leadership (bot/app/slack_service.cpp)
    {"vigil_leader", MetricType::Gauge, "", "",
     "1 while this process leads (it holds the database; always, on SQLite), 0 while it stands by for "
     "another replica (PostgreSQL)."},
    // ---- Runs (bot/ops/ops_endpoints.cpp, bot/core/run_manager.cpp)
    {"vigil_runs", MetricType::Gauge, "", "state", "Runs in the store, by state."},
    {"vigil_runs_active", MetricType::Gauge, "", "", "Runs being driven now (running or awaiting approval)."},
    {"vigil_run_queue_depth", MetricType::Gauge, "", "", "Runs waiting for a free slot."},
    {"vigil_runs_finished_total", MetricType::Counter, "", "backend state result",
     "Runs finished, by backend, final state and result (fixed, diagnosed, denied, nothing_to_do, "
     "skipped, needs_input, failed, cancelled, timed_out, interrupted)."},
    {"vigil_run_duration_seconds", MetricType::Histogram, "seconds", "state",
     "Time a run took from start (or resumption) to its end, in seconds, by final state.", kRunBuckets},
    {"vigil_workspace_bytes", MetricType::Gauge, "bytes", "", "Bytes in the run workspaces."},
    {"vigil_workspace_prunes_total", MetricType::Counter, "", "", "Passes of the workspace retention policy."},
    {"vigil_store_rows_pruned_total", MetricType::Counter, "", "kind",
     "Database rows deleted by storage.retention, by kind (runs, run_events, incidents, webhook_deliveries, "
     "audit, …)."},
    // ---- Approvals (bot/slack/slack_approval_gate.cpp)
    {"vigil_approvals_total", MetricType::Counter, "", "outcome",
     "Approval events, by kind: requested, click, vote, approved, denied, expired, refused, "
     "cancelled."},
    // ---- HTTP listeners (integrations/http/http_server.cpp, wired in bot/app/slack_service.cpp)
    {"vigil_http_connections_closed_total", MetricType::Counter, "", "listener reason",
     "Connections the HTTP listeners closed without serving them, by listener (main, probes) and reason "
     "(client_limit, server_full, evicted, first_byte_timeout, header_timeout)."},
    // ---- Webhooks (bot/ops/ops_endpoints.cpp)
    {"vigil_webhook_deliveries_total", MetricType::Counter, "", "source",
     "Webhook bodies accepted and stored, by source."},
    {"vigil_webhook_rejected_total", MetricType::Counter, "", "reason", "Webhook requests refused, by reason."},
    // ---- Agent runs, under the names of the earlier triage runtime (bot/core/run_manager.cpp)
    {"agent_runtime_invocations_total",
     MetricType::Counter,
     "",
     "cluster status",
     "Agent runs finished, by cluster and final status.",
     {},
     true},
    {"agent_runtime_duration_seconds", MetricType::Histogram, "seconds", "cluster status",
     "Agent run duration in seconds, by cluster and final status.", kRunBuckets, true},
    {"agent_runtime_active_agents", MetricType::Gauge, "", "cluster", "Agent runs in progress.", {}, true},
    {"agent_runtime_workspace_size_bytes",
     MetricType::Gauge,
     "bytes",
     "cluster",
     "Bytes in the run workspaces.",
     {},
     true},
    {"agent_runtime_errors_total",
     MetricType::Counter,
     "",
     "cluster error_type",
     "Agent runs that failed, by error type.",
     {},
     true},
    // ---- Agent accounting, per turn of an agent CLI (bot/core/run_manager.cpp); per-incident sums
    // are in the store (agent_turns) and the incident's timeline, never in labels here.
    {"vigil_agent_turns_total", MetricType::Counter, "", "backend status",
     "Agent CLI turns finished (first runs, retries and follow-ups), by backend and status."},
    {"vigil_agent_turn_seconds_total", MetricType::Counter, "seconds", "backend",
     "Seconds agent CLI turns ran, summed, by backend."},
    {"vigil_agent_tokens_total", MetricType::Counter, "", "backend direction",
     "Model tokens the agent CLIs reported, by backend and direction (input, output)."},
    {"vigil_agent_cost_dollars_total", MetricType::Counter, "", "backend",
     "Cost in US dollars the agent CLIs reported (Claude Code reports one), by backend."},
    {"vigil_agent_retries_total", MetricType::Counter, "", "backend",
     "Agent turns run a second time after a transient failure of the model's API, by backend."},
    {"vigil_agent_check_ok", MetricType::Gauge, "", "backend",
     "1 when the agents check (CLI, credentials, sandbox, read-only cluster access) passed before the "
     "backend's first run, 0 when it failed (vigil agents check says why)."},
};

inline constexpr std::size_t kMetricFamilies = std::size(kMetricCatalog);

// Not constexpr and never defined: reached only while compiling a name that is not in the
// catalogue (or used as another type), where it makes the compiler stop with its name.
void metric_name_not_in_the_catalogue();
void metric_recorded_as_another_type();

/// A catalogued family of type `T`, named by a string literal checked at compile time:
/// `metrics.inc("vigil_socket_duplicates_total")` compiles, a typo or a new name not added to
/// kMetricCatalog does not.
template <MetricType T>
class MetricName {
 public:
  consteval MetricName(const char* name) : index_(find(name)) {}  // NOLINT: implicit on purpose
  constexpr std::size_t index() const { return index_; }
  constexpr const MetricFamily& family() const { return kMetricCatalog[index_]; }

 private:
  static consteval std::size_t find(std::string_view name) {
    for (std::size_t i = 0; i < kMetricFamilies; ++i) {
      if (kMetricCatalog[i].name == name) {
        if (kMetricCatalog[i].type != T) {
          metric_recorded_as_another_type();
        }
        return i;
      }
    }
    metric_name_not_in_the_catalogue();
    return 0;
  }
  std::size_t index_;
};

using CounterName = MetricName<MetricType::Counter>;
using GaugeName = MetricName<MetricType::Gauge>;
using HistogramName = MetricName<MetricType::Histogram>;

}  // namespace vigil
