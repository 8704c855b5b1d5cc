// The first visible answer under load (issue 23): how soon a person who types `/triage <text>` hears
// back, and what memory a queue of runs costs. Three peers, each driven by the Slack emulator in this
// process with the same envelopes, one after the other:
//
//   - `vigil serve`: every command creates a real run (an agent run of bench/stream_agent, which
//     streams slowly for minutes, so agent.max_concurrent runs hold the slots and the rest queue);
//     the first answer is the private "Starting run …" or "Run … is queued" reply to the command's
//     response_url;
//   - the reference Bolt app (bench/bolt/app.js, @slack/bolt over Socket Mode): it acks and answers
//     with respond() to the same response_url, creating nothing;
//   - the floor (bench/ack_floor_peer.cpp --answer): acks and POSTs a one-line answer, nothing else,
//     over the same Beast transport and HTTP client as Vigil: what the emulator, the kernel and this
//     machine allow.
//
// Passes, each in a fresh process with fresh state (200 `/triage help` first, at 200/s, as warm-up):
//   - rate: 200 commands a second for ANSWER_BURST_RATE_SECONDS (default 10);
//   - burst: ANSWER_BURST_COMMANDS (default 5000) sent as fast as acks allow, at most 50 unacked.
// Per pass: ack p50/p99/max (the emulator's: frame written → ack read), first answer p50/p99/max
// (command sent → its response_url POST read), first answers per second (answers / time from the
// first command to the last answer), commands with no answer 5 s after the last ack, peak RSS
// (VmHWM). Then idle RSS and start → first hello, and the verdicts against the targets.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
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

constexpr int kWindow = 50;  // unacked envelopes at most, in the burst
constexpr int kRate = 200;
constexpr int kWarmUp = 200;
constexpr int kChannels = 50;
constexpr auto kNoAnswerAfter = 5s;
constexpr auto kDrainLimit = 60s;

// ANSWER_BURST_PEERS (default "vigil bolt floor") picks the peers, e.g. "vigil" while profiling.
bool wanted(const std::string& peer) {
  const char* v = std::getenv("ANSWER_BURST_PEERS");
  return !v || !*v || (" " + std::string(v) + " ").find(" " + peer + " ") != std::string::npos;
}

struct Peer {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // SLACK_API_URL is added per pass
  std::string cwd;
  int connections = 1;
  bool creates_runs = false;
  std::function<void(const fs::path&)> prepare;  // fresh state in the pass's folder
};

struct Pass {
  std::string label;
  int sent = 0;
  AckFigures acks;
  int answered = 0;
  int runs_answered = 0;  // answers that name a run started or queued
  double first_p50 = 0, first_p99 = 0, first_max = 0;
  double answers_per_s = 0;
  int unanswered = 0;  // no answer kNoAnswerAfter after the last ack
  long peak_kib = 0;
};

struct PeerResult {
  bool ran = false;
  std::string why;
  double startup_ms = 0;
  long idle_kib = 0;
  std::vector<Pass> passes;
  int exit_code = 0;
};

std::string channel_of(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "C%07d", 1000 + i % kChannels);
  return id;
}

json slash_command(const std::string& id, const std::string& response_url, const std::string& text, int i) {
  char user[16];
  std::snprintf(user, sizeof user, "U%07d", 2000 + i % 97);
  return slash_command_envelope(id, response_url, text, channel_of(i), user);
}

std::string answer_text(const json& body) {
  return body.is_object() && body.contains("text") && body["text"].is_string() ? body["text"].get<std::string>() : "";
}

bool names_a_run(const std::string& text) {
  return text.find("Starting run") != std::string::npos || text.find("is queued") != std::string::npos;
}

// Sends `count` commands, paced at `rate` a second, or as fast as acks allow with at most kWindow
// unacked when `rate` is 0, then waits for their answers and measures.
Pass drive(slack::SlackEmulator& emu, pid_t pid, const std::string& label, const std::string& prefix, int rate,
           int count, const std::string& text) {
  Pass p;
  p.label = label;
  std::map<std::string, Steady::time_point> sent_at;
  std::vector<std::string> envelope_ids;
  envelope_ids.reserve(static_cast<std::size_t>(count));
  const auto t0 = Steady::now();
  auto next = t0;
  const auto interval = rate > 0 ? std::chrono::nanoseconds(1'000'000'000LL / rate) : std::chrono::nanoseconds(0);
  for (int i = 0; i < count; ++i) {
    if (rate == 0 && i >= kWindow) {
      emu.wait_for_ack(envelope_ids[static_cast<std::size_t>(i - kWindow)], kDrainLimit);
    }
    const auto id = prefix + std::to_string(i);
    sent_at[id] = Steady::now();
    envelope_ids.push_back(emu.send_envelope(slash_command(id, emu.response_url(id), text, i)));
    if (rate > 0) {
      next += interval;
      std::this_thread::sleep_until(next);
    }
  }
  p.sent = count;
  p.acks = collect_acks(emu, envelope_ids, kDrainLimit);
  const auto last_ack = Steady::now();
  // Answers: counted at kNoAnswerAfter after the last ack, then waited for up to kDrainLimit.
  auto answered_now = [&] {
    int n = 0;
    for (const auto& post : emu.response_post_log()) {
      n += sent_at.count(post.id) ? 1 : 0;
    }
    return n;
  };
  std::this_thread::sleep_until(last_ack + kNoAnswerAfter);
  p.unanswered = count - answered_now();
  const auto drain_deadline = Steady::now() + kDrainLimit;
  while (answered_now() < count && Steady::now() < drain_deadline) {
    std::this_thread::sleep_for(100ms);
  }
  p.peak_kib = status_kib(pid, "VmHWM");
  std::vector<double> first_ms;
  std::map<std::string, bool> seen;
  Steady::time_point last_answer = t0;
  for (const auto& post : emu.response_post_log()) {
    const auto it = sent_at.find(post.id);
    if (it == sent_at.end() || seen[post.id]) {
      continue;
    }
    seen[post.id] = true;
    first_ms.push_back(std::chrono::duration<double, std::milli>(post.received_at - it->second).count());
    last_answer = std::max(last_answer, post.received_at);
    p.runs_answered += names_a_run(answer_text(post.body)) ? 1 : 0;
  }
  p.answered = static_cast<int>(first_ms.size());
  p.first_p50 = quantile(first_ms, 0.50);
  p.first_p99 = quantile(first_ms, 0.99);
  p.first_max = max_of(first_ms);
  const double span = std::chrono::duration<double>(last_answer - t0).count();
  p.answers_per_s = span > 0 ? p.answered / span : 0;
  return p;
}

// One pass in a fresh process: start it, wait for its connections, warm up, drive, stop.
std::optional<Pass> run_pass(const Peer& peer, const fs::path& dir, const std::string& label, int rate, int count,
                             PeerResult& r) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (peer.prepare) {
    peer.prepare(dir);
  }
  slack::EmulatorOptions eo;
  eo.redeliver = false;
  slack::SlackEmulator emu(eo);
  emu.start();
  for (int i = 0; i < kChannels; ++i) {
    emu.add_channel(channel_of(i), "burst-" + std::to_string(i));
  }
  auto env = peer.env;
  env.push_back("SLACK_API_URL=" + emu.api_url());
  const auto log_path = (dir / "peer.log").string();
  const auto started = Steady::now();
  const pid_t pid = start_process(peer.argv, env, log_path, peer.cwd.empty() ? dir.string() : peer.cwd);
  if (pid < 0 || !emu.wait_for_connections(1, 30s)) {
    r.why = "no Socket Mode connection within 30 s; log " + log_path + ":\n" + tail_of(log_path);
    stop_process(pid);
    return std::nullopt;
  }
  const double startup_ms = std::chrono::duration<double, std::milli>(Steady::now() - started).count();
  emu.wait_for_connections(peer.connections, 10s);
  std::this_thread::sleep_for(1s);
  if (r.passes.empty()) {
    r.startup_ms = startup_ms;
    r.idle_kib = status_kib(pid, "VmRSS");
  }
  drive(emu, pid, "warm-up", "w", kRate, kWarmUp, "help");
  auto pass = drive(emu, pid, label, "c", rate, count, "checkout latency is up in eu-west-1");
  const int status = stop_process(pid);
  if (status != 0) {
    r.exit_code = status;
  }
  const int rate_limited = emu.rate_limited_count();
  if (rate_limited > 0) {
    std::printf("  %s: %d Web API calls were answered 429\n", label.c_str(), rate_limited);
  }
  return pass;
}

PeerResult run_peer(const Peer& peer, const fs::path& tmp, int rate_seconds, int burst) {
  PeerResult r;
  const auto dir = tmp / peer.name;
  auto rate = run_pass(peer, dir, std::to_string(kRate) + "/s", kRate, kRate * rate_seconds, r);
  if (!rate) {
    return r;
  }
  r.passes.push_back(*rate);
  auto burst_pass = run_pass(peer, dir, "burst", 0, burst, r);
  if (!burst_pass) {
    return r;
  }
  r.passes.push_back(*burst_pass);
  r.ran = true;
  return r;
}

void print_peer(const std::string& title, const PeerResult& r, bool creates_runs) {
  std::printf("-- %s\n", title.c_str());
  if (!r.ran) {
    std::printf("SKIPPED: %s\n\n", r.why.c_str());
    return;
  }
  std::printf("start → first hello %.0f ms; idle RSS %.1f MiB; exit code after SIGTERM %d\n", r.startup_ms,
              mib(r.idle_kib), r.exit_code);
  std::printf("%-7s %6s %6s %5s %8s %8s %8s %8s %9s %9s %9s %9s %8s %9s\n", "pass", "sent", "acked", "late", "ack p50",
              "ack p99", "ack max", "answered", "1st p50", "1st p99", "1st max", "answers/s", "no ans 5s", "peak RSS");
  for (const auto& p : r.passes) {
    std::printf("%-7s %6d %6d %5d %6.2fms %6.2fms %6.1fms %8d %7.2fms %7.1fms %7.0fms %9.0f %8d %6.1fMiB\n",
                p.label.c_str(), p.sent, p.acks.acked, p.acks.late, p.acks.p50, p.acks.p99, p.acks.max, p.answered,
                p.first_p50, p.first_p99, p.first_max, p.answers_per_s, p.unanswered, mib(p.peak_kib));
    if (creates_runs) {
      std::printf("        %d of the answers name the run started or queued\n", p.runs_answered);
    }
  }
  std::printf("\n");
}

void verdict(const std::string& what, const std::string& figure, bool met, const std::string& target) {
  std::printf("%-52s %-18s target %-22s %s\n", what.c_str(), figure.c_str(), target.c_str(), met ? "met" : "MISSED");
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int main(int, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int rate_seconds = env_int("ANSWER_BURST_RATE_SECONDS", 10);
  const int burst = env_int("ANSWER_BURST_COMMANDS", 5000);
  const auto build_dir = fs::absolute(argv[0]).parent_path().parent_path();
  const fs::path vigil = build_dir / "vigil";
  const fs::path agent = build_dir / "bench" / "stream_agent";
  const fs::path floor_peer = build_dir / "bench" / "ack_floor_peer";
  const fs::path source_dir = std::getenv("VIGIL_SOURCE_DIR") ? std::getenv("VIGIL_SOURCE_DIR") : VIGIL_SOURCE_DIR;
  const fs::path bolt_dir = source_dir / "bench" / "bolt";
  const auto tmp = fs::temp_directory_path() / ("vigil-answer-burst-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string path = path_variable();
  std::printf(
      "`/triage <text>` from %d channels: %d a second for %d s, then a burst of %d with at most %d unacked; each "
      "pass in a fresh process after %d `/triage help` at %d/s\n\n",
      kChannels, kRate, rate_seconds, burst, kWindow, kWarmUp, kRate);

  PeerResult v;
  if (!wanted("vigil")) {
    v.why = "not in ANSWER_BURST_PEERS";
  } else if (!fs::exists(vigil) || !fs::exists(agent)) {
    v.why = "needs " + vigil.string() + " and " + agent.string();
  } else {
    Peer p;
    p.name = "vigil";
    // ANSWER_BURST_WRAP runs Vigil under a profiler, e.g. "perf record -g -o /tmp/vigil.perf --"
    // (the figures are then the profiler's too; for finding where the time goes, not for the record).
    if (const char* wrap = std::getenv("ANSWER_BURST_WRAP"); wrap && *wrap) {
      std::istringstream words(wrap);
      for (std::string w; words >> w;) {
        p.argv.push_back(w);
      }
    }
    p.argv.insert(p.argv.end(), {vigil.string(), "--config", "config.yaml", "serve"});
    p.env = {path, "SLACK_APP_TOKEN=" + app_token(), "SLACK_BOT_TOKEN=" + bot_token()};
    p.connections = 2;
    p.creates_runs = true;
    p.prepare = [agent](const fs::path& dir) {
      fs::create_directories(dir / "workspaces");
      std::ofstream cfg(dir / "config.yaml");
      cfg << "slack:\n  connections: 2\n"
          << "channels: []\n"
          << "agent:\n  backend: command\n  command: [\"" << agent.string()
          << "\", \"--seconds\", \"600\", \"--bytes-per-second\", \"200\", \"--turns-per-second\", \"1\"]\n"
          << "  timeout: 15m\n  workspace_root: " << (dir / "workspaces").string() << "\n"
          << "  knowledge_dirs: []\n"
          << "start:\n  limits:\n    agent:\n      per_user: off\n      per_channel: off\n"
          << "http:\n  listen: 127.0.0.1:0\n"
          << "storage:\n  database: " << (dir / "vigil.db").string() << "\n"
          << "logging:\n  level: warn\n"
          << "skills:\n  dirs: []\n";
    };
    v = run_peer(p, tmp, rate_seconds, burst);
  }
  print_peer("vigil serve (2 Socket Mode connections, SQLite, agent.max_concurrent 4: every command a run)", v, true);

  PeerResult b;
  std::string bolt_title = "Bolt";
  const auto node = find_on_path("node");
  if (!wanted("bolt")) {
    b.why = "not in ANSWER_BURST_PEERS";
  } else if (!node) {
    b.why = "node not found on PATH (install it with: sudo ./scripts/bootstrap.sh browser)";
  } else if (!fs::exists(bolt_dir / "node_modules/@slack/bolt/package.json")) {
    b.why = "@slack/bolt is not installed in " + bolt_dir.string() + " (scripts/bench.sh runs `npm ci` there)";
  } else {
    Peer p;
    p.name = "bolt";
    p.argv = {node->string(), (bolt_dir / "app.js").string()};
    p.env = {path, "SLACK_APP_TOKEN=" + app_token(), "SLACK_BOT_TOKEN=" + bot_token(), "NODE_ENV=production"};
    p.cwd = bolt_dir.string();
    bolt_title = "Bolt for JavaScript (bench/bolt/app.js: ack, then one respond(); no run)";
    b = run_peer(p, tmp, rate_seconds, burst);
  }
  print_peer(bolt_title, b, false);

  PeerResult f;
  if (!wanted("floor")) {
    f.why = "not in ANSWER_BURST_PEERS";
  } else if (!fs::exists(floor_peer)) {
    f.why = "ack_floor_peer not found at " + floor_peer.string();
  } else {
    Peer p;
    p.name = "floor";
    p.argv = {floor_peer.string(), "--answer"};
    p.env = {path, "SLACK_APP_TOKEN=" + app_token()};
    f = run_peer(p, tmp, rate_seconds, burst);
  }
  print_peer("floor (bench/ack_floor_peer --answer: ack, then one POST to the response_url; nothing else)", f, false);

  if (!v.ran) {
    return wanted("vigil") ? 1 : 0;
  }
  const auto& vr = v.passes[0];
  const auto& vb = v.passes[1];
  std::printf("-- Targets (issue 23)\n");
  verdict("200/s: first-answer p99", fmt("%.2f ms", vr.first_p99), vr.first_p99 <= 3, "<= 3 ms");
  if (f.ran) {
    const double over = vr.acks.p99 - f.passes[0].acks.p99;
    verdict("200/s: ack p99 over the floor's (same run)", fmt("%+.2f ms", over), over <= 0.2, "<= +0.2 ms");
  }
  verdict("burst: every command answered", std::to_string(vb.answered) + "/" + std::to_string(vb.sent),
          vb.answered == vb.sent && vb.runs_answered == vb.sent, "all, each naming a run");
  const double ceiling = f.ran ? f.passes[1].answers_per_s : 0;
  const double needed = ceiling > 0 ? std::min(5000.0, ceiling) : 5000.0;
  verdict("burst: first answers per second", fmt("%.0f/s", vb.answers_per_s), vb.answers_per_s >= needed,
          ">= " + fmt("%.0f/s", needed) + (needed < 5000 ? " (the floor's)" : ""));
  verdict("burst: first-answer p99", fmt("%.0f ms", vb.first_p99), vb.first_p99 <= 250, "<= 250 ms");
  verdict("burst: peak RSS, " + std::to_string(vb.runs_answered) + " runs", fmt("%.1f MiB", mib(vb.peak_kib)),
          mib(vb.peak_kib) <= 40, "<= 40 MiB");
  verdict("idle RSS", fmt("%.1f MiB", mib(v.idle_kib)), mib(v.idle_kib) <= 15, "<= 15 MiB");
  verdict("start → first hello", fmt("%.0f ms", v.startup_ms), v.startup_ms <= 50, "<= 50 ms");
  if (b.ran) {
    const auto& bb = b.passes[1];
    std::printf("burst against Bolt: answers/s %.2fx, first-answer p99 %.2fx, peak RSS %.2fx (Vigil / Bolt)\n",
                bb.answers_per_s > 0 ? vb.answers_per_s / bb.answers_per_s : 0,
                bb.first_p99 > 0 ? vb.first_p99 / bb.first_p99 : 0,
                bb.peak_kib > 0 ? static_cast<double>(vb.peak_kib) / static_cast<double>(bb.peak_kib) : 0);
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
