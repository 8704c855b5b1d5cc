#include "bot/app/slack_service.h"

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/app/app.h"
#include "bot/base/clock.h"
#include "bot/base/io_thread.h"
#include "bot/base/metrics.h"
#include "bot/ops/ops_endpoints.h"
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

Task<> run_app(App& app, ShutdownSignals& signals, ServeState& state, Logger log,
               boost::asio::io_context& io) {
  auto result = co_await app.run();
  if (!result) {
    log->error("{}", result.error().message());
    state.exit_code = result.error().is(Errc::InvalidConfig) || result.error().is(Errc::SlackApi) ? 2 : 1;
  }
  app.stop();
  co_await app.quiesce();
  signals.release();
  // Runs waiting for an approval are still suspended; their state is in the store and they resume
  // after the restart, so the loop can stop here.
  io.stop();
}

// The App recovers its runs before it connects to Slack; webhook alerts are taken in after that.
Task<> open_intake_when_connected(App& app, OpsEndpoints& ops, boost::asio::io_context& io) {
  boost::asio::steady_timer timer(io);
  while (!app.connected()) {
    timer.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await timer.async_wait(kToken);
    if (ec) {
      co_return;
    }
  }
  ops.open_intake();
}

}  // namespace

int serve_slack(const Config& config, Store& store, const Logging& logging,
                std::shared_ptr<const Redactor> redactor, const std::function<void()>& on_listening) {
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
  slack::HttpWebApiOptions web_options;
  web_options.api_url = config.slack.api_url;
  web_options.bot_token = config.slack.bot_token;
  web_options.app_token = config.slack.app_token;
  slack::HttpWebApi web(*http_client, limiter, clock, logging.make("slack.web"), web_options, &metrics);
  // Socket Mode frames are read and acked on a thread of their own (DESIGN: ack first): agent
  // output, SQLite and Web API calls on the main loop cannot delay an ack.
  IoThread socket_thread;
  slack::BeastTransportOptions transport_options;
  transport_options.proxy = proxy;
  transport_options.pong_timeout = config.slack.pong_timeout;
  auto transport = slack::make_beast_transport(socket_thread.executor(), transport_options, logging.make("slack.socket"));
  // PagerDuty and OpsGenie REST APIs (on-call approvers, incident notes) share the HTTP client.
  std::unique_ptr<pagerduty::PagerDutyApi> pagerduty;
  if (!config.pagerduty.api_token.empty()) {
    pagerduty::PagerDutyApiOptions o;
    o.api_url = config.pagerduty.api_url;
    o.token = config.pagerduty.api_token;
    o.from_email = config.pagerduty.from_email;
    pagerduty = std::make_unique<pagerduty::PagerDutyApi>(*http_client, o);
  }
  std::unique_ptr<opsgenie::OpsGenieApi> opsgenie;
  if (!config.opsgenie.api_key.empty()) {
    opsgenie::OpsGenieApiOptions o;
    o.api_url = config.opsgenie.api_url;
    o.api_key = config.opsgenie.api_key;
    opsgenie = std::make_unique<opsgenie::OpsGenieApi>(*http_client, o);
  }
  std::unique_ptr<alertmanager::AlertmanagerApi> alertmanager;
  if (config.alertmanager.enabled()) {
    alertmanager::AlertmanagerApiOptions o;
    o.url = config.alertmanager.url;
    o.api_token = config.alertmanager.api_token;
    alertmanager = std::make_unique<alertmanager::AlertmanagerApi>(*http_client, o);
  }
  App app(io.get_executor(), config,
          AppPorts{web, *transport, clock, store, metrics, pagerduty.get(), opsgenie.get(),
                   socket_thread.executor(), alertmanager.get()},
          logging, std::move(redactor));
  // Before the App and the transport go: the socket thread's queued work refers to both.
  struct FinishSocketThread {
    IoThread& thread;
    ~FinishSocketThread() { thread.finish(); }
  } finish_socket_thread{socket_thread};
  // /healthz, /readyz, /metrics and the webhooks share the io_context with Slack.
  http::HttpServerOptions http_options;
  http_options.listen = config.http.listen;
  http_options.max_body_bytes = static_cast<std::size_t>(std::max(1024LL, config.http.max_body_bytes));
  auto http_server = http::make_beast_http_server(io.get_executor(), http_options, logging.make("http.server"));
  OpsEndpoints ops(config, store, metrics, app.alerts(), clock, [&app] { return app.connected(); }, &app.runs(),
                   logging.make("webhook"));
  ops.register_routes(*http_server);
  if (auto started = http_server->start(); !started) {
    log->error("{}", listen_failure_message(config.http.listen, started.error(), http_listen_setting(config)));
    return 2;
  }
  log->info("http listening on {} (port {})", config.http.listen, http_server->port());
  if (on_listening) {
    on_listening();
  }
  ServeState state;
  ShutdownSignals signals(io, [&] {
    log->info("stopping (signal); a second signal stops at once");
    state.stop_requested = true;
    http_server->stop();
    app.stop();
  });
  spawn(io.get_executor(), run_app(app, signals, state, log, io), log, "vigil");
  spawn(io.get_executor(), open_intake_when_connected(app, ops, io), log, "webhook intake");
  io.run();
  log->info("stopped");
  return state.exit_code;
}

}  // namespace vigil
