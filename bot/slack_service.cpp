#include "bot/slack_service.h"

#include <boost/asio/io_context.hpp>

#include "bot/base/clock.h"
#include "bot/base/metrics.h"
#include "bot/shutdown_signals.h"
#include "bot/store_processed_events.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/beast_transport.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/socket_mode_client.h"

namespace vigil {
namespace {

struct ServeContext {
  boost::asio::io_context& io;
  slack::WebApi& web;
  slack::SocketModeClient& client;
  ShutdownSignals& signals;
  Logger log;
  Logger router_log;
  int exit_code = 0;
  bool stop_requested = false;
};

// Stands in for the Router until the handlers exist: every normalised input is logged.
void route(const Logger& log, const slack::InboundEvent& event) {
  log->debug("envelope={} {} (retry_attempt={})", event.origin.envelope_id, slack::describe(event),
             event.origin.retry_attempt);
}

Task<> run_service(ServeContext& ctx) {
  auto who = co_await ctx.web.auth_test();
  if (!who) {
    ctx.log->error("auth.test with the bot token failed: {} (check SLACK_BOT_TOKEN)",
                   who.error().message());
    ctx.exit_code = who.error().is(Errc::SlackApi) ? 2 : 1;
    ctx.signals.release();
    co_return;
  }
  ctx.log->info("Slack: bot user {} (bot {}) in team {}", who->user_id, who->bot_id, who->team_id);
  if (ctx.stop_requested) {
    ctx.signals.release();
    co_return;
  }
  // A named handler: g++ 12 destroys a lambda temporary inside a co_await expression twice.
  auto router_log = ctx.router_log;
  const slack::SocketModeClient::Handler handler = [router_log](slack::InboundEvent e) {
    route(router_log, e);
  };
  const boost::asio::any_io_executor handler_ex = ctx.io.get_executor();
  auto result = co_await ctx.client.run(handler, handler_ex);
  if (!result) {
    ctx.log->error("{}", result.error().message());
    ctx.exit_code = result.error().is(Errc::InvalidConfig) ? 2 : 1;
  }
  ctx.signals.release();
}

}  // namespace

int serve_slack(const Config& config, Store& store, const Logging& logging) {
  boost::asio::io_context io{1};
  auto log = logging.make("main");
  SystemClock clock;
  Metrics metrics;
  const auto proxy = http::ProxySettings::from_environment(current_environment());
  auto http_client = http::make_beast_http_client(io.get_executor(), {proxy, 4, "vigil/" VIGIL_VERSION},
                                                  logging.make("http"));
  slack::RateLimiter limiter(clock);
  slack::HttpWebApiOptions web_options;
  web_options.api_url = config.slack.api_url;
  web_options.bot_token = config.slack.bot_token;
  web_options.app_token = config.slack.app_token;
  slack::HttpWebApi web(*http_client, limiter, clock, logging.make("slack.web"), web_options, &metrics);
  slack::BeastTransportOptions transport_options;
  transport_options.proxy = proxy;
  transport_options.pong_timeout = config.slack.pong_timeout;
  auto transport = slack::make_beast_transport(io.get_executor(), transport_options,
                                               logging.make("slack.socket"));
  StoreProcessedEvents processed(store);
  slack::SocketModeOptions options;
  options.connections = config.slack.connections;
  options.dedup_ttl = std::max(config.storage.processed_event_ttl, std::chrono::seconds(600));
  slack::SocketModeClient client(io.get_executor(), *transport, web, clock, processed, metrics,
                                 logging.make("slack.socket"), options);
  ServeContext* ctx_ptr = nullptr;
  ShutdownSignals signals(io, [&] {
    log->info("stopping (signal); a second signal stops at once");
    if (ctx_ptr) {
      ctx_ptr->stop_requested = true;
    }
    client.stop();
  });
  ServeContext ctx{io, web, client, signals, log, logging.make("router")};
  ctx_ptr = &ctx;
  spawn(io.get_executor(), run_service(ctx), log, "slack service");
  io.run();
  log->info("stopped");
  return ctx.exit_code;
}

}  // namespace vigil
