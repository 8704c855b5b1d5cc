// The soak test behind bench/soak.sh (not part of `make bench` or CI): the real `vigil serve`
// against the Slack emulator at a moderate load for a long time, its resident memory sampled every
// minute.
//
// Load: 50 envelopes/s of channel messages, and every 5 s a `/triage` run (rotating over 10
// channels) whose stand-in agent (bench/stream_agent) streams stream-json at 64 KiB/s for 5 s.
// Every minute: VmRSS of `vigil serve`, runs started and finished (final state in the emulator's
// call log), envelopes acked. At the end: the samples and the growth after the warm-up; exits 1
// when the growth exceeds the bound (or when an envelope went unacked or a run never finished).
//
//   soak_driver [--minutes N] [--warmup-minutes W] [--bound-mib B]   (defaults 30, 5, 5)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
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

constexpr int kChatterPerSecond = 50;
constexpr auto kRunEvery = 5s;
constexpr int kChannels = 10;

std::string channel_id(int i) {
  return "C0SOAK" + std::to_string(1000 + i % kChannels);
}

json chatter(long long i) {
  return channel_message_envelope("noise-" + std::to_string(i), "EvSoak" + std::to_string(i),
                                  "U0PERSON" + std::to_string(100 + i % 50), "C0CHATTER", "all quiet on checkout",
                                  "1800000000." + std::to_string(100000 + i));
}

json triage(long long run, const std::string& response_url) {
  return json{{"envelope_id", "triage-" + std::to_string(run)},
              {"type", "slash_commands"},
              {"payload",
               {{"team_id", "T111"},
                {"channel_id", channel_id(static_cast<int>(run))},
                {"user_id", "U0ONCALL01"},
                {"command", "/triage"},
                {"text", "checkout latency (soak run " + std::to_string(run) + ")"},
                {"response_url", response_url},
                {"trigger_id", "1337.soak." + std::to_string(run)}}}};
}

// Runs whose root message's last update shows a final state.
int finished_runs(const slack::SlackEmulator& emu) {
  std::map<std::string, std::string> last_text;  // channel:root ts → text
  std::set<std::string> roots;
  for (const auto& c : emu.calls()) {
    if (c.status != 200 || !c.response.is_object() || !c.response.value("ok", false)) {
      continue;
    }
    const auto key = c.args.value("channel", std::string()) + ":";
    if (c.method == "chat.postMessage" && c.args.value("thread_ts", std::string()).empty()) {
      roots.insert(key + c.response.value("ts", std::string()));
      last_text[key + c.response.value("ts", std::string())] = c.args.value("text", std::string());
    } else if (c.method == "chat.update") {
      last_text[key + c.args.value("ts", std::string())] = c.args.value("text", std::string());
    }
  }
  int n = 0;
  for (const auto& r : roots) {
    // A run that worked: its root says what it came to (an approved fix, or a diagnosis).
    const auto& t = last_text[r];
    n += t.find(": Fixed") != std::string::npos || t.find(": Diagnosed") != std::string::npos ? 1 : 0;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int minutes = 30, warmup = 5;
  double bound_mib = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--minutes")
      minutes = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--warmup-minutes")
      warmup = std::max(0, std::atoi(argv[i + 1]));
    else if (flag == "--bound-mib")
      bound_mib = std::atof(argv[i + 1]);
  }
  warmup = std::min(warmup, minutes - 1);
  const auto build_dir = fs::absolute(argv[0]).parent_path().parent_path();
  const fs::path vigil = build_dir / "vigil";
  const fs::path agent = build_dir / "bench" / "stream_agent";
  const auto tmp = fs::temp_directory_path() / ("vigil-soak-" + std::to_string(::getpid()));
  fs::create_directories(tmp / "workspaces");
  {
    std::ofstream cfg(tmp / "config.yaml");
    cfg << "channels: []\n"
        << "agent:\n  backend: command\n  command: [\"" << agent.string()
        << "\", \"--seconds\", \"5\", \"--bytes-per-second\", \"65536\", \"--turns-per-second\", \"4\"]\n"
        << "  timeout: 2m\n  max_concurrent: 8\n  workspace_root: " << (tmp / "workspaces").string() << "\n"
        << "http:\n  listen: 127.0.0.1:0\n"
        << "storage:\n  database: " << (tmp / "vigil.db").string() << "\n"
        << "logging:\n  level: warn\n"
        << "skills:\n  dirs: []\n";
  }
  slack::EmulatorOptions eo;
  eo.redeliver = false;
  slack::SlackEmulator emu(eo);
  emu.start();
  for (int i = 0; i < kChannels; ++i) {
    emu.add_channel(channel_id(i), "soak-" + std::to_string(i));
  }
  const std::string log_path = (tmp / "vigil.log").string();
  const pid_t pid = start_vigil_serve(vigil, tmp, emu.api_url());
  if (pid < 0 || !emu.wait_for_connections(2, 30s)) {
    std::printf("vigil serve did not connect; log %s\n", log_path.c_str());
    stop_process(pid);
    return 1;
  }
  std::printf(
      "soak: %d min; %d envelopes/s of channel messages, a /triage run every %lld s (agent: 64 KiB/s for 5 s); "
      "RSS sampled every minute; bound: growth after minute %d <= %.1f MiB\n",
      minutes, kChatterPerSecond, static_cast<long long>(kRunEvery.count()), warmup, bound_mib);
  std::printf("%6s %10s %9s %9s %10s %10s\n", "minute", "RSS MiB", "runs", "finished", "envelopes", "acked");
  std::fflush(stdout);

  long long sent = 0, runs = 0;
  std::vector<long> samples;
  const auto start = Steady::now();
  auto next_envelope = start;
  auto next_run = start;
  auto next_sample = start;
  const auto end = start + std::chrono::minutes(minutes);
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / kChatterPerSecond);
  while (true) {
    const auto now = Steady::now();
    if (now >= next_sample) {
      const long rss = status_kib(pid, "VmRSS");
      samples.push_back(rss);
      std::printf("%6zu %10.1f %9lld %9d %10lld %10zu\n", samples.size() - 1, mib(rss), runs, finished_runs(emu), sent,
                  emu.acks().size());
      std::fflush(stdout);
      next_sample += 1min;
      if (now >= end) {
        break;
      }
    }
    if (now >= next_run) {
      emu.send_envelope(triage(runs, emu.response_url("soak-" + std::to_string(runs))));
      ++runs;
      next_run += kRunEvery;
    }
    emu.send_envelope(chatter(sent));
    ++sent;
    next_envelope += interval;
    std::this_thread::sleep_until(next_envelope);
  }
  // The last runs finish and show it.
  const auto settle = Steady::now() + 60s;
  while (finished_runs(emu) < runs && Steady::now() < settle) {
    std::this_thread::sleep_for(1s);
  }
  const int finished = finished_runs(emu);
  const auto acked = emu.acks().size();
  const int exit_code = stop_process(pid, 60s);

  const long base = samples[static_cast<std::size_t>(warmup)];
  const long last = samples.back();
  const long highest = *std::max_element(samples.begin() + warmup, samples.end());
  const double growth = mib(last - base);
  std::printf(
      "RSS at minute %d: %.1f MiB; at the end: %.1f MiB; highest after minute %d: %.1f MiB; growth %+.2f MiB "
      "(bound %.1f MiB)\n",
      warmup, mib(base), mib(last), warmup, mib(highest), growth, bound_mib);
  std::printf(
      "envelopes %lld sent, %zu acked (+%lld /triage); runs %lld started, %d finished and shown; exit code "
      "after SIGTERM %d\n",
      sent, acked, runs, runs, finished, exit_code);
  const bool ok = mib(highest - base) <= bound_mib && static_cast<long long>(acked) == sent + runs &&
                  finished == runs && exit_code == 0;
  std::printf("soak: %s\n", ok ? "passed" : "FAILED");
  std::error_code ec;
  if (ok) {
    fs::remove_all(tmp, ec);
  } else {
    std::printf("(kept %s: vigil.log, vigil.db)\n", tmp.c_str());
  }
  return ok ? 0 : 1;
}
