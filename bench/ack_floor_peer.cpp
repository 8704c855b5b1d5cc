// The floor of bolt_compare_bench's ack latency: a Socket Mode peer that does nothing but ack.
// One connection over the same Beast websocket transport as `vigil serve`, on one thread; no
// dedup, no normalising, no handlers, no replies. What the emulator measures for it (frame queued
// → ack read) is what the emulator, the kernel and a wake-up cost on this machine: no app acks
// faster through the same path. With --answer (answer_burst_bench's floor) it also POSTs a one-line
// answer to each slash command's response_url through the same HTTP client as Vigil, concurrently
// with the next reads: the most answers a second the emulator and this machine allow. Reads
// SLACK_API_URL and SLACK_APP_TOKEN; stops on SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/null_sink.h>

#include "bot/base/clock.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/beast_transport.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/socket_mode.h"

using namespace vigil;

namespace {

Task<> answer(slack::HttpWebApi& web, std::string response_url) {
  slack::ResponseMessage m;
  m.text = "ok";
  co_await web.respond(std::move(response_url), std::move(m));
}

Task<> ack_everything(slack::HttpWebApi& web, slack::Transport& transport, boost::asio::io_context& io, bool answers,
                      const Logger& log) {
  auto url = co_await web.open_socket_url();
  if (!url) {
    std::fprintf(stderr, "ack_floor_peer: apps.connections.open: %s\n", url.error().message().c_str());
    io.stop();
    co_return;
  }
  auto connected = co_await transport.connect(*url);
  if (!connected) {
    std::fprintf(stderr, "ack_floor_peer: connect: %s\n", connected.error().message().c_str());
    io.stop();
    co_return;
  }
  auto& conn = **connected;
  for (;;) {
    auto text = co_await conn.read();
    if (!text) {
      break;
    }
    const auto frame = slack::parse_frame(*text);
    if (const auto* e = std::get_if<slack::Envelope>(&frame)) {
      std::string ack = slack::make_ack(e->envelope_id);
      auto written = co_await conn.write(std::move(ack));
      if (!written) {
        break;
      }
      const bool has_url = e->type == slack::EnvelopeType::SlashCommands && e->payload.is_object() &&
                           e->payload.contains("response_url") && e->payload["response_url"].is_string();
      if (answers && has_url) {
        auto url = e->payload["response_url"].get<std::string>();
        spawn(io.get_executor(), answer(web, std::move(url)), log, "answer");
      }
    }
  }
  io.stop();
}

}  // namespace

int main(int argc, char** argv) {
  const bool answers = argc > 1 && std::strcmp(argv[1], "--answer") == 0;
  const char* api_url = std::getenv("SLACK_API_URL");
  const char* app_token = std::getenv("SLACK_APP_TOKEN");
  if (api_url == nullptr || app_token == nullptr) {
    std::fprintf(stderr, "ack_floor_peer: set SLACK_API_URL and SLACK_APP_TOKEN\n");
    return 2;
  }
  boost::asio::io_context io{1};
  auto log = std::make_shared<spdlog::logger>("floor", std::make_shared<spdlog::sinks::null_sink_mt>());
  SystemClock clock;
  auto http = http::make_beast_http_client(io.get_executor(), http::BeastHttpClientOptions{}, log);
  slack::RateLimiter limiter(clock);
  slack::HttpWebApiOptions options;
  options.api_url = api_url;
  options.app_token = app_token;
  slack::HttpWebApi web(*http, limiter, clock, log, options);
  auto transport = slack::make_beast_transport(io.get_executor(), slack::BeastTransportOptions{}, log);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  spawn(io.get_executor(), ack_everything(web, *transport, io, answers, log), log, "ack floor peer");
  io.run();
  return 0;
}
