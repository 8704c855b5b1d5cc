// Socket Mode client throughput, ack latency and memory, against the Slack emulator on loopback.
//   A. in process: envelopes/s one connection acks and hands to a trivial handler;
//      ack latency p50/p99/max at 500 envelopes/s.
//   B. the real `vigil serve` binary: resident memory idle and under 500 envelopes/s.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "bench/bench_support.h"
#include "bot/base/logging.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/slack/beast_transport.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/socket_mode_client.h"

using namespace vigil;
using namespace vigil::slack;
using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

json envelope(long long i) {
  return bench::channel_message_envelope("bench-" + std::to_string(i), "EvBench" + std::to_string(i), "U222", "C111",
                                         "disk usage above 90% on node-7", "1800000000." + std::to_string(i));
}

struct Client {
  Task<> run(SocketModeClient& c, std::atomic<long long>& handled) {
    auto* counter = &handled;
    const SocketModeClient::Handler handler = [counter](InboundEvent) { counter->fetch_add(1); };
    const boost::asio::any_io_executor ex = co_await boost::asio::this_coro::executor;
    auto r = co_await c.run(handler, ex);
    (void)r;
  }
};

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

void print_latency(const char* what, std::vector<std::chrono::microseconds> lat) {
  if (lat.empty()) {
    std::printf("%s: no acks\n", what);
    return;
  }
  std::sort(lat.begin(), lat.end());
  auto at = [&](double q) {
    return lat[std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())))];
  };
  std::printf("%s: n=%zu  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", what, lat.size(), ms(at(0.50)), ms(at(0.99)),
              ms(lat.back()));
}

// Paces `count` envelopes at `per_second` and returns their ack latencies (emulator side: frame
// queued → ack read).
std::vector<std::chrono::microseconds> paced(SlackEmulator& emu, long long first, int count, int per_second) {
  std::vector<std::string> ids;
  const auto interval = std::chrono::microseconds(1'000'000 / per_second);
  auto next = Steady::now();
  for (int i = 0; i < count; ++i) {
    ids.push_back(emu.send_envelope(envelope(first + i)));
    next += interval;
    std::this_thread::sleep_until(next);
  }
  std::vector<std::chrono::microseconds> lat;
  for (const auto& id : ids) {
    if (auto a = emu.wait_for_ack(id, 5s)) {
      lat.push_back(a->latency);
    }
  }
  return lat;
}

void in_process() {
  EmulatorOptions eo;
  eo.redeliver = false;
  SlackEmulator emu(eo);
  emu.start();
  boost::asio::io_context io{1};
  SystemClock clock;
  Metrics metrics;
  MemoryProcessedEvents processed;
  auto http = http::make_beast_http_client(io.get_executor(), {}, null_logger());
  RateLimiter limiter(clock);
  HttpWebApiOptions wo;
  wo.api_url = emu.api_url();
  wo.app_token = bench::app_token();
  wo.bot_token = bench::bot_token();
  HttpWebApi web(*http, limiter, clock, null_logger(), wo);
  auto transport = make_beast_transport(io.get_executor(), {}, null_logger());
  SocketModeOptions so;
  so.connections = 1;
  SocketModeClient client(io.get_executor(), *transport, web, clock, processed, metrics, null_logger(), so);
  std::atomic<long long> handled{0};
  Client runner;
  spawn(io.get_executor(), runner.run(client, handled), null_logger(), "bench client");
  std::thread thread([&] { io.run(); });
  if (!emu.wait_for_connections(1, 5s)) {
    std::printf("no connection\n");
    std::exit(1);
  }

  // A1: throughput, as fast as the emulator can write.
  constexpr int kBurst = 20000;
  const auto t0 = Steady::now();
  std::string last;
  for (int i = 0; i < kBurst; ++i) {
    last = emu.send_envelope(envelope(i));
  }
  while (handled.load() < kBurst && Steady::now() - t0 < 60s) {
    std::this_thread::sleep_for(1ms);
  }
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf(
      "throughput (1 connection, ack + dedup + normalise + hand-off): %d envelopes in %.2f s = %.0f envelopes/s\n",
      kBurst, secs, kBurst / secs);

  // A2: latency at 500/s for 10 s.
  auto lat = paced(emu, 1'000'000, 5000, 500);
  print_latency("ack latency at 500/s (emulator write → ack read)", lat);
  const auto h = metrics.histogram("vigil_socket_ack_seconds");
  std::printf(
      "client-side ack (frame read → ack written): p50 <= %.3f ms  p99 <= %.3f ms  max %.3f ms (bucket bounds)\n",
      h.quantile(0.5) * 1000, h.quantile(0.99) * 1000, h.max * 1000);
  boost::asio::post(io, [&] { client.stop(); });
  thread.join();
}

void serve_process(const std::filesystem::path& vigil) {
  if (!std::filesystem::exists(vigil)) {
    std::printf("(vigil binary not found at %s; RSS part skipped)\n", vigil.c_str());
    return;
  }
  EmulatorOptions eo;
  eo.redeliver = false;
  SlackEmulator emu(eo);
  emu.start();
  const auto db = std::filesystem::temp_directory_path() / ("vigil-bench-" + std::to_string(::getpid()) + ".db");
  std::vector<std::string> env{"SLACK_API_URL=" + emu.api_url(),
                               "SLACK_APP_TOKEN=" + bench::app_token(),
                               "SLACK_BOT_TOKEN=" + bench::bot_token(),
                               "VIGIL_DB=" + db.string(),
                               "VIGIL_LOG_LEVEL=warn",
                               "PATH=/usr/bin:/bin"};
  const pid_t pid = bench::start_process({vigil.string(), "serve"}, env, "/dev/null");
  if (pid < 0) {
    std::printf("cannot start vigil\n");
    return;
  }
  if (!emu.wait_for_connections(2, 10s)) {
    std::printf("vigil serve did not connect\n");
  }
  std::this_thread::sleep_for(2s);
  const long idle = bench::status_kib(pid, "VmRSS");
  auto lat = paced(emu, 2'000'000, 5000, 500);
  const long loaded = bench::status_kib(pid, "VmRSS");
  std::printf("vigil serve (2 connections, SQLite dedup): RSS idle %.1f MiB, after 10 s at 500 envelopes/s %.1f MiB\n",
              idle / 1024.0, loaded / 1024.0);
  print_latency("vigil serve ack latency at 500/s", lat);
  std::printf("vigil serve exit code after SIGTERM: %d\n", bench::stop_process(pid));
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
}

}  // namespace

int main(int, char** argv) {
  in_process();
  serve_process(std::filesystem::absolute(argv[0]).parent_path().parent_path() / "vigil");
  return 0;
}
