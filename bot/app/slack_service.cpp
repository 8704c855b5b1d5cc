#include "bot/app/slack_service.h"

#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "bot/app/app.h"
#include "bot/base/clock.h"
#include "bot/base/io_thread.h"
#include "bot/base/metrics.h"
#include "bot/ops/ops_endpoints.h"
#include "bot/store/sql.h"
#include "bot/app/runtime_setup.h"
#include "bot/app/shutdown_signals.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/http/http_server.h"
#include "integrations/opsgenie/opsgenie_api.h"
#include "integrations/pagerduty/pagerduty_api.h"
#include "integrations/slack/beast_transport.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/socket_mode_client.h"

namespace vigil {
namespace {

struct ServeState {
  int exit_code = 0;
  bool stop_requested = false;
};

Task<> run_app(App& app, App::Role role, ShutdownSignals& signals, ServeState& state, Logger log,
               boost::asio::io_context& io) {
  auto result = co_await app.run(role);
  if (!result) {
    log->error("{}", result.error().message());
    state.exit_code = result.error().is(Errc::InvalidConfig) || result.error().is(Errc::SlackApi) ? 2 : 1;
  }
  state.stop_requested = true;
  app.stop();
  co_await app.quiesce();
  signals.release();
  // Runs waiting for an approval are still suspended; their state is in the store and they resume
  // after the restart, so the loop can stop here.
  io.stop();
}

// How often the leader takes in what standby replicas stored: Slack envelopes (a person waits for
// the answer) every kRelayedEvery, webhook deliveries every kDeliveriesEveryTurns of that.
constexpr std::chrono::milliseconds kRelayedEvery{100};
constexpr int kDeliveriesEveryTurns = 10;

// The App recovers its runs before it connects to Slack; webhook alerts are taken in after that.
// Looks every 100 ms on the Clock. With standby replicas (PostgreSQL) storing envelopes and
// deliveries for the leader, it then takes in what they stored.
Task<> open_intake_when_connected(App& app, OpsEndpoints& ops, Clock& clock, const ServeState& state, bool replicas) {
  while (!app.connected()) {
    const bool slept = co_await clock.sleep_for(std::chrono::milliseconds(100));
    if (!slept || state.stop_requested) {
      co_return;
    }
  }
  ops.open_intake();
  for (int turn = 0; replicas && !state.stop_requested; ++turn) {
    // A full batch means more are waiting: the next one at once (after the handlers had a turn).
    const bool more = app.take_in_relayed() == static_cast<std::size_t>(App::kRelayedPerTurn);
    if (turn % kDeliveriesEveryTurns == 0) {
      ops.take_in_received();
    }
    const auto pause = more ? std::chrono::milliseconds(0) : kRelayedEvery;
    const bool slept = co_await clock.sleep_for(pause);
    if (!slept || state.stop_requested) {
      co_return;
    }
  }
}

// PostgreSQL: replicas share one database, and the one holding its session lock leads: it
// recovers the runs and does the work. The others stand by: connected to Slack like the leader,
// they ack what Slack sends them and store it (and webhook deliveries) for the leader, answer the
// probes, and try for the lock every second; the server frees it when the leader stops, dies or
// is cut off. True once this process leads.
Task<bool> wait_to_lead(Store& store, std::string& standby, const ServeState& state, Clock& clock, Logger log) {
  std::string said;
  while (!state.stop_requested) {
    auto held = store.hold_single_writer_lock();
    if (held) {
      if (!said.empty()) {
        log->info("leading now: took the database lock from the replica that held it");
      }
      standby.clear();
      co_return true;
    }
    standby = held.error().detail;
    if (standby != said) {
      log->info("standing by: {}; this replica takes over when that one stops", standby);
      said = standby;
    }
    const bool slept = co_await clock.sleep_for(std::chrono::seconds(1));
    if (!slept) {
      co_return false;
    }
  }
  co_return false;
}

// The leader checks every second that it still holds the lock. A reconnect that found it taken by
// another replica means that one leads now: this process stops at once (exit 1), and its
// statements fail until it does, so two replicas never act on the database together.
Task<> keep_leading(App& app, Store& store, ServeState& state, Clock& clock, Logger log) {
  while (!state.stop_requested) {
    const bool slept = co_await clock.sleep_for(std::chrono::seconds(1));
    if (!slept || state.stop_requested) {
      co_return;
    }
    try {
      store.schema_version();  // a statement: reconnects, and retakes the lock, when the connection dropped
    } catch (const sql::Error& e) {
      log->warn("the database: {}", e.what());
    }
    if (store.lost_single_writer_lock()) {
      log->error(
          "another replica took the database lock while this one's connection was down: it leads now; "
          "stopping this one");
      state.exit_code = 1;
      state.stop_requested = true;
      app.stop();
      co_return;
    }
  }
}

struct Leadership {
  std::string standby;  // why this replica does not lead yet ("" when it leads)
};

Task<> serve_when_leading(App& app, OpsEndpoints& ops, Store& store, ShutdownSignals& signals, ServeState& state,
                          Leadership& leadership, Metrics& metrics, Clock& clock, Logger log,
                          boost::asio::io_context& io) {
  const bool replicas = store.backend() == "postgresql";
  if (!replicas) {
    metrics.set("vigil_leader", {}, 1);
    spawn(io.get_executor(), open_intake_when_connected(app, ops, clock, state, false), log, "webhook intake");
    co_await run_app(app, App::Role::Lead, signals, state, log, io);
    co_return;
  }
  metrics.set("vigil_leader", {}, 0);
  // Connected to Slack from the start, whether it leads or not: Slack spreads envelopes over
  // every replica's connections, and a takeover needs no new connection.
  spawn(io.get_executor(), run_app(app, App::Role::StandBy, signals, state, log, io), log, "vigil");
  const bool leading = co_await wait_to_lead(store, leadership.standby, state, clock, log);
  if (!leading) {
    co_return;  // stopping: run_app ends the loop
  }
  app.lead();
  metrics.set("vigil_leader", {}, 1);
  spawn(io.get_executor(), keep_leading(app, store, state, clock, log), log, "leadership");
  co_await open_intake_when_connected(app, ops, clock, state, true);
}

/// The peers beside Slack, each made only when configured: PagerDuty and OpsGenie REST APIs
/// (on-call approvers, incident notes) and Alertmanager's API, all on the one HTTP client.
struct Peers {
  std::unique_ptr<pagerduty::PagerDutyApi> pagerduty;
  std::unique_ptr<opsgenie::OpsGenieApi> opsgenie;
  std::unique_ptr<alertmanager::AlertmanagerApi> alertmanager;
};

Peers make_peers(const Config& config, http::HttpClient& http_client) {
  Peers peers;
  if (!config.pagerduty.api_token.empty()) {
    pagerduty::PagerDutyApiOptions o;
    o.api_url = config.pagerduty.api_url;
    o.token = config.pagerduty.api_token;
    o.from_email = config.pagerduty.from_email;
    peers.pagerduty = std::make_unique<pagerduty::PagerDutyApi>(http_client, o);
  }
  if (!config.opsgenie.api_key.empty()) {
    opsgenie::OpsGenieApiOptions o;
    o.api_url = config.opsgenie.api_url;
    o.api_key = config.opsgenie.api_key;
    peers.opsgenie = std::make_unique<opsgenie::OpsGenieApi>(http_client, o);
  }
  if (config.alertmanager.enabled()) {
    alertmanager::AlertmanagerApiOptions o;
    o.url = config.alertmanager.url;
    o.api_token = config.alertmanager.api_token;
    peers.alertmanager = std::make_unique<alertmanager::AlertmanagerApi>(http_client, o);
  }
  return peers;
}

slack::HttpWebApiOptions web_api_options(const Config& config) {
  slack::HttpWebApiOptions o;
  o.api_url = config.slack.api_url;
  o.bot_token = config.slack.bot_token;
  o.app_token = config.slack.app_token;
  return o;
}

/// A listener of http.listen (`name` "main") or http.probe_listen ("probes") with the http
/// limits; what it closes unserved is counted in vigil_http_connections_closed_total.
std::unique_ptr<http::HttpServer> make_http_server(const Config& config, const std::string& listen,
                                                   const std::string& name, boost::asio::io_context& io,
                                                   const Logging& logging, Metrics& metrics) {
  http::HttpServerOptions o;
  o.listen = listen;
  o.max_body_bytes = static_cast<std::size_t>(std::max(1024LL, config.http.max_body_bytes));
  o.max_connections = static_cast<std::size_t>(config.http.max_connections);
  o.max_connections_per_client = static_cast<std::size_t>(config.http.max_connections_per_client);
  o.first_byte_timeout = config.http.first_byte_timeout;
  o.header_timeout = config.http.header_timeout;
  o.on_close = [&metrics, name](http::CloseReason reason) {
    metrics.inc("vigil_http_connections_closed_total",
                {{"listener", name}, {"reason", std::string(to_string(reason))}});
  };
  return http::make_beast_http_server(io.get_executor(), o, logging.make("http.server"));
}

/// The probe listener (http.probe_listen), when one is configured; false when it cannot listen.
bool start_probe_server(const Config& config, std::unique_ptr<http::HttpServer>& server, OpsEndpoints& ops,
                        boost::asio::io_context& io, const Logging& logging, Metrics& metrics, Logger& log) {
  if (config.http.probe_listen.empty()) {
    return true;
  }
  server = make_http_server(config, config.http.probe_listen, "probes", io, logging, metrics);
  ops.register_probe_routes(*server);
  if (auto started = server->start(); !started) {
    const std::string setting = config.source_file.empty()
                                    ? "http.probe_listen or VIGIL_HTTP_PROBE_ADDR"
                                    : "http.probe_listen in " + config.source_file + " (or VIGIL_HTTP_PROBE_ADDR)";
    log->error("{}", listen_failure_message(config.http.probe_listen, started.error(), setting));
    return false;
  }
  log->info("http probes listening on {} (probe port {})", config.http.probe_listen, server->port());
  return true;
}

}  // namespace

int serve_slack(const Config& config, Store& store, const Logging& logging, std::shared_ptr<const Redactor> redactor,
                const std::function<void()>& on_listening) {
  boost::asio::io_context io{1};
  auto log = logging.make("main");
  SystemClock clock;
  Metrics metrics;
  const auto proxy = http::ProxySettings::from_environment(current_environment());
  http::BeastHttpClientOptions client_options;
  client_options.proxy = proxy;
  client_options.user_agent = "vigil/" VIGIL_VERSION;
  auto http_client = http::make_beast_http_client(io.get_executor(), client_options, logging.make("http"));
  slack::RateLimiter limiter(clock);
  slack::HttpWebApi web(*http_client, limiter, clock, logging.make("slack.web"), web_api_options(config), &metrics);
  // Socket Mode frames are read and acked on a thread of their own (DESIGN: ack first): agent
  // output, SQLite and Web API calls on the main loop cannot delay an ack.
  IoThread socket_thread;
  slack::BeastTransportOptions transport_options;
  transport_options.proxy = proxy;
  transport_options.pong_timeout = config.slack.pong_timeout;
  auto transport =
      slack::make_beast_transport(socket_thread.executor(), transport_options, logging.make("slack.socket"));
  const auto peers = make_peers(config, *http_client);
  App app(io.get_executor(), config,
          AppPorts{web, *transport, clock, store, metrics, peers.pagerduty.get(), peers.opsgenie.get(),
                   socket_thread.executor(), peers.alertmanager.get()},
          logging, std::move(redactor));
  // Before the App and the transport go: the socket thread's queued work refers to both.
  struct FinishSocketThread {
    IoThread& thread;
    ~FinishSocketThread() { thread.finish(); }
  } finish_socket_thread{socket_thread};
  auto http_server = make_http_server(config, config.http.listen, "main", io, logging, metrics);
  std::unique_ptr<http::HttpServer> probe_server;
  OpsEndpoints ops(
      config, store, metrics, app.alerts(), clock, [&app] { return app.connected(); }, &app.runs(),
      logging.make("webhook"));
  ops.register_routes(*http_server);
  if (auto started = http_server->start(); !started) {
    log->error("{}", listen_failure_message(config.http.listen, started.error(), http_listen_setting(config)));
    return 2;
  }
  log->info("http listening on {} (port {})", config.http.listen, http_server->port());
  if (!start_probe_server(config, probe_server, ops, io, logging, metrics, log)) {
    return 2;
  }
  // Signals are caught before anyone is told Vigil is up: a SIGTERM right after "Sandbox: open"
  // used to find the default action (exit 143) instead of a clean stop.
  ServeState state;
  ShutdownSignals signals(io, [&] {
    log->info("stopping (signal); a second signal stops at once");
    state.stop_requested = true;
    http_server->stop();
    if (probe_server) {
      probe_server->stop();
    }
    app.stop();
  });
  Leadership leadership;
  ops.set_standby_reason([&leadership] { return leadership.standby; });
  if (on_listening) {
    on_listening();
  }
  spawn(io.get_executor(), serve_when_leading(app, ops, store, signals, state, leadership, metrics, clock, log, io),
        log, "vigil");
  io.run();
  log->info("stopped");
  return state.exit_code;
}

}  // namespace vigil
