// The failover soak: N `vigil serve` replicas on one PostgreSQL database and the Slack emulator,
// under a steady load of slash commands, Alertmanager webhooks and approval clicks, while a random
// replica (every other time the leader) is killed with SIGKILL at random moments (with its step processes, as a lost
// node takes them) and started again a moment later. What a person would notice is counted from the outside: commands
// and alerts that never became a run or an incident, steps and remediations that ran twice (each tool execution appends
// to a side-effect file), a second root message or card, runs that never reached a final state. Then the same load
// without kills, as fast as the replicas take it, for the throughput.
//
// Prints, for 1, 3 and 5 replicas: throughput (runs per second, commands in to runs finished),
// kills and where the runs were at each, takeovers (kill to "leading now", and kill to the first
// run moving on under the new leader) and the loss and duplicate counts, which must be 0.
//
// FAILOVER_SOAK_SECONDS (default 60) is each soak's length; FAILOVER_SOAK_REPLICAS ("1 3 5") the
// replica counts; FAILOVER_SOAK_DEBUG prints the emulator's calls and the runs' states every few
// seconds while settling. A run left not final is explained on stderr (its approvals, the log lines
// that name it). Needs Debian's postgresql (the bootstrap's peers); without it, says so and exits
// 0.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/postgres_server.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_envelopes.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;

// Commands are spread over ten incident channels, as an alert storm spreads over services:
// Slack paces posts per channel (about one a second), which would otherwise be all one measures.
constexpr int kChannels = 10;
constexpr const char* kChannel = "C0SOAK0";  // http.alert_channel too
std::string channel_id(int i) {
  return "C0SOAK" + std::to_string(i % kChannels);
}
constexpr const char* kRequester = "U0REQ";
constexpr const char* kApprover = "U0APPROVER";
constexpr const char* kWebhookToken = "soak-webhook-token-1";

double ms_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The processes a replica started (its step tools), found through /proc before it is killed.
std::vector<pid_t> descendants(pid_t root) {
  std::map<pid_t, pid_t> parent;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const auto stat = read_text(entry.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    parent[static_cast<pid_t>(std::stol(name))] = ppid;
  }
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    for (const auto& [child, ppid] : parent) {
      if (ppid == p) {
        out.push_back(child);
        frontier.push_back(child);
      }
    }
  }
  return out;
}

struct Replica {
  pid_t pid = -1;
  std::string log;
  unsigned short port = 0;
  SteadyTime restart_at{};  // when a killed replica starts again
};

// What one soak or throughput pass saw.
struct Figures {
  int replicas = 0;
  int commands = 0;
  int alerts = 0;
  int clicks = 0;
  int clicks_again = 0;  // a card clicked again because the first click died with its replica
  int kills = 0;
  int leader_kills = 0;
  std::map<std::string, int> kill_moments;  // where the runs were at each kill
  std::vector<double> takeover_ms;          // kill → "leading now" on another (or the restarted) replica
  std::vector<double> moving_on_ms;         // kill → the first run event written after it
  int lost_commands = 0;
  int lost_alerts = 0;
  int duplicate_runs = 0;
  int steps_twice = 0;
  int remediations_twice = 0;
  int second_roots = 0;
  int second_cards = 0;
  int not_final = 0;
  int runs = 0;
  std::map<std::string, int> states;  // runs per state at the end
  double seconds = 0;                 // first command to the last run final
  double settle_seconds = 0;          // the last command (and kill) to the last run final
};

class Soak {
 public:
  Soak(test::PostgresServer& db, int replicas) : dsn_(db.create_database()), count_(replicas) {
    slack::EmulatorOptions o;
    o.redeliver_all_types = true;  // what a dying socket never acked comes again, as from Slack
    emu_ = std::make_unique<slack::SlackEmulator>(o);
    for (int i = 0; i < kChannels; ++i) {
      emu_->add_channel(channel_id(i), "inc-soak-" + std::to_string(i));
    }
    emu_->start();
    std::filesystem::create_directories(dir_ / "gates");
    write_skill();
    write_config();
    figures_.replicas = replicas;
  }
  ~Soak() {
    for (auto& r : replicas_) {
      if (r.pid > 0) {
        ::kill(r.pid, SIGTERM);
        test::wait_exit(r.pid, 30s);
      }
    }
  }

  bool start_all() {
    replicas_.resize(static_cast<std::size_t>(count_));
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      replicas_[i].log = (dir_ / ("replica-" + std::to_string(i) + ".log")).string();
      if (!start(i)) {
        std::fprintf(stderr, "replica %zu did not start:\n%s\n", i, read_text(replicas_[i].log).c_str());
        return false;
      }
    }
    return test::eventually([&] { return static_cast<int>(emu_->connections().size()) == 2 * count_; }, 60s);
  }

  // Steady load for `seconds`, killing a random replica every 2–5 s; then everything settles.
  Figures soak(std::chrono::seconds seconds, double commands_per_second) {
    const auto begin = std::chrono::steady_clock::now();
    const auto end = begin + seconds;
    const auto tick = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / commands_per_second));
    auto next_kill = begin + random_ms(2000, 5000);
    for (auto next = begin; std::chrono::steady_clock::now() < end; next += tick) {
      std::this_thread::sleep_until(next);
      load_tick();
      if (std::chrono::steady_clock::now() >= next_kill) {
        kill_random();
        next_kill = std::chrono::steady_clock::now() + random_ms(2000, 5000);
      }
      restart_due();
      watch_takeovers();
    }
    settle(begin);
    return figures_;
  }

  // As fast as the replicas take it, no kills: `commands` commands, gates open at once.
  Figures throughput(int commands) {
    instant_gates_ = true;
    const auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < commands; ++i) {
      command();
      if (i % 10 == 0) {
        click_cards();
        open_due_gates();
      }
    }
    settle(begin);
    return figures_;
  }

 private:
  std::chrono::milliseconds random_ms(int low, int high) {
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(low, high)(random_));
  }

  void write_skill() {
    const auto tool = (test::test_data_dir() / "support" / "gated_tool.sh").string();
    const auto effects = (dir_ / "side-effects.log").string();
    const auto gates = (dir_ / "gates").string();
    std::filesystem::create_directories(dir_ / "skills");
    std::ofstream(dir_ / "skills" / "soak-fix.yaml")
        << "id: soak-fix\ntitle: Fix a soak incident\ndescription: Looks, then fixes, each step on a gate.\n"
           "parameters:\n  - name: tag\n    pattern: '[a-z0-9]{1,12}'\n    required: true\n"
           "steps:\n  - id: look\n    title: Look at it\n    run: ['"
        << tool << "', '" << effects << "', '" << gates << "/look-{{ params.tag }}', look, '{{ params.tag }}']\n"
        << "  - id: fix\n    title: Fix it\n    run: ['" << tool << "', '" << effects << "', '" << gates
        << "/fix-{{ params.tag }}', fix, '{{ params.tag }}']\n"
           "    dry_run: [echo, 'would fix', '{{ params.tag }}']\n"
           "    mutating: true\n    requires_approval: true\n    risk: medium\n";
  }
  void write_config() {
    std::ofstream config(dir_ / "vigil.yaml");
    config << "channels:\n";
    for (int i = 0; i < kChannels; ++i) {
      config << "  - id: " << channel_id(i) << "\n    backend: runbook\n";
    }
    config << "approvals:\n  users: [" << kApprover << "]\nskills:\n  dirs: [" << (dir_ / "skills").string()
           << "]\nagent:\n  workspace_root: " << (dir_ / "ws").string()
           << "\n  grace: 1s\n  max_concurrent: 8\n"
              "http:\n  alert_channel: "
           << kChannel << "\nlogging:\n  level: info\n";
  }
  std::vector<std::string> environment() const {
    return {"SLACK_API_URL=" + emu_->api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
            "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_POSTGRES_DSN=" + dsn_,
            std::string("VIGIL_ALERTMANAGER_TOKEN=") + kWebhookToken};
  }

  bool start(std::size_t i) {
    auto& r = replicas_[i];
    const auto before = read_text(r.log);
    r.pid = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, environment(), r.log);
    r.restart_at = {};
    const std::string said = "http listening on 127.0.0.1:0 (port ";
    return r.pid > 0 && test::eventually(
                            [&] {
                              const auto text = read_text(r.log);
                              const auto at = text.rfind(said);
                              if (at == std::string::npos || at < before.size()) {
                                return false;
                              }
                              r.port = static_cast<unsigned short>(std::stoi(text.substr(at + said.size())));
                              return true;
                            },
                            30s);
  }

  // One turn of the load: a command; every fifth turn an alert; cards clicked and gates opened.
  void load_tick() {
    command();
    if (++turns_ % 5 == 0) {
      alert();
    }
    click_cards();
    open_due_gates();
  }

  void command() {
    const auto n = std::to_string(++figures_.commands);
    const auto tag = "t" + n;
    tags_.push_back(tag);
    gate_later("look-" + tag);
    emu_->send_envelope({{"envelope_id", "env-cmd-" + n},
                         {"type", "slash_commands"},
                         {"accepts_response_payload", true},
                         {"payload",
                          {{"command", "/runbook"},
                           {"text", "run soak-fix tag=" + tag},
                           {"user_id", kRequester},
                           {"user_name", "req"},
                           {"channel_id", channel_id(figures_.commands)},
                           {"channel_name", "inc-soak-" + std::to_string(figures_.commands % kChannels)},
                           {"team_id", "T1"},
                           {"response_url", emu_->response_url("cmd-" + n)},
                           {"trigger_id", "trig-" + tag}}}});
  }

  // An Alertmanager webhook with one new alert, to a live replica; on a refused or dropped
  // connection, to another (as Alertmanager retries).
  void alert() {
    const auto n = std::to_string(++figures_.alerts);
    auto body = json::parse(read_text(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json"));
    auto one = body["alerts"][0];
    one["fingerprint"] = "soak-" + n;
    one["labels"]["instance"] = "host-" + n + ":9100";
    body["alerts"] = json::array({one});
    body["groupKey"] = "soak-" + n;
    const auto request = test::http_request(
        "POST", "/webhooks/alertmanager",
        {{"Authorization", std::string("Bearer ") + kWebhookToken}, {"Content-Type", "application/json"}}, body.dump());
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto& r = replicas_[static_cast<std::size_t>(attempt) % replicas_.size()];
      if (r.pid > 0 && test::raw_http(r.port, request, 2s).status == 202) {
        return;
      }
      if ((attempt + 1) % replicas_.size() == 0) {
        std::this_thread::sleep_for(100ms);  // every replica down or restarting: Alertmanager waits too
        restart_due();
      }
    }
    std::fprintf(stderr, "alert %s: no replica took it\n", n.c_str());
  }

  // The approval cards posted so far, each clicked once (and again only if its run still waits
  // long after: the click died with the replica that read it, and a person clicks again).
  void click_cards() {
    const auto calls = emu_->calls("chat.postMessage");
    for (std::size_t i = seen_posts_; i < calls.size(); ++i) {
      const auto& c = calls[i];
      for (const auto& b : c.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve" && c.status == 200 && c.error.empty()) {
            const auto token = e.value("value", "");
            if (++cards_[token] == 1) {
              card_channel_[token] = c.args.value("channel", kChannel);
              // The remediation takes a moment after the click, so kills land inside it too.
              gate_later("fix-" + tag_of(token));
              click(token);
            }
          }
        }
      }
    }
    seen_posts_ = calls.size();
  }
  // The tag of the command that started an approval's run (its trigger is "trig-<tag>").
  std::string tag_of(const std::string& token) {
    if (!store_) {
      auto opened = Store::open_postgres(dsn_, StoreOpenMode::MustExist);
      if (!opened) {
        return "";
      }
      store_ = std::move(*opened);
    }
    const auto approval = store_->get_approval(token);
    const auto run = approval ? store_->get_run(approval->run_id) : std::nullopt;
    const std::string prefix = "slack:command:trig-";
    return run && run->trigger_key.rfind(prefix, 0) == 0 ? run->trigger_key.substr(prefix.size()) : "";
  }
  void click(const std::string& token) {
    const auto n = std::to_string(++clicks_sent_);
    const auto channel = card_channel_.count(token) ? card_channel_[token] : std::string(kChannel);
    clicked_at_[token] = std::chrono::steady_clock::now();
    emu_->send_envelope(test::button_click_envelope({.id = n,
                                                     .action_id = "approval.approve",
                                                     .value = token,
                                                     .user = kApprover,
                                                     .channel = channel,
                                                     .channel_name = "inc-soak",
                                                     .response_url = emu_->response_url("click-" + n)}));
    ++figures_.clicks;
  }

  // Each step takes a moment (its gate opens 200–800 ms after the run could reach it), so kills
  // land inside steps as well as between them.
  void gate_later(const std::string& gate) {
    const auto at =
        instant_gates_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::now() + random_ms(200, 800);
    gates_.emplace_back(at, gate);
  }
  void open_due_gates() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = gates_.begin(); it != gates_.end();) {
      if (it->first <= now) {
        std::ofstream(dir_ / "gates" / it->second) << "open\n";
        it = gates_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Where the leader's runs were when it was killed (a kill may count under several).
  std::vector<std::string> leader_moment(Store& store, const std::vector<pid_t>& tools) {
    std::vector<std::string> moment;
    const auto add = [&](const std::string& what) { moment.push_back(what); };
    if (!store.list_runs(1, RunState::Queued).empty()) {
      add("a run queued");
    }
    if (!store.list_runs(1, RunState::AwaitingApproval).empty()) {
      add("a run awaiting approval");
    }
    // The step tools running under the leader now: a diagnostic step or a remediation.
    bool looking = false;
    bool fixing = false;
    for (const pid_t tool : tools) {
      auto argv = read_text("/proc/" + std::to_string(tool) + "/cmdline");
      std::replace(argv.begin(), argv.end(), '\0', ' ');
      if (argv.find("gated_tool.sh") != std::string::npos) {
        looking = looking || argv.find(" look ") != std::string::npos;
        fixing = fixing || argv.find(" fix ") != std::string::npos;
      }
    }
    if (looking) {
      add("inside a diagnostic step");
    }
    if (fixing) {
      add("inside a remediation");
    }
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [token, at] : clicked_at_) {
      if (ms_between(at, now) < 300) {
        add("right after an approve click");
        break;
      }
    }
    if (moment.empty()) {
      add("the leader, with no run in flight");
    }
    return moment;
  }

  // The vigil_leader gauge of a live replica: 1 once it holds the database and leads.
  static bool is_leader(const Replica& r) {
    if (r.pid <= 0 || r.port == 0) {
      return false;
    }
    const auto body = test::raw_http(r.port, test::http_request("GET", "/metrics"), 2s).body;
    return body.find("\nvigil_leader 1\n") != std::string::npos;
  }

  void kill_random() {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      if (replicas_[i].pid > 0) {
        live.push_back(i);
      }
    }
    if (live.empty()) {
      return;
    }
    // Every other kill is the leader's (when one is up): a standby's death costs little, and the
    // leader's is what must lose nothing.
    auto i = live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(random_)];
    if (figures_.kills % 2 == 0) {
      for (const auto candidate : live) {
        if (is_leader(replicas_[candidate])) {
          i = candidate;
        }
      }
    }
    auto& r = replicas_[i];
    const bool leader = is_leader(r);
    auto store = Store::open_postgres(dsn_, StoreOpenMode::MustExist);
    const auto tools = descendants(r.pid);
    const auto moment = leader && store ? leader_moment(**store, tools) : std::vector<std::string>{"a standby"};
    const auto killed_at = std::chrono::steady_clock::now();
    const long long killed_ms = to_unix_ms(std::chrono::system_clock::now());
    ::kill(r.pid, SIGKILL);
    for (const pid_t t : tools) {
      ::kill(t, SIGKILL);
    }
    test::wait_exit(r.pid, 30s);
    r.pid = -1;
    r.restart_at = killed_at + random_ms(500, 2000);
    ++figures_.kills;
    for (const auto& m : moment) {
      ++figures_.kill_moments[m];
    }
    if (leader) {
      ++figures_.leader_kills;
      takeovers_.push_back({killed_at, killed_ms, false});
    }
  }

  void restart_due() {
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      if (replicas_[i].pid < 0 && replicas_[i].restart_at != SteadyTime{} &&
          std::chrono::steady_clock::now() >= replicas_[i].restart_at) {
        start(i);
      }
    }
  }

  // A takeover is done when some live replica leads again; the runs moved on at the first run
  // event written after the kill.
  void watch_takeovers() {
    for (auto& t : takeovers_) {
      if (t.done) {
        continue;
      }
      for (const auto& r : replicas_) {
        if (is_leader(r)) {
          t.done = true;
          figures_.takeover_ms.push_back(ms_between(t.killed_at, std::chrono::steady_clock::now()));
          moving_on_.push_back(t.killed_ms);
          break;
        }
      }
    }
  }

  struct Takeover {
    SteadyTime killed_at;
    long long killed_ms;
    bool done;
  };

  // No more load or kills: every replica up, cards clicked (again, after 5 s, when a click died
  // with its replica) and gates opened until every run is final, for at most five minutes.
  void settle(SteadyTime begin) {
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
      if (replicas_[i].pid < 0) {
        start(i);
      }
    }
    const auto settle_from = std::chrono::steady_clock::now();
    const auto deadline = settle_from + 300s;
    auto store = Store::open_postgres(dsn_, StoreOpenMode::MustExist);
    while (std::chrono::steady_clock::now() < deadline && store) {
      watch_takeovers();
      click_cards();
      open_due_gates();
      click_again(**store);
      if (std::getenv("FAILOVER_SOAK_DEBUG") != nullptr && ++debug_turns_ % 100 == 0) {
        int ok = 0;
        int limited = 0;
        for (const auto& c : emu_->calls()) {
          (c.status == 200 && c.error.empty() ? ok : limited) += 1;
        }
        std::fprintf(stderr, "settling: %d calls ok, %d not; %zu cards; states", ok, limited, cards_.size());
        for (const auto& [state, n] : (*store)->count_runs_by_state()) {
          std::fprintf(stderr, " %s=%d", state.c_str(), n);
        }
        std::fprintf(stderr, "\n");
      }
      if (all_final(**store)) {
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    figures_.seconds = ms_between(begin, std::chrono::steady_clock::now()) / 1000.0;
    figures_.settle_seconds = ms_between(settle_from, std::chrono::steady_clock::now()) / 1000.0;
    if (store) {
      count(**store);
    }
  }
  void click_again(Store& store) {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& run : store.list_runs(100000, RunState::AwaitingApproval)) {
      for (const auto& a : store.list_approvals(run.id)) {
        const auto at = clicked_at_.find(a.token);
        if (a.state == ApprovalState::Pending && at != clicked_at_.end() && ms_between(at->second, now) > 5000) {
          ++figures_.clicks_again;
          click(a.token);
        }
      }
    }
  }
  // Every run final, and every command became a run (or ten seconds passed without a new run:
  // those without one are lost, and counted so).
  bool all_final(Store& store) {
    const auto runs = store.list_runs(100000);
    std::set<std::string> keys;
    for (const auto& r : runs) {
      if (!is_terminal(r.state)) {
        return false;
      }
      keys.insert(r.trigger_key);
    }
    const auto now = std::chrono::steady_clock::now();
    if (runs.size() != last_runs_) {
      last_runs_ = runs.size();
      last_change_ = now;
    }
    return keys.size() >= tags_.size() || now - last_change_ > 10s;
  }

  void count(Store& store);
  void explain(Store& store, const RunRecord& run);

  std::string dsn_;
  int count_ = 0;
  test::TempDir dir_;
  std::unique_ptr<slack::SlackEmulator> emu_;
  std::unique_ptr<Store> store_;  // the driver's own connection
  std::vector<Replica> replicas_;
  std::mt19937 random_{20261207};
  Figures figures_;
  std::vector<std::string> tags_;
  std::vector<std::pair<SteadyTime, std::string>> gates_;
  std::map<std::string, int> cards_;  // approval token → cards posted with it
  std::map<std::string, SteadyTime> clicked_at_;
  std::map<std::string, std::string> card_channel_;  // approval token → the channel of its card
  std::vector<Takeover> takeovers_;
  std::vector<long long> moving_on_;  // kill times (unix ms) of leaders replaced
  std::size_t seen_posts_ = 0;
  int clicks_sent_ = 0;
  int turns_ = 0;
  int debug_turns_ = 0;
  bool instant_gates_ = false;
  std::size_t last_runs_ = 0;
  SteadyTime last_change_ = std::chrono::steady_clock::now();
};

// Why a run is not final: its approvals and every log line that names it.
void Soak::explain(Store& store, const RunRecord& run) {
  std::fprintf(stderr, "run %s (%s) is %s\n", run.id.c_str(), run.trigger_key.c_str(),
               std::string(to_string(run.state)).c_str());
  for (const auto& a : store.list_approvals(run.id)) {
    std::fprintf(stderr, "  approval %s: %s; cards posted %d; clicked %s\n", a.token.substr(0, 8).c_str(),
                 std::string(to_string(a.state)).c_str(), cards_.count(a.token) ? cards_.at(a.token) : 0,
                 clicked_at_.count(a.token) ? "yes" : "no");
  }
  for (const auto& r : replicas_) {
    std::istringstream lines(read_text(r.log));
    for (std::string line; std::getline(lines, line);) {
      if (line.find(run.id.substr(0, 8)) != std::string::npos || line.find("SIGKILL") != std::string::npos) {
        std::fprintf(stderr, "  %s: %s\n", r.log.substr(r.log.rfind('/') + 1).c_str(), line.substr(0, 240).c_str());
      }
    }
  }
}

void Soak::count(Store& store) {
  const auto runs = store.list_runs(100000);
  figures_.runs = static_cast<int>(runs.size());
  figures_.states = store.count_runs_by_state();
  std::map<std::string, int> per_key;
  for (const auto& r : runs) {
    ++per_key[r.trigger_key];
    figures_.not_final += is_terminal(r.state) ? 0 : 1;
    if (!is_terminal(r.state)) {
      explain(store, r);
    }
  }
  for (const auto& tag : tags_) {
    const auto n = per_key["slack:command:trig-" + tag];
    figures_.lost_commands += n == 0 ? 1 : 0;
    figures_.duplicate_runs += n > 1 ? n - 1 : 0;
  }
  figures_.lost_alerts = std::max(0, figures_.alerts - static_cast<int>(store.list_incidents(100000, false).size()));
  const auto effects = read_text(dir_ / "side-effects.log");
  std::map<std::string, int> looks;
  std::map<std::string, int> fixes;
  std::istringstream lines(effects);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string what, step, pid, tag;
    words >> what >> step >> pid >> tag;
    if (what == "start") {
      ++(step == "fix" ? fixes : looks)[tag];
    }
  }
  for (const auto& [tag, n] : looks) {
    figures_.steps_twice += n > 1 ? 1 : 0;
  }
  for (const auto& [tag, n] : fixes) {
    figures_.remediations_twice += n > 1 ? 1 : 0;
  }
  for (const auto& [token, n] : cards_) {
    figures_.second_cards += n > 1 ? n - 1 : 0;
  }
  std::map<std::string, int> roots;
  for (const auto& c : emu_->calls("chat.postMessage")) {
    const auto text = c.args.value("text", "");
    if (c.status == 200 && c.error.empty() && text.rfind("Triage run ", 0) == 0) {
      ++roots[text.substr(11, 8)];
    }
  }
  for (const auto& [run, n] : roots) {
    figures_.second_roots += n > 1 ? n - 1 : 0;
  }
  // Kill → the first run event written after it, for each leader replaced.
  for (const long long killed_ms : moving_on_) {
    long long first = 0;
    for (const auto& r : runs) {
      for (const auto& e : store.list_events(r.id)) {
        if (e.at_ms > killed_ms && (first == 0 || e.at_ms < first)) {
          first = e.at_ms;
        }
      }
    }
    if (first > 0) {
      figures_.moving_on_ms.push_back(static_cast<double>(first - killed_ms));
    }
  }
}

std::string spread(std::vector<double> values) {
  if (values.empty()) {
    return "-";
  }
  std::sort(values.begin(), values.end());
  char out[96];
  std::snprintf(out, sizeof out, "p50 %.0f ms, max %.0f ms (%zu)", values[values.size() / 2], values.back(),
                values.size());
  return out;
}

void print(const Figures& f, const Figures& fast) {
  std::printf("%d replica(s): throughput %d commands → %d runs final in %.1f s = %.1f runs/s\n", fast.replicas,
              fast.commands, fast.runs, fast.seconds, fast.seconds > 0 ? fast.runs / fast.seconds : 0.0);
  std::printf("  soak: %d commands, %d alerts, %d clicks (%d again) in %.0f s; %d kills (%d of the leader)\n",
              f.commands, f.alerts, f.clicks, f.clicks_again, f.seconds, f.kills, f.leader_kills);
  for (const auto& [moment, n] : f.kill_moments) {
    std::printf("    killed %s: %d\n", moment.c_str(), n);
  }
  std::printf("  after the last command and kill, every run final in %.0f s\n", f.settle_seconds);
  std::printf("  kill → a replica leads: %s\n", spread(f.takeover_ms).c_str());
  std::printf("  kill → the first run moves on: %s\n", spread(f.moving_on_ms).c_str());
  std::printf(
      "  lost commands %d, lost alerts %d, duplicate runs %d, steps run twice %d, remediations run twice %d, "
      "second roots %d, second cards %d, runs not final %d (of %d)\n",
      f.lost_commands, f.lost_alerts, f.duplicate_runs, f.steps_twice, f.remediations_twice, f.second_roots,
      f.second_cards, f.not_final, f.runs);
  for (const auto* figures : {&fast, &f}) {
    std::string states;
    for (const auto& [state, n] : figures->states) {
      states += " " + state + "=" + std::to_string(n);
    }
    std::printf("  runs at the end of the %s:%s\n", figures == &fast ? "throughput pass" : "soak", states.c_str());
  }
}

}  // namespace
}  // namespace vigil

int main() {
  using namespace vigil;
  std::string why;
  auto* db = test::PostgresServer::shared(&why);
  if (db == nullptr) {
    std::printf("failover_soak: no PostgreSQL to run replicas on (%s); skipped\n", why.c_str());
    return 0;
  }
  const char* seconds_env = std::getenv("FAILOVER_SOAK_SECONDS");
  const auto seconds = std::chrono::seconds(seconds_env != nullptr ? std::atoi(seconds_env) : 60);
  const char* replicas_env = std::getenv("FAILOVER_SOAK_REPLICAS");
  std::istringstream counts(replicas_env != nullptr ? replicas_env : "1 3 5");
  std::printf("load average: %s", read_text("/proc/loadavg").c_str());
  int bad = 0;
  for (int n = 0; counts >> n;) {
    Figures fast;
    {
      Soak soak(*db, n);
      if (!soak.start_all()) {
        std::printf("%d replica(s): did not start\n", n);
        return 1;
      }
      fast = soak.throughput(20);
    }
    Soak soak(*db, n);
    if (!soak.start_all()) {
      std::printf("%d replica(s): did not start\n", n);
      return 1;
    }
    const auto f = soak.soak(seconds, 1.0);
    print(f, fast);
    bad += f.lost_commands + f.lost_alerts + f.duplicate_runs + f.steps_twice + f.remediations_twice + f.second_roots +
           f.second_cards + f.not_final;
    std::fflush(stdout);
  }
  return bad == 0 ? 0 : 1;
}
