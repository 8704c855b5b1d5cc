// `vigil serve` against a reference Bolt app (bench/bolt/app.js, @slack/bolt over Socket Mode),
// both driven by the Slack emulator in this process, one after the other, with the same envelopes:
// the slash command `/triage help`. Vigil acks it and answers with one POST to the command's
// response_url (the usage text); the Bolt app acks it and answers with respond() (the same POST).
// A reply through the response_url is the one answer Slack does not rate-limit by tier; a Web API
// method would be paced by Vigil's client-side limiter (chat.postEphemeral: 100 a minute) and
// measure that instead.
//
// Per app: time from process start to the first hello; ack latency (the emulator's: frame queued
// → ack read) p50/p99/max and the envelopes/s achieved at 100, 500 and 2000 per second and flat
// out; end-to-end latency from sending the envelope to receiving the reply it causes (p50/p99);
// CPU seconds per 10,000 envelopes (utime+stime of the child); RSS idle and peak (VmHWM). Then
// the ratios against the targets: p99 ack at most a tenth of Bolt's, throughput at least 5x,
// peak RSS at most a fifth. When node or the Bolt packages are missing, Bolt is skipped and the
// reason printed (not a failure). Last, the same scenarios against bench/ack_floor_peer.cpp, a
// peer that only acks: the floor of the ack measurement on this machine, so a p99 target below it
// shows as out of any app's reach rather than as Vigil's miss alone.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "integrations/slack/emulator/slack_emulator.h"

using namespace vigil;
using namespace vigil::bench;
using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr int kSecondsPerRate = 5;
// At least this many envelopes per fixed rate (100/s runs 20 s): the p99 of 500 samples is the 5th
// worst ack, one scheduler hiccup of a 2-vCPU VM; of 2000 it is the 20th.
constexpr int kMinEnvelopesPerRate = 2000;
constexpr int kFlatOut = 10000;
constexpr auto kDrainLimit = 20s;  // envelopes on a socket the app dropped are lost (no redelivery)

struct Target {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // SLACK_API_URL is added per run
  std::string cwd;
  int connections = 1;
  bool replies = true;  // false: the floor peer, which only acks
};

struct Row {
  std::string label;
  int sent = 0;
  int acked = 0;
  int late = 0;  // acked after Slack's 3 s
  double ack_p50 = 0, ack_p99 = 0, ack_max = 0;
  double achieved = 0;  // acked envelopes per second of the scenario
  int replies = 0;
  bool replies_expected = true;
  double e2e_p50 = 0, e2e_p99 = 0;
  double cpu_per_10k = 0;
};

struct AppResult {
  bool ran = false;
  std::string why;  // when not
  double startup_ms = 0;
  long rss_idle_kib = 0;
  long peak_kib = 0;
  std::vector<Row> rows;
  int exit_code = -1;
  int connections = 0;   // websockets opened; more than the app's count means it reconnected
  std::string log_tail;  // when it reconnected
};

// Sends `count` envelopes (paced at `rate` per second, or all at once when 0), waits for their acks
// and replies, and measures.
Row run_scenario(slack::SlackEmulator& emu, pid_t pid, const std::string& label, const std::string& prefix, int rate,
                 int count, bool replies) {
  Row row;
  row.label = label;
  row.replies_expected = replies;
  const std::size_t replies_before = emu.response_post_log().size();
  std::map<std::string, Steady::time_point> sent_at;  // response_url id → sent
  std::vector<std::string> envelope_ids;
  envelope_ids.reserve(static_cast<std::size_t>(count));
  const double cpu0 = cpu_seconds(pid);
  const auto t0 = Steady::now();
  auto next = t0;
  const auto interval = rate > 0 ? std::chrono::nanoseconds(1'000'000'000LL / rate) : std::chrono::nanoseconds(0);
  for (int i = 0; i < count; ++i) {
    const auto id = prefix + std::to_string(i);
    sent_at[id] = Steady::now();
    envelope_ids.push_back(emu.send_envelope(slash_command_envelope(id, emu.response_url(id), "help")));
    if (rate > 0) {
      next += interval;
      std::this_thread::sleep_until(next);
    }
  }
  row.sent = count;
  const auto acks = collect_acks(emu, envelope_ids, kDrainLimit);
  const auto t_acked = Steady::now();
  row.acked = acks.acked;
  row.late = acks.late;
  row.ack_p50 = acks.p50;
  row.ack_p99 = acks.p99;
  row.ack_max = acks.max;
  row.achieved = row.acked / std::chrono::duration<double>(t_acked - t0).count();
  // The replies: wait until every envelope's arrived (or the limit passed).
  const auto reply_deadline = Steady::now() + kDrainLimit;
  while (replies && emu.response_post_log().size() < replies_before + static_cast<std::size_t>(count) &&
         Steady::now() < reply_deadline) {
    std::this_thread::sleep_for(20ms);
  }
  row.cpu_per_10k = (cpu_seconds(pid) - cpu0) / count * 10000.0;
  std::vector<double> e2e_ms;
  std::map<std::string, bool> seen;
  for (const auto& post : emu.response_post_log()) {
    auto it = sent_at.find(post.id);
    if (it == sent_at.end() || seen[post.id]) {
      continue;
    }
    seen[post.id] = true;
    e2e_ms.push_back(std::chrono::duration<double, std::milli>(post.received_at - it->second).count());
  }
  row.replies = static_cast<int>(e2e_ms.size());
  row.e2e_p50 = quantile(e2e_ms, 0.50);
  row.e2e_p99 = quantile(e2e_ms, 0.99);
  return row;
}

AppResult run_app(const Target& t, const std::string& log_path) {
  AppResult r;
  slack::EmulatorOptions eo;
  eo.redeliver = false;
  slack::SlackEmulator emu(eo);
  emu.start();
  auto env = t.env;
  env.push_back("SLACK_API_URL=" + emu.api_url());
  const auto started = Steady::now();
  const pid_t pid = start_process(t.argv, env, log_path, t.cwd);
  if (pid < 0) {
    r.why = "could not start " + t.argv[0];
    return r;
  }
  if (!emu.wait_for_connections(1, 30s)) {
    r.why = "no Socket Mode connection within 30 s; log " + log_path + ":\n" + tail_of(log_path);
    stop_process(pid);
    return r;
  }
  r.startup_ms = std::chrono::duration<double, std::milli>(Steady::now() - started).count();
  emu.wait_for_connections(t.connections, 10s);
  std::this_thread::sleep_for(1s);
  r.rss_idle_kib = status_kib(pid, "VmRSS");
  // Warm-up (not counted): the JIT and the first keep-alive connections.
  run_scenario(emu, pid, "warm-up", "w", 200, 200, t.replies);
  for (const int rate : {100, 500, 2000}) {
    r.rows.push_back(run_scenario(emu, pid, std::to_string(rate) + "/s", "r" + std::to_string(rate) + "-", rate,
                                  std::max(rate * kSecondsPerRate, kMinEnvelopesPerRate), t.replies));
  }
  r.rows.push_back(run_scenario(emu, pid, "flat out", "f", 0, kFlatOut, t.replies));
  r.peak_kib = status_kib(pid, "VmHWM");
  r.exit_code = stop_process(pid);
  r.connections = emu.connections_accepted();
  if (r.connections > t.connections) {
    r.log_tail = tail_of(log_path, 800);
  }
  r.ran = true;
  return r;
}

void print_app(const std::string& name, const AppResult& r) {
  std::printf("-- %s\n", name.c_str());
  if (!r.ran) {
    std::printf("SKIPPED: %s\n\n", r.why.c_str());
    return;
  }
  std::printf(
      "start → first hello %.0f ms; RSS idle %.1f MiB; peak RSS (VmHWM) %.1f MiB; exit code after SIGTERM %d; "
      "websockets opened %d\n",
      r.startup_ms, mib(r.rss_idle_kib), mib(r.peak_kib), r.exit_code, r.connections);
  if (!r.log_tail.empty()) {
    std::printf(
        "it reconnected (envelopes unacked on a dropped socket are lost: the emulator does not redeliver "
        "here); end of its log:\n%s\n",
        r.log_tail.c_str());
  }
  std::printf("%-9s %6s %6s %5s %9s %9s %9s %11s %9s %9s %10s\n", "rate", "sent", "acked", "late", "ack p50", "ack p99",
              "ack max", "achieved/s", "e2e p50", "e2e p99", "CPU s/10k");
  for (const auto& row : r.rows) {
    std::printf("%-9s %6d %6d %5d %7.2fms %7.2fms %7.1fms %11.0f %7.2fms %7.2fms %10.2f%s\n", row.label.c_str(),
                row.sent, row.acked, row.late, row.ack_p50, row.ack_p99, row.ack_max, row.achieved, row.e2e_p50,
                row.e2e_p99, row.cpu_per_10k,
                row.replies_expected && row.replies < row.sent
                    ? ("  (" + std::to_string(row.replies) + " replies)").c_str()
                    : "");
  }
  std::printf("\n");
}

std::string bolt_version(const fs::path& bolt_dir) {
  std::ifstream in(bolt_dir / "node_modules/@slack/bolt/package.json");
  auto j = json::parse(in, nullptr, false);
  return j.is_object() ? j.value("version", "?") : "?";
}

void verdict(const char* what, double ratio, bool met, const char* target) {
  std::printf("%-44s %8.3f  target %-8s %s\n", what, ratio, target, met ? "met" : "MISSED");
}

}  // namespace

int main(int, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when the output is a file
  const auto build_dir = fs::absolute(argv[0]).parent_path().parent_path();
  const fs::path vigil = build_dir / "vigil";
  const fs::path source_dir = std::getenv("VIGIL_SOURCE_DIR") ? std::getenv("VIGIL_SOURCE_DIR") : VIGIL_SOURCE_DIR;
  const fs::path bolt_dir = source_dir / "bench" / "bolt";
  const auto tmp = fs::temp_directory_path() / ("vigil-bolt-compare-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string path = path_variable();
  std::printf(
      "envelope: slash_commands `/triage help`, answered with one POST to its response_url; "
      "%d s at each fixed rate (at least %d envelopes), %d flat out, after 200 warm-up envelopes\n\n",
      kSecondsPerRate, kMinEnvelopesPerRate, kFlatOut);

  AppResult v;
  if (!fs::exists(vigil)) {
    v.why = "vigil binary not found at " + vigil.string();
  } else {
    Target t;
    t.name = "vigil serve";
    t.argv = {vigil.string(), "serve"};
    t.env = {path,
             "SLACK_APP_TOKEN=" + app_token(),
             "SLACK_BOT_TOKEN=" + bot_token(),
             "VIGIL_DB=" + (tmp / "vigil.db").string(),
             "VIGIL_LOG_LEVEL=warn",
             "VIGIL_HTTP_ADDR=127.0.0.1:0"};
    t.cwd = tmp.string();
    t.connections = 2;  // the default slack.connections
    v = run_app(t, (tmp / "vigil.log").string());
  }
  print_app("vigil serve (defaults: 2 Socket Mode connections, SQLite dedup)", v);

  AppResult b;
  std::string bolt_name = "Bolt";
  const auto node = find_on_path("node");
  if (!node) {
    b.why = "node not found on PATH (install it with: sudo ./scripts/bootstrap.sh browser)";
  } else if (!fs::exists(bolt_dir / "node_modules/@slack/bolt/package.json")) {
    b.why = "@slack/bolt is not installed in " + bolt_dir.string() +
            " (scripts/bench.sh runs `npm ci` there; it failed or npm is missing)";
  } else {
    bolt_name = "Bolt " + bolt_version(bolt_dir) + " (node, SocketModeReceiver, 1 connection)";
    Target t;
    t.name = "bolt";
    t.argv = {node->string(), (bolt_dir / "app.js").string()};
    t.env = {path, "SLACK_APP_TOKEN=" + app_token(), "SLACK_BOT_TOKEN=" + bot_token(), "NODE_ENV=production"};
    t.cwd = bolt_dir.string();
    t.connections = 1;
    b = run_app(t, (tmp / "bolt.log").string());
  }
  print_app(bolt_name, b);

  // The floor: a peer that only acks, through the same websocket transport as vigil serve.
  AppResult f;
  const fs::path floor_peer = build_dir / "bench" / "ack_floor_peer";
  if (!fs::exists(floor_peer)) {
    f.why = "ack_floor_peer not found at " + floor_peer.string();
  } else {
    Target t;
    t.name = "floor";
    t.argv = {floor_peer.string()};
    t.env = {path, "SLACK_APP_TOKEN=" + app_token()};
    t.cwd = tmp.string();
    t.connections = 1;
    t.replies = false;
    f = run_app(t, (tmp / "floor.log").string());
  }
  print_app("floor: a peer that only acks (bench/ack_floor_peer.cpp; 1 connection, no work, no replies)", f);

  int status = 0;
  if (!v.ran) {
    status = 1;  // Vigil itself must run
  } else if (b.ran) {
    std::printf("-- Vigil against Bolt\n");
    for (std::size_t i = 0; i < v.rows.size() && i < b.rows.size(); ++i) {
      if (v.rows[i].label == "flat out") {
        continue;  // queueing, not latency
      }
      const double ratio = b.rows[i].ack_p99 > 0 ? v.rows[i].ack_p99 / b.rows[i].ack_p99 : 0;
      const std::string what = "p99 ack at " + v.rows[i].label + " (Vigil / Bolt)";
      verdict(what.c_str(), ratio, ratio <= 0.1, "<= 0.1");
    }
    const double tput = b.rows.back().achieved > 0 ? v.rows.back().achieved / b.rows.back().achieved : 0;
    verdict("throughput flat out (Vigil / Bolt)", tput, tput >= 5, ">= 5");
    const double rss = b.peak_kib > 0 ? static_cast<double>(v.peak_kib) / static_cast<double>(b.peak_kib) : 0;
    verdict("peak RSS (Vigil / Bolt)", rss, rss <= 0.2, "<= 0.2");
    if (f.ran) {
      // Whether a p99 target is reachable at all here: the floor's p99 against a tenth of Bolt's.
      for (std::size_t i = 0; i < f.rows.size() && i < b.rows.size(); ++i) {
        if (f.rows[i].label == "flat out") {
          continue;
        }
        // The floor's own p99 is noisy (one run's tail): below it, a target is met only by luck of
        // the run, and a miss says nothing about the app.
        const double tenth = b.rows[i].ack_p99 / 10;
        const char* note = "";
        if (f.rows[i].ack_p99 > tenth) {
          note = v.rows[i].ack_p99 <= tenth ? "  (met, though below this run's floor)"
                                            : "  (below the floor: a miss here says nothing about the app)";
        }
        std::printf("p99 ack at %-6s floor %.2f ms, Vigil %.2f ms, a tenth of Bolt's %.2f ms%s\n",
                    f.rows[i].label.c_str(), f.rows[i].ack_p99, v.rows[i].ack_p99, tenth, note);
      }
    }
  } else {
    std::printf("Bolt was skipped: %s\n", b.why.c_str());
  }
  if (v.ran && (b.ran || !b.why.empty())) {
    std::error_code ec;
    fs::remove_all(tmp, ec);  // the logs stay when an app did not come up
  }
  return status;
}
