// Crash and restart: `vigil serve` is killed with SIGKILL at the awkward moments of a run and
// started again on the same SQLite file. The skill's steps run a script that waits on a gate file
// (so the test decides where the run is when the process dies) and appends every execution to a
// side-effect file (so "ran twice" is counted from the outside, not from Vigil's own records).
//
// What must hold after the restart (DESIGN.md §2.5): nothing is lost (every run exists, ends in a
// sensible state and says so in its thread), no step runs twice, a remediation caught by the crash
// is never re-run without a new approval, and an approval card posted before the crash still works.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_envelopes.h"
#include "tests/support/slack_harness.h"
#include "tests/support/store_backends.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using slack::SlackEmulator;

constexpr const char* kChannel = "C0CRASH";
constexpr const char* kRequester = "U0REQ";
constexpr const char* kApprover = "U0APPROVER";
constexpr const char* kWebhookToken = "crash-webhook-token-1";

slack::EmulatorOptions emulator_options() {
  slack::EmulatorOptions o;
  o.redeliver_all_types = true;  // an envelope that meets a dying socket comes again
  return o;
}

// On each backend: a SQLite file, and a real PostgreSQL server.
class CrashRestart : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!backend_.start(GetParam(), &why)) {
      GTEST_SKIP() << why;
    }
    emu_.add_channel(kChannel, "inc-crash");
    emu_.start();
    std::filesystem::create_directories(dir_ / "gates");
    write_skill();
    write_config();
    start();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 30s), 0) << log();
      pid_ = -1;
    }
    for (const auto& standby : standbys_) {  // a standby stops cleanly too
      ::kill(standby.pid, SIGTERM);
      EXPECT_EQ(test::wait_exit(standby.pid, 30s), 0) << test::read_file(standby.log);
    }
    kill_orphaned_tools();
  }

  void write_skill() {
    const auto tool = (test::test_data_dir() / "support" / "gated_tool.sh").string();
    const auto effects = (dir_ / "side-effects.log").string();
    const auto gates = (dir_ / "gates").string();
    std::filesystem::create_directories(dir_ / "skills");
    test::write_file(dir_ / "skills" / "crash-fix.yaml",
                     "id: crash-fix\n"
                     "title: Fix a crash-test incident\n"
                     "description: Looks, then fixes; each step waits on a gate file the test opens.\n"
                     "parameters:\n"
                     "  - name: tag\n"
                     "    pattern: '[a-z0-9]{1,12}'\n"
                     "    required: true\n"
                     "steps:\n"
                     "  - id: look\n"
                     "    title: Look at it\n"
                     "    run: ['" +
                         tool + "', '" + effects + "', '" + gates +
                         "/look-{{ params.tag }}', look, '{{ params.tag }}']\n"
                         "  - id: fix\n"
                         "    title: Fix it\n"
                         "    run: ['" +
                         tool + "', '" + effects + "', '" + gates +
                         "/fix-{{ params.tag }}', fix, '{{ params.tag }}']\n"
                         "    dry_run: [echo, 'would fix', '{{ params.tag }}']\n"
                         "    mutating: true\n"
                         "    requires_approval: true\n"
                         "    risk: medium\n");
  }
  void write_config() {
    test::write_file(dir_ / "vigil.yaml", "channels:\n  - id: " + std::string(kChannel) +
                                              "\n    backend: runbook\n"
                                              "approvals:\n  users: [" +
                                              kApprover +
                                              "]\n"
                                              "skills:\n  dirs: [" +
                                              (dir_ / "skills").string() +
                                              "]\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "ws").string() +
                                              "\n  grace: 1s\n  max_concurrent: 1\n"
                                              "storage:\n  database: " +
                                              (dir_ / "v.db").string() +
                                              "\n"
                                              "http:\n  alert_channel: " +
                                              kChannel +
                                              "\n"
                                              "logging:\n  level: debug\n");
  }
  std::vector<std::string> serve_environment() const {
    return {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
            "SLACK_BOT_TOKEN=" + test::fake_bot_token(), backend_.environment(),
            std::string("VIGIL_ALERTMANAGER_TOKEN=") + kWebhookToken};
  }
  void start() {
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, serve_environment(), log_path());
    ASSERT_GT(pid_, 0);
    ++starts_;
    ASSERT_TRUE(test::eventually(
        [&] { return emu_.connections().size() >= 2 && emu_.connections_accepted() >= starts_ * 2; }, 30s))
        << log();
  }
  // SIGKILL, as an OOM kill would: no shutdown code runs. The step the process was running is
  // killed too (its pod would be gone), and the sockets it held must be seen closed before the new
  // process connects, so nothing is sent to a dead socket.
  void crash() {
    ASSERT_GT(pid_, 0);
    ::kill(pid_, SIGKILL);
    EXPECT_EQ(test::wait_exit(pid_, 30s), 128 + SIGKILL);
    pid_ = -1;
    kill_orphaned_tools();
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().empty(); }, 30s));
    test::write_file(log_path(), test::read_file(log_path()) + "\n----- SIGKILL -----\n\n");
  }
  void restart() { start(); }

  // The tool processes of this test still running (their argv names this test's directory), found
  // after Vigil is dead, so none can start meanwhile.
  void kill_orphaned_tools() {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const auto name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      std::string cmdline;
      try {
        cmdline = test::read_file(entry.path() / "cmdline");
      } catch (const std::exception&) {
        continue;  // gone meanwhile
      }
      if (cmdline.find("gated_tool.sh") != std::string::npos &&
          cmdline.find(dir_.path().string()) != std::string::npos) {
        ::kill(static_cast<pid_t>(std::stol(name)), SIGKILL);
      }
    }
  }

  // PostgreSQL: one more `vigil serve` on the same database, standing by: connected to Slack with
  // its own two connections, storing what it reads for the leader, until it leads.
  void start_standby() {
    const auto connected = emu_.connections().size();
    const auto path = (dir_ / ("replica-" + std::to_string(++replicas_started_) + ".log")).string();
    const pid_t pid =
        test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, serve_environment(), path);
    ASSERT_GT(pid, 0);
    standbys_.push_back({pid, path});
    ASSERT_TRUE(test::eventually(
        [&] { return test::read_file(path).find("standing by: another Vigil leads") != std::string::npos; }, 30s))
        << test::read_file(path);
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= connected + 2; }, 30s))
        << test::read_file(path);
  }
  // SIGKILL to the leader (a node lost), and a standby takes over: it takes the database lock and
  // recovers the runs. Returns how long that took, from the kill to "leading now". Slack stops
  // sending to the dead one's connections once they are seen closed.
  std::chrono::milliseconds fail_over() {
    const auto connected = emu_.connections().size();
    const auto killed_at = std::chrono::steady_clock::now();
    ::kill(pid_, SIGKILL);
    EXPECT_EQ(test::wait_exit(pid_, 30s), 128 + SIGKILL);
    pid_ = -1;
    kill_orphaned_tools();  // before a standby can start any: those left are the dead leader's
    test::write_file(log_path(), test::read_file(log_path()) + "\n----- SIGKILL -----\n\n");
    std::optional<std::size_t> next;
    EXPECT_TRUE(test::eventually(
        [&] {
          for (std::size_t i = 0; i < standbys_.size(); ++i) {
            if (test::read_file(standbys_[i].log).find("leading now") != std::string::npos) {
              next = i;
              return true;
            }
          }
          return false;
        },
        30s))
        << "no standby took over";
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
    EXPECT_TRUE(test::eventually([&] { return emu_.connections().size() + 2 <= connected; }, 30s));
    if (next) {
      pid_ = standbys_[*next].pid;
      log_path_ = standbys_[*next].log;
      standbys_.erase(standbys_.begin() + static_cast<std::ptrdiff_t>(*next));
    }
    return took;
  }
  // A counter's value in a replica's /metrics (0 when it is not there).
  static double counter(const std::string& log_file, const std::string& name) {
    const auto body = test::raw_http(http_port(log_file), test::http_request("GET", "/metrics")).body;
    const auto at = body.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stod(body.substr(at + name.size() + 2));
  }
  std::vector<std::string> replica_logs() {
    std::vector<std::string> logs{log_path()};
    for (const auto& r : standbys_) {
      logs.push_back(r.log);
    }
    return logs;
  }
  static unsigned short http_port(const std::string& log_file) {
    unsigned short port = 0;
    EXPECT_TRUE(test::eventually([&] {
      const auto text = test::read_file(log_file);
      const std::string said = "http listening on 127.0.0.1:0 (port ";
      const auto at = text.find(said);
      if (at == std::string::npos) {
        return false;
      }
      port = static_cast<unsigned short>(std::stoi(text.substr(at + said.size())));
      return true;
    })) << test::read_file(log_file);
    return port;
  }

  std::string log_path() const { return log_path_.empty() ? (dir_ / "vigil.log").string() : log_path_; }
  std::string log() const { return test::read_file(log_path()); }
  std::string side_effects() const {
    return std::filesystem::exists(dir_ / "side-effects.log") ? test::read_file(dir_ / "side-effects.log") : "";
  }
  // How often `step` of `tag` started (what) or finished ("done"), from the tool's own record.
  int count(const std::string& what, const std::string& step, const std::string& tag) const {
    int n = 0;
    std::istringstream lines(side_effects());
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string w, name, pid, t;
      words >> w >> name >> pid >> t;
      n += w == what && name == step && t == tag ? 1 : 0;
    }
    return n;
  }
  void open_gate(const std::string& step, const std::string& tag) {
    test::write_file(dir_ / "gates" / (step + "-" + tag), "open\n");
  }

  std::string send(json envelope) {
    const auto id = emu_.send_envelope(std::move(envelope));
    EXPECT_TRUE(emu_.wait_for_ack(id, 10s)) << "envelope " << id << " not acked\n" << log();
    return id;
  }
  void runbook(const std::string& tag) {
    const auto n = std::to_string(++counter_);
    send({{"envelope_id", "env-cmd-" + n},
          {"type", "slash_commands"},
          {"accepts_response_payload", true},
          {"payload",
           {{"command", "/runbook"},
            {"text", "run crash-fix tag=" + tag},
            {"user_id", kRequester},
            {"user_name", "req"},
            {"channel_id", kChannel},
            {"channel_name", "inc-crash"},
            {"team_id", "T1"},
            {"response_url", emu_.response_url("cmd-" + n)},
            {"trigger_id", "trig-" + n}}}});
  }
  void click(const std::string& token) {
    const auto n = std::to_string(++counter_);
    send(test::button_click_envelope({.id = n,
                                      .action_id = "approval.approve",
                                      .value = token,
                                      .user = kApprover,
                                      .channel = kChannel,
                                      .channel_name = "inc-crash",
                                      .response_url = emu_.response_url("click-" + n)}));
  }

  std::unique_ptr<Store> store() {
    auto s = backend_.open();
    return s ? std::move(*s) : nullptr;
  }
  // Waits for the run the last command created (the newest one not seen before).
  std::optional<RunRecord> new_run() {
    std::optional<RunRecord> found;
    test::eventually([&] {
      for (const auto& r : store()->list_runs(100)) {
        if (!known_runs_.count(r.id)) {
          found = r;
          return true;
        }
      }
      return false;
    });
    if (found) {
      known_runs_.insert(found->id);
    }
    return found;
  }
  std::optional<RunRecord> run(const std::string& id) { return store()->get_run(id); }
  bool run_is(const std::string& id, RunState state) {
    const auto r = run(id);
    return r && r->state == state;
  }
  std::optional<StepRecord> step(const std::string& run_id, const std::string& name) {
    std::optional<StepRecord> out;
    for (const auto& s : store()->list_steps(run_id)) {
      if (s.step == name) {
        out = s;  // the newest row of that step
      }
    }
    return out;
  }

  // Accepted chat.postMessage calls.
  std::vector<slack::EmulatedCall> posts() {
    std::vector<slack::EmulatedCall> out;
    for (auto& c : emu_.calls("chat.postMessage")) {
      if (c.status == 200 && c.error.empty()) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  std::vector<std::string> card_tokens(const std::string& run_id) {
    std::vector<std::string> out;
    auto s = store();
    for (const auto& p : posts()) {
      for (const auto& b : p.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            const auto a = s->get_approval(e.value("value", ""));
            if (a && a->run_id == run_id) {
              out.push_back(a->token);
            }
          }
        }
      }
    }
    return out;
  }
  // Root messages posted for the run (a root is updated in place, never posted again).
  int roots(const std::string& run_id) {
    int n = 0;
    for (const auto& p : posts()) {
      n += p.args.value("text", "").rfind("Triage run " + run_id.substr(0, 8), 0) == 0 ? 1 : 0;
    }
    return n;
  }
  // Whether the store knows the ts of the run's root message (the presenter's slack_root row).
  bool root_recorded(const std::string& run_id) {
    for (const auto& e : store()->list_events(run_id)) {
      if (e.kind == "slack_root") {
        return true;
      }
    }
    return false;
  }
  // The approval card as Slack shows it now.
  std::string card_now(const std::string& token) {
    const auto a = store()->get_approval(token);
    for (const auto& m : emu_.messages(kChannel)) {
      if (a && m.ts == a->message_ts) {
        return m.text + "\n" + m.blocks.dump();
      }
    }
    return {};
  }
  // Everything posted in the run's thread, as text.
  std::string thread(const std::string& run_id) {
    const auto r = run(run_id);
    std::string out;
    for (const auto& p : posts()) {
      if (r && !r->thread_ts.empty() && p.args.value("thread_ts", "") == r->thread_ts) {
        out += p.args.dump() + "\n";
      }
    }
    return out;
  }
  bool thread_says(const std::string& run_id, const std::string& text) {
    return thread(run_id).find(text) != std::string::npos;
  }
  std::string responses() {
    std::string out;
    for (const auto& [id, body] : emu_.response_posts()) {
      out += id + ": " + body.dump() + "\n";
    }
    return out;
  }
  std::string all_posts() {
    std::string out;
    for (const auto& c : emu_.calls()) {
      if (c.method == "chat.postMessage" || c.method == "chat.update") {
        out += c.method + ": " + c.args.dump() + "\n";
      }
    }
    return out;
  }

  // A run of crash-fix for `tag` that has posted its approval card (the diagnostic passed).
  RunRecord run_to_the_card(const std::string& tag) {
    open_gate("look", tag);
    runbook(tag);
    const auto r = new_run();
    EXPECT_TRUE(r);
    EXPECT_TRUE(test::eventually([&] { return card_tokens(r->id).size() == 1; })) << log() << all_posts();
    EXPECT_TRUE(test::eventually([&] { return run_is(r->id, RunState::AwaitingApproval); })) << log();
    return *r;
  }

  test::TempDir dir_;
  test::StoreBackend backend_;
  SlackEmulator emu_{emulator_options()};
  pid_t pid_ = -1;
  std::string log_path_;  // the leader's log ("": vigil.log)
  struct Replica {
    pid_t pid;
    std::string log;
  };
  std::vector<Replica> standbys_;
  int replicas_started_ = 0;
  int starts_ = 0;
  int counter_ = 0;
  std::set<std::string> known_runs_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CrashRestart, test::kStoreBackends, test::store_backend_name);

TEST_P(CrashRestart, KilledWithOneRunInADiagnosticStepAndOneQueued) {
  runbook("a");
  const auto a = new_run();
  ASSERT_TRUE(a);
  ASSERT_TRUE(test::eventually([&] { return count("start", "look", "a") == 1; })) << log();
  runbook("b");  // max_concurrent is 1: b waits behind a
  const auto b = new_run();
  ASSERT_TRUE(b);
  ASSERT_TRUE(test::eventually([&] { return run_is(b->id, RunState::Queued); })) << log();
  ASSERT_TRUE(test::eventually([&] { return roots(a->id) == 1; })) << all_posts();
  // Killed once a's root is recorded. A kill between Slack taking a post and its ts reaching the
  // store (a known window, microseconds long; slower under ASan) would post a second root.
  ASSERT_TRUE(test::eventually([&] { return root_recorded(a->id); })) << log();
  // A queued run is only its row: no card in the channel until it starts.
  EXPECT_EQ(roots(b->id), 0) << all_posts();

  crash();
  open_gate("look", "b");
  open_gate("fix", "b");
  restart();

  // a was inside a read-only step: interrupted, said so in its thread, nothing re-run.
  ASSERT_TRUE(test::eventually([&] { return run_is(a->id, RunState::Interrupted); })) << log();
  EXPECT_EQ(step(a->id, "look")->state, StepState::Interrupted);
  ASSERT_TRUE(test::eventually([&] { return thread_says(a->id, "Vigil restarted while this run was in progress"); }))
      << all_posts();
  // b was queued: it starts now, and goes through its approval.
  ASSERT_TRUE(test::eventually([&] { return card_tokens(b->id).size() == 1; })) << log() << all_posts();
  click(card_tokens(b->id)[0]);
  ASSERT_TRUE(test::eventually([&] { return run_is(b->id, RunState::Succeeded); })) << log();
  ASSERT_TRUE(test::eventually([&] { return thread_says(b->id, ":white_check_mark: *Fixed*"); })) << all_posts();

  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(count("start", "fix", "a"), 0) << side_effects();
  EXPECT_EQ(count("start", "look", "b"), 1) << side_effects();
  EXPECT_EQ(count("start", "fix", "b"), 1) << side_effects();
  // a kept its one root message, updated in place after the restart; b got its one when it started.
  EXPECT_EQ(roots(a->id), 1) << all_posts();
  EXPECT_EQ(roots(b->id), 1) << all_posts();
}

// Slack took the root message but the process died before the answer (its ts) came: the new
// process finds that root in the channel and carries on in it instead of posting a second one.
TEST_P(CrashRestart, KilledBeforeSlacksAnswerToTheRootTheRootIsFoundNotPostedAgain) {
  emu_.hold_answers("chat.postMessage", 120s, 1);  // the run's first post is its root
  runbook("a");
  const auto a = new_run();
  ASSERT_TRUE(a);
  ASSERT_TRUE(test::eventually([&] { return roots(a->id) == 1; })) << all_posts();
  ASSERT_TRUE(test::eventually([&] { return count("start", "look", "a") == 1; })) << log();
  EXPECT_FALSE(root_recorded(a->id)) << "the answer is held: Vigil cannot know the root's ts";
  const auto held_ts = posts()[0].response.value("ts", "");
  ASSERT_FALSE(held_ts.empty());

  crash();
  restart();

  ASSERT_TRUE(test::eventually([&] { return run_is(a->id, RunState::Interrupted); })) << log();
  ASSERT_TRUE(test::eventually([&] { return thread_says(a->id, "Vigil restarted while this run was in progress"); }))
      << all_posts();
  EXPECT_EQ(roots(a->id), 1) << all_posts();
  EXPECT_EQ(run(a->id)->thread_ts, held_ts) << "the thread hangs under the root Slack took";
  EXPECT_TRUE(root_recorded(a->id));
  ASSERT_TRUE(test::eventually([&] {
    for (const auto& c : emu_.calls("chat.update")) {
      if (c.args.value("ts", "") == held_ts && c.args.value("text", "").find("Interrupted") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << all_posts();
  EXPECT_EQ(emu_.calls("conversations.history").size(), 1u);
  EXPECT_NE(log().find("was posted but its answer never came"), std::string::npos) << log();
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
}

// Slack took the approval card but the process died before the answer (the card's ts): after the
// restart the card is found in the thread, its click works, and it changes in place.
TEST_P(CrashRestart, KilledBeforeSlacksAnswerToTheCardTheCardIsFoundAndStillWorks) {
  emu_.hold_answers("chat.postMessage", 120s, 1, "approval.approve");
  const auto a = run_to_the_card("a");  // the card is in Slack; Vigil has no answer
  const auto token = card_tokens(a.id)[0];
  EXPECT_TRUE(store()->get_approval(token)->message_ts.empty()) << "the answer is held";

  crash();
  open_gate("fix", "a");
  restart();

  ASSERT_TRUE(test::eventually([&] { return !store()->get_approval(token)->message_ts.empty(); })) << log();
  EXPECT_NE(log().find("the card posted before the restart is ts="), std::string::npos) << log();
  click(token);
  ASSERT_TRUE(test::eventually([&] { return run_is(a.id, RunState::Succeeded); })) << log();
  ASSERT_TRUE(test::eventually([&] { return card_now(token).find("approval.approve") == std::string::npos; }))
      << "the card lost its buttons in place\n"
      << card_now(token);
  EXPECT_EQ(card_tokens(a.id).size(), 1u) << "no second card";
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(count("start", "fix", "a"), 1) << side_effects();
}

// The process died with the card on its way, before Slack took it: after the restart the same
// approval's card is posted (nobody could have decided without it), and it works.
TEST_P(CrashRestart, KilledBeforeSlackTookTheCardTheCardIsPostedAfterTheRestart) {
  emu_.stall_next("chat.postMessage", 120s, 1, "approval.approve");
  open_gate("look", "a");
  runbook("a");
  const auto a = new_run();
  ASSERT_TRUE(a);
  ASSERT_TRUE(test::eventually([&] { return run_is(a->id, RunState::AwaitingApproval); })) << log();
  ASSERT_TRUE(test::eventually([&] { return emu_.calls_delayed_now() == 1; })) << log();
  ASSERT_EQ(store()->list_approvals(a->id).size(), 1u);
  EXPECT_TRUE(card_tokens(a->id).empty()) << "the card has not reached Slack";

  crash();
  open_gate("fix", "a");
  restart();

  ASSERT_TRUE(test::eventually([&] { return card_tokens(a->id).size() == 1; })) << log() << all_posts();
  // The log line may land just after the card it tells of.
  EXPECT_TRUE(test::eventually([&] {
    return log().find("the card was not in Slack; posted it again") != std::string::npos;
  })) << log();
  click(card_tokens(a->id)[0]);
  ASSERT_TRUE(test::eventually([&] { return run_is(a->id, RunState::Succeeded); })) << log();
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(count("start", "fix", "a"), 1) << side_effects();
}

TEST_P(CrashRestart, KilledWhileWaitingForApprovalTheOldCardStillWorks) {
  const auto a = run_to_the_card("a");
  const auto token = card_tokens(a.id)[0];
  crash();
  open_gate("fix", "a");
  restart();

  ASSERT_TRUE(test::eventually([&] { return thread_says(a.id, "still waiting for an approval"); })) << all_posts();
  EXPECT_EQ(run(a.id)->state, RunState::AwaitingApproval);
  click(token);  // the card posted by the first process
  ASSERT_TRUE(test::eventually([&] { return run_is(a.id, RunState::Succeeded); })) << log();
  ASSERT_TRUE(test::eventually([&] { return thread_says(a.id, ":white_check_mark: *Fixed*"); })) << all_posts();
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(count("start", "fix", "a"), 1) << side_effects();
  EXPECT_EQ(card_tokens(a.id).size(), 1u) << "the old card was used, no new one posted";
  EXPECT_EQ(roots(a.id), 1) << all_posts();
}

TEST_P(CrashRestart, KilledRightAfterTheApproveClickWasAcked) {
  const auto a = run_to_the_card("a");
  const auto token = card_tokens(a.id)[0];
  click(token);  // returns once the emulator has the ack
  crash();

  // Where the first process got to decides what a person sees; every outcome must be sound.
  auto s = store();
  const auto approval = s->get_approval(token);
  ASSERT_TRUE(approval);
  const auto fix = step(a.id, "fix");
  ASSERT_TRUE(fix);
  const bool decided = approval->state == ApprovalState::Approved;
  const bool fix_started = count("start", "fix", "a") > 0;
  std::printf("killed after the click was acked: approval %s, fix step %s, fix tool %s\n",
              std::string(to_string(approval->state)).c_str(), std::string(to_string(fix->state)).c_str(),
              fix_started ? "started" : "not started");
  s.reset();
  open_gate("fix", "a");
  restart();

  if (!fix_started && fix->state != StepState::Running) {
    if (!decided) {
      // The click died with the process before it was recorded (Slack had its ack): the card is
      // still pending and still works.
      EXPECT_EQ(approval->state, ApprovalState::Pending);
      click(token);
    }
    ASSERT_TRUE(test::eventually([&] { return run_is(a.id, RunState::Succeeded); })) << log();
    EXPECT_EQ(count("start", "fix", "a"), 1) << side_effects();
  } else {
    // The change was under way: never re-run without a new approval.
    ASSERT_TRUE(test::eventually([&] { return run_is(a.id, RunState::Interrupted); })) << log();
    ASSERT_TRUE(test::eventually([&] { return thread_says(a.id, "will not be re-run without a new approval"); }))
        << all_posts();
    EXPECT_LE(count("start", "fix", "a"), 1) << side_effects();
  }
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(card_tokens(a.id).size(), 1u);
  // Whoever took the decision, the card ends up saying so (no buttons left to click).
  EXPECT_TRUE(test::eventually([&] { return card_now(token).find("Approved by") != std::string::npos; }))
      << card_now(token);
  EXPECT_EQ(card_now(token).find("approval.approve"), std::string::npos) << card_now(token);
  EXPECT_EQ(roots(a.id), 1) << all_posts();
}

TEST_P(CrashRestart, KilledInsideARemediationItIsNeverRerunWithoutANewApproval) {
  const auto a = run_to_the_card("a");
  const auto token = card_tokens(a.id)[0];
  click(token);
  ASSERT_TRUE(test::eventually([&] { return count("start", "fix", "a") == 1; })) << log();
  crash();
  open_gate("fix", "a");  // if Vigil ran the step again, it would now finish
  restart();

  ASSERT_TRUE(test::eventually([&] { return run_is(a.id, RunState::Interrupted); })) << log();
  EXPECT_EQ(step(a.id, "fix")->state, StepState::Interrupted);
  ASSERT_TRUE(test::eventually([&] {
    return thread_says(a.id, "step `fix` was running (a change): it will not be re-run without a new approval");
  })) << all_posts();
  // The old card cannot start it again.
  click(token);
  ASSERT_TRUE(test::eventually([&] { return responses().find("already approved") != std::string::npos; }))
      << responses();
  EXPECT_EQ(run(a.id)->state, RunState::Interrupted);
  EXPECT_EQ(count("start", "fix", "a"), 1) << side_effects();
  EXPECT_EQ(count("done", "fix", "a"), 0) << side_effects();
  EXPECT_EQ(count("start", "look", "a"), 1) << side_effects();
  EXPECT_EQ(roots(a.id), 1) << all_posts();
}

// Several replicas on one PostgreSQL database: one leads, two stand by. The leader is killed
// (SIGKILL, a node lost) at each awkward moment of a run, a standby takes over, and the killed
// one comes back as a standby. Nothing is lost (every command became a run that ends in a final
// state), no step runs twice, a remediation caught by the kill is never re-run without a new
// approval, and a card posted by a dead leader still works on the next.
using Replicas = CrashRestart;
INSTANTIATE_TEST_SUITE_P(Postgres, Replicas, ::testing::Values(std::string("postgresql")), test::store_backend_name);

TEST_P(Replicas, TakeOverFromALeaderKilledAtEveryAwkwardMoment) {
  start_standby();
  start_standby();
  EXPECT_EQ(emu_.connections().size(), 6u) << "every replica keeps its own two Socket Mode connections";
  std::vector<std::chrono::milliseconds> takeovers;

  // Slack spreads envelopes over every connection: what reaches a standby is stored for the
  // leader, which takes it in. One event to each connection: four reach the two standbys. A row
  // that is not a frame (a damaged database) is said and dropped; the rest are handled.
  backend_.exec("INSERT INTO relayed_envelopes(received_at, envelope) VALUES (1, '{\"type\":\"events_api\"')");
  int sent = 0;
  for (const int connection : emu_.connections()) {
    const auto n = std::to_string(++sent);
    const json event{{"envelope_id", "env-event-" + n},
                     {"type", "events_api"},
                     {"payload",
                      {{"type", "event_callback"},
                       {"team_id", "T1"},
                       {"event_id", "Ev-spread-" + n},
                       {"event",
                        {{"type", "message"},
                         {"channel", "C-elsewhere"},
                         {"user", kRequester},
                         {"text", "hello " + n},
                         {"ts", "1800000100." + n}}}}}};
    EXPECT_TRUE(emu_.wait_for_ack(emu_.send_envelope(event, connection), 10s));
  }
  EXPECT_TRUE(test::eventually([&] {
    return counter(standbys_[0].log, "vigil_socket_envelopes_relayed_total") == 2 &&
           counter(standbys_[1].log, "vigil_socket_envelopes_relayed_total") == 2 &&
           counter(log_path(), "vigil_socket_envelopes_taken_in_total") == 4;
  })) << log();
  EXPECT_EQ(store()->count_relayed_envelopes(), 0) << "taken in, and gone from the database";
  EXPECT_NE(log().find("a relayed envelope could not be read back (20 bytes); dropped"), std::string::npos) << log();

  // A standby is ready (it answers probes, and stores a webhook delivery for the leader to take in).
  const auto port = http_port(standbys_[0].log);
  const auto ready = test::raw_http(port, test::http_request("GET", "/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find(
                "standby: another Vigil leads on this PostgreSQL database: 'vigil pid=" + std::to_string(pid_) + "'"),
            std::string::npos)
      << ready.body;
  {
    // A standby without its own Slack connection yet is not ready: Slack's envelopes reaching it
    // could not be taken. Once connected, it is.
    emu_.stall_next("apps.connections.open", 5s, 2);
    const auto path = (dir_ / "replica-unready.log").string();
    const pid_t unready =
        test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"}, serve_environment(), path);
    ASSERT_GT(unready, 0);
    const auto unready_port = http_port(path);
    ASSERT_TRUE(test::eventually(
        [&] { return test::read_file(path).find("standing by: another Vigil leads") != std::string::npos; }, 30s));
    const auto before = test::raw_http(unready_port, test::http_request("GET", "/readyz"));
    EXPECT_EQ(before.status, 503) << before.body;
    EXPECT_NE(before.body.find("slack: no Socket Mode connection has received hello"), std::string::npos)
        << before.body;
    EXPECT_TRUE(test::eventually([&] {
      const auto after = test::raw_http(unready_port, test::http_request("GET", "/readyz"));
      return after.status == 200 && after.body.find("standby: ") == 0;
    })) << test::read_file(path);
    ::kill(unready, SIGTERM);
    EXPECT_EQ(test::wait_exit(unready, 30s), 0) << test::read_file(path);
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() == 6; })) << "its connections closed";
  }
  const auto metrics = test::raw_http(port, test::http_request("GET", "/metrics"));
  EXPECT_NE(metrics.body.find("\nvigil_leader 0\n"), std::string::npos) << metrics.body;
  const auto leader_metrics = test::raw_http(http_port(log_path()), test::http_request("GET", "/metrics"));
  EXPECT_NE(leader_metrics.body.find("\nvigil_leader 1\n"), std::string::npos) << leader_metrics.body;
  const auto posted = test::raw_http(
      port, test::http_request(
                "POST", "/webhooks/alertmanager",
                {{"Authorization", std::string("Bearer ") + kWebhookToken}, {"Content-Type", "application/json"}},
                test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_oncall_example.json")));
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_NE(posted.body.find("\"deferred\":true"), std::string::npos) << posted.body;
  ASSERT_TRUE(test::eventually([&] {
    const auto deliveries = store()->list_webhook_deliveries();
    return deliveries.size() == 1 && deliveries[0].status == "processed";
  })) << "the leader took it in\n"
      << log();
  EXPECT_EQ(store()->list_incidents(10, true).size(), 2u) << "the fixture holds two alerts";
  for (const auto& r : store()->list_runs(100)) {
    known_runs_.insert(r.id);  // what the alerts started: new_run() below looks for the commands' runs
  }

  // 1. Inside a diagnostic step: interrupted, said so in its thread, never re-run.
  runbook("a");
  const auto a = new_run();
  ASSERT_TRUE(a);
  ASSERT_TRUE(test::eventually([&] { return count("start", "look", "a") == 1; })) << log();
  ASSERT_TRUE(test::eventually([&] { return root_recorded(a->id); })) << log();
  takeovers.push_back(fail_over());
  start_standby();
  ASSERT_TRUE(test::eventually([&] { return run_is(a->id, RunState::Interrupted); })) << log();
  ASSERT_TRUE(test::eventually([&] { return thread_says(a->id, "Vigil restarted while this run was in progress"); }))
      << all_posts();

  // 2. Waiting for approval: a standby killed meanwhile changes nothing; then the leader is, and
  // its card works on the next one.
  const auto b = run_to_the_card("b");
  ::kill(standbys_[0].pid, SIGKILL);
  EXPECT_EQ(test::wait_exit(standbys_[0].pid, 30s), 128 + SIGKILL);
  standbys_.erase(standbys_.begin());
  ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() == 4; })) << "its connections are gone";
  start_standby();
  EXPECT_TRUE(run_is(b.id, RunState::AwaitingApproval));
  takeovers.push_back(fail_over());
  start_standby();
  open_gate("fix", "b");
  click(card_tokens(b.id)[0]);
  ASSERT_TRUE(test::eventually([&] { return run_is(b.id, RunState::Succeeded); })) << log();

  // 3. One run in its diagnostic step, one queued behind it: the queued one starts on the next.
  runbook("c");
  const auto c = new_run();
  ASSERT_TRUE(c);
  ASSERT_TRUE(test::eventually([&] { return count("start", "look", "c") == 1; })) << log();
  open_gate("look", "d");
  runbook("d");
  const auto d = new_run();
  ASSERT_TRUE(d);
  ASSERT_TRUE(test::eventually([&] { return run_is(d->id, RunState::Queued); })) << log();
  ASSERT_TRUE(test::eventually([&] { return root_recorded(c->id); })) << log();
  EXPECT_EQ(roots(d->id), 0) << "queued: no card yet";
  takeovers.push_back(fail_over());
  start_standby();
  ASSERT_TRUE(test::eventually([&] { return run_is(c->id, RunState::Interrupted); })) << log();
  ASSERT_TRUE(test::eventually([&] { return card_tokens(d->id).size() == 1; })) << log() << all_posts();
  open_gate("fix", "d");
  click(card_tokens(d->id)[0]);
  ASSERT_TRUE(test::eventually([&] { return run_is(d->id, RunState::Succeeded); })) << log();

  // 4. Inside an approved remediation: interrupted, and never run again without a new approval.
  const auto e = run_to_the_card("e");
  click(card_tokens(e.id)[0]);
  ASSERT_TRUE(test::eventually([&] { return count("start", "fix", "e") == 1; })) << log();
  takeovers.push_back(fail_over());
  ASSERT_TRUE(test::eventually([&] { return run_is(e.id, RunState::Interrupted); })) << log();
  EXPECT_EQ(step(e.id, "fix")->state, StepState::Interrupted);

  // Slack sends one command again to every connection (a retry reaching each replica): it is
  // acked everywhere, stored by whichever standby saw it first, handled once by the leader.
  start_standby();
  ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() == 6; })) << "three replicas, two each";
  open_gate("look", "y");
  json again{{"type", "slash_commands"},
             {"accepts_response_payload", true},
             {"retry_attempt", 1},
             {"retry_reason", "timeout"},
             {"payload",
              {{"command", "/runbook"},
               {"text", "run crash-fix tag=y"},
               {"user_id", kRequester},
               {"user_name", "req"},
               {"channel_id", kChannel},
               {"channel_name", "inc-crash"},
               {"team_id", "T1"},
               {"response_url", emu_.response_url("again")},
               {"trigger_id", "trig-again"}}}};
  int copy = 0;
  for (const int connection : emu_.connections()) {
    again["envelope_id"] = "env-again-" + std::to_string(++copy);
    const auto id = emu_.send_envelope(again, connection);
    EXPECT_TRUE(emu_.wait_for_ack(id, 10s)) << id;
  }
  double duplicates = 0;
  EXPECT_TRUE(test::eventually([&] {
    duplicates = 0;
    for (const auto& replica : replica_logs()) {
      duplicates += counter(replica, "vigil_socket_duplicates_total");
    }
    return duplicates == 5;
  })) << duplicates
      << " duplicates\n"
      << log();
  ASSERT_TRUE(test::eventually([&] { return count("start", "look", "y") == 1; })) << log();
  const auto y = new_run();
  ASSERT_TRUE(y);
  ASSERT_TRUE(test::eventually([&] { return card_tokens(y->id).size() == 1; })) << log() << all_posts();
  EXPECT_EQ(count("start", "look", "y"), 1) << "one run for six copies\n" << side_effects();
  EXPECT_EQ(roots(y->id), 1) << all_posts();

  for (const auto& [tag, times] : std::map<std::string, int>{{"a", 0}, {"b", 1}, {"c", 0}, {"d", 1}, {"e", 1}}) {
    EXPECT_EQ(count("start", "fix", tag), times) << tag << "\n" << side_effects();
  }
  for (const auto& tag : {"a", "b", "c", "d", "e"}) {
    EXPECT_LE(count("start", "look", tag), 1) << tag << "\n" << side_effects();
  }
  for (const auto& id : {a->id, b.id, c->id, d->id, e.id}) {
    EXPECT_EQ(roots(id), 1) << "one root message per run, whoever leads\n" << all_posts();
  }
  std::string figures;
  for (const auto& t : takeovers) {
    figures += " " + std::to_string(t.count()) + " ms";
  }
  std::cout << "takeovers (kill -9 to the next replica leading):" << figures << "\n";
}

}  // namespace
}  // namespace vigil
