// Chaos: the `vigil serve` binary against a Slack emulator that keeps breaking things while a
// realistic stream of commands arrives (slash commands, alert messages, mentions, chit-chat,
// Approve clicks, double clicks). The emulator refreshes and drops sockets every few envelopes,
// refuses reconnections for a while, redelivers whatever was not acked, and answers Web API calls
// with 429 and 5xx at random. What must hold: every envelope is acked (itself or a redelivery),
// no command is lost, and no side effect happens twice, counted from the emulator's call log, the
// database and a file the remediation tool appends to.
//
// The seed is fixed (VIGIL_CHAOS_SEED overrides it) and printed with every failure. The order of
// events still depends on timing; the assertions do not.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using slack::SlackEmulator;

constexpr const char* kRequester = "U0REQ";
constexpr const char* kPerson = "U0PERSON";
constexpr const char* kApprover = "U0APPROVER";
constexpr const char* kApprover2 = "U0APPROVER2";
const std::vector<std::string> kChannels = {"C0CHAOS1", "C0CHAOS2", "C0CHAOS3"};
constexpr int kRuns = 6;           // 2 slash commands, 2 alert messages, 2 mentions
constexpr int kListCommands = 20;  // `/triage list`: answered through response_url, no run
constexpr int kChitChat = 20;      // people talking in the channels: no run

unsigned chaos_seed() {
  if (const char* s = std::getenv("VIGIL_CHAOS_SEED"); s != nullptr && *s != '\0') {
    return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  }
  return 20261122;
}

slack::EmulatorOptions emulator_options() {
  slack::EmulatorOptions o;
  o.redeliver_all_types = true;  // an unacked slash command or click comes again, like an event
  o.max_redeliveries = 100;      // and keeps coming until it is acked
  return o;
}

std::string two_digits(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", i);
  return buf;
}
std::string tag_of(int run) {
  return "t" + two_digits(run);
}
std::string alertname_of(int run) {
  return "ChaosAlert_" + tag_of(run);
}

class Chaos : public ::testing::Test {
 protected:
  void SetUp() override {
    std::printf("chaos seed %u (set VIGIL_CHAOS_SEED to replay)\n", seed_);
    for (const auto& c : kChannels) {
      emu_.add_channel(c, "inc-" + c.substr(c.size() - 1));
    }
    emu_.start();
    write_skills();
    write_config();
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"},
                             {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
                              "SLACK_BOT_TOKEN=" + test::fake_bot_token()},
                             log_path());
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= 2; }, 30s)) << log();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      EXPECT_EQ(test::wait_exit(pid_, 30s), 0) << "vigil did not stop cleanly\n" << log();
    }
  }

  // One skill per run, so the tool's record names the run: incident text never reaches an argv
  // unless it is a plain name, and alert titles and slash-command text are not.
  void write_skills() {
    const auto tool = (test::test_data_dir() / "support" / "gated_tool.sh").string();
    const auto side_effects = (dir_ / "side-effects.log").string();
    std::filesystem::create_directories(dir_ / "skills");
    for (int i = 0; i < kRuns; ++i) {
      const auto tag = tag_of(i);
      test::write_file(
          dir_ / "skills" / ("chaos-" + tag + ".yaml"),
          "id: chaos-" + tag +
              "\n"
              "title: Fix chaos incident " +
              tag +
              "\n"
              "description: Looks, then fixes; a script stands in for kubectl and records every execution.\n"
              "triggers:\n"
              "  text: ['chaos incident " +
              tag +
              "\\b']\n"
              "  alertnames: [" +
              alertname_of(i) +
              "]\n"
              "steps:\n"
              "  - id: look\n"
              "    title: Look at it\n"
              "    run: ['" +
              tool + "', '" + side_effects + "', '-', look, " + tag +
              "]\n"
              "  - id: fix\n"
              "    title: Fix it\n"
              "    run: ['" +
              tool + "', '" + side_effects + "', '-', fix, " + tag +
              "]\n"
              "    dry_run: [echo, 'would fix', " +
              tag +
              "]\n"
              "    mutating: true\n"
              "    requires_approval: true\n"
              "    risk: medium\n");
    }
  }
  void write_config() {
    std::string channels;
    for (const auto& c : kChannels) {
      channels += "  - id: " + c + "\n    backend: runbook\n    auto_triage: true\n";
    }
    test::write_file(dir_ / "vigil.yaml", "channels:\n" + channels + "approvals:\n  users: [" + kApprover + ", " +
                                              kApprover2 +
                                              "]\n"
                                              "skills:\n  dirs: [" +
                                              (dir_ / "skills").string() +
                                              "]\n"
                                              "agent:\n  workspace_root: " +
                                              (dir_ / "ws").string() +
                                              "\n  grace: 1s\n"
                                              "storage:\n  database: " +
                                              (dir_ / "v.db").string() +
                                              "\n"
                                              "logging:\n  level: debug\n");
  }
  std::string log_path() const { return (dir_ / "vigil.log").string(); }
  std::string log() const { return test::read_file(log_path()); }
  std::string side_effects() const {
    return std::filesystem::exists(dir_ / "side-effects.log") ? test::read_file(dir_ / "side-effects.log") : "";
  }
  std::unique_ptr<Store> store() {
    auto s = Store::open((dir_ / "v.db").string());
    return s ? std::move(*s) : nullptr;
  }

  // ---- the stream of envelopes, with a fault every few of them ----
  void send(json envelope) {
    sent_.push_back(emu_.send_envelope(std::move(envelope)));
    if (++since_fault_ >= next_fault_) {
      since_fault_ = 0;
      next_fault_ = std::uniform_int_distribution<int>(2, 3)(random_);
      fault();
    }
  }
  void fault() {
    const auto live = emu_.connections();
    if (live.empty()) {
      since_fault_ = next_fault_;  // nothing to break now: the next envelope tries again
      return;
    }
    const int target = live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(random_)];
    // Weights: refresh 2, warning 1, abrupt close 2, close handshake 1, outage 1.
    switch (std::discrete_distribution<int>({2, 1, 2, 1, 1})(random_)) {
      case 0:
        emu_.send_disconnect(target, "refresh_requested");
        ++faults_["refresh_requested"];
        break;
      case 1:
        emu_.send_disconnect(target, "warning");
        ++faults_["warning"];
        break;
      case 2:
        emu_.close_connection(target, true);
        ++faults_["abrupt close"];
        break;
      case 3:
        emu_.close_connection(target, false);
        ++faults_["close handshake"];
        break;
      default:
        // Slack down for a few seconds: every socket dropped, the next reconnections refused.
        emu_.refuse_upgrades(3, 503);
        for (int c : live) {
          emu_.close_connection(c, true);
        }
        ++faults_["outage (all dropped, 3 upgrades refused)"];
        break;
    }
  }
  std::string next_ts() { return "1800000100." + std::to_string(100000 + ++ts_counter_); }

  void slash(const std::string& channel, const std::string& text, const std::string& response_id) {
    const auto n = std::to_string(++counter_);
    send({{"envelope_id", "env-cmd-" + n},
          {"type", "slash_commands"},
          {"accepts_response_payload", true},
          {"payload",
           {{"command", "/triage"},
            {"text", text},
            {"user_id", kRequester},
            {"user_name", "req"},
            {"channel_id", channel},
            {"channel_name", "inc"},
            {"team_id", "T1"},
            {"response_url", emu_.response_url(response_id)},
            {"trigger_id", "trig-" + n}}}});
  }
  void alert(const std::string& channel, const std::string& title, const std::string& alertname) {
    const auto n = std::to_string(++counter_);
    send({{"envelope_id", "env-alert-" + n},
          {"type", "events_api"},
          {"accepts_response_payload", false},
          {"payload",
           {{"type", "event_callback"},
            {"team_id", "T1"},
            {"event_id", "EvAlert" + n},
            {"event",
             {{"type", "message"},
              {"subtype", "bot_message"},
              {"bot_id", "B0ALERTMANAGER"},
              {"username", "alertmanager"},
              {"channel", channel},
              {"ts", next_ts()},
              {"text", ""},
              {"attachments",
               json::array({{{"title", "[FIRING:1] " + title},
                             {"text", "*Labels:*\n• *alertname:* `" + alertname + "`\n• *severity:* `critical`"},
                             {"fallback", title}}})}}}}}});
  }
  // Slack sends both an app_mention and a channel message for one mention.
  void mention(const std::string& channel, const std::string& text) {
    const auto ts = next_ts();
    for (const char* type : {"app_mention", "message"}) {
      const auto n = std::to_string(++counter_);
      send({{"envelope_id", "env-mention-" + n},
            {"type", "events_api"},
            {"payload",
             {{"type", "event_callback"},
              {"team_id", "T1"},
              {"event_id", "EvMention" + n},
              {"event",
               {{"type", type},
                {"user", kRequester},
                {"channel", channel},
                {"ts", ts},
                {"event_ts", ts},
                {"text", "<@U0VIGIL> investigate " + text}}}}}});
    }
  }
  void chit_chat(const std::string& channel) {
    const auto n = std::to_string(++counter_);
    send({{"envelope_id", "env-msg-" + n},
          {"type", "events_api"},
          {"payload",
           {{"type", "event_callback"},
            {"team_id", "T1"},
            {"event_id", "EvMsg" + n},
            {"event",
             {{"type", "message"},
              {"user", kPerson},
              {"channel", channel},
              {"ts", next_ts()},
              {"text", "anyone else seeing this? " + n}}}}}});
  }
  void click(const std::string& channel, const std::string& message_ts, const std::string& token,
             const std::string& user) {
    const auto n = std::to_string(++counter_);
    send({{"envelope_id", "env-click-" + n},
          {"type", "interactive"},
          {"accepts_response_payload", true},
          {"payload",
           {{"type", "block_actions"},
            {"user", {{"id", user}, {"username", "approver"}, {"team_id", "T1"}}},
            {"team", {{"id", "T1"}}},
            {"channel", {{"id", channel}, {"name", "inc"}}},
            {"container", {{"type", "message"}, {"message_ts", message_ts}, {"channel_id", channel}}},
            {"trigger_id", "trig-" + n},
            {"response_url", emu_.response_url("click-" + n)},
            {"actions", json::array({{{"action_id", "approval.approve"},
                                      {"block_id", "b"},
                                      {"value", token},
                                      {"type", "button"},
                                      {"action_ts", "1800000200." + n}}})}}}});
  }

  struct Card {
    std::string token;
    std::string channel;
    std::string ts;
  };
  // Approval cards as Slack shows them now (a decided card has no buttons any more).
  std::vector<Card> open_cards() {
    std::vector<Card> out;
    for (const auto& m : emu_.messages()) {
      for (const auto& b : m.blocks.is_array() ? m.blocks : json::array()) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            out.push_back({e.value("value", ""), m.channel, m.ts});
          }
        }
      }
    }
    return out;
  }
  // The approval tokens of every card Slack accepted (faulted calls left out).
  std::vector<std::string> posted_card_tokens() {
    std::vector<std::string> out;
    for (const auto& p : posts()) {
      for (const auto& b : p.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            out.push_back(e.value("value", ""));
          }
        }
      }
    }
    return out;
  }
  // Accepted chat.postMessage calls (the emulator recorded faulted ones with their status).
  std::vector<slack::EmulatedCall> posts() {
    std::vector<slack::EmulatedCall> out;
    for (auto& c : emu_.calls("chat.postMessage")) {
      if (c.status == 200 && c.error.empty()) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  bool acked_or_redelivered_and_acked(const std::set<std::string>& acked, const std::string& id) {
    if (acked.count(id)) {
      return true;
    }
    for (int i = 1; i <= 100; ++i) {
      if (acked.count(id + "-retry" + std::to_string(i))) {
        return true;
      }
    }
    return false;
  }
  std::vector<std::string> unacked() {
    std::set<std::string> acked;
    for (const auto& a : emu_.acks()) {
      acked.insert(a.envelope_id);
    }
    std::vector<std::string> out;
    for (const auto& id : sent_) {
      if (!acked_or_redelivered_and_acked(acked, id)) {
        out.push_back(id);
      }
    }
    return out;
  }
  std::string chaos_report() {
    std::string out = "seed " + std::to_string(seed_) + "; faults:";
    for (const auto& [what, n] : faults_) {
      out += " " + what + "=" + std::to_string(n);
    }
    int web_faults = 0;
    for (const auto& c : emu_.calls()) {
      web_faults += c.status != 200 ? 1 : 0;
    }
    std::map<std::string, int> per_method;
    for (const auto& c : emu_.calls()) {
      ++per_method[c.method];
    }
    out += "; web api calls:";
    for (const auto& [method, n] : per_method) {
      out += " " + method + "=" + std::to_string(n);
    }
    out += "; web api faults=" + std::to_string(web_faults) +
           "; sockets accepted=" + std::to_string(emu_.connections_accepted()) +
           "; redeliveries=" + std::to_string(emu_.redeliveries()) + "; envelopes sent=" + std::to_string(sent_.size());
    return out;
  }

  unsigned seed_ = chaos_seed();
  std::mt19937 random_{seed_};
  test::TempDir dir_;
  SlackEmulator emu_{emulator_options()};
  pid_t pid_ = -1;
  std::vector<std::string> sent_;
  std::map<std::string, int> faults_;
  int since_fault_ = 0;
  int next_fault_ = 3;
  int counter_ = 0;
  int ts_counter_ = 0;
};

TEST_F(Chaos, NoEnvelopeLostNoCommandLostNoSideEffectTwice) {
  SCOPED_TRACE("chaos seed " + std::to_string(seed_) + " (VIGIL_CHAOS_SEED replays it)");
  slack::RandomFaults web_faults;
  web_faults.seed = seed_;
  web_faults.server_error_rate = 0.10;
  web_faults.rate_limit_rate = 0.04;
  web_faults.max_in_a_row = 2;  // Vigil retries a 5xx three times: every call gets through
  emu_.set_random_faults(web_faults);

  const auto started = std::chrono::steady_clock::now();
  // The stream: every command, chit-chat and list in a seeded order.
  std::vector<std::function<void()>> script;
  std::vector<std::string> tags;
  std::vector<std::string> list_responses;
  std::vector<std::string> start_responses;
  for (int i = 0; i < kRuns; ++i) {
    const auto tag = tag_of(i);
    tags.push_back(tag);
    const auto& channel = kChannels[static_cast<std::size_t>(i) % kChannels.size()];
    switch (i % 3) {
      case 0: {
        const auto response = "start-" + tag;
        start_responses.push_back(response);
        script.emplace_back([this, channel, tag, response] { slash(channel, "chaos incident " + tag, response); });
        break;
      }
      case 1:
        script.emplace_back([this, channel, tag, i] { alert(channel, "ChaosAlert " + tag, alertname_of(i)); });
        break;
      case 2:
        script.emplace_back([this, channel, tag] { mention(channel, "chaos incident " + tag); });
        break;
    }
  }
  for (int i = 0; i < kListCommands; ++i) {
    const auto response = "list-" + two_digits(i);
    list_responses.push_back(response);
    const auto& channel = kChannels[static_cast<std::size_t>(i) % kChannels.size()];
    script.emplace_back([this, channel, response] { slash(channel, "list", response); });
  }
  for (int i = 0; i < kChitChat; ++i) {
    const auto& channel = kChannels[static_cast<std::size_t>(i) % kChannels.size()];
    script.emplace_back([this, channel] { chit_chat(channel); });
  }
  std::shuffle(script.begin(), script.end(), random_);
  // A stream, not one burst: a few envelopes, then wait until Slack has all the acks so far (the
  // faults land while runs are starting, posting and waiting, not only in the first milliseconds).
  for (std::size_t i = 0; i < script.size(); ++i) {
    script[i]();
    if (i % 6 == 5) {
      test::eventually([&] { return unacked().empty(); }, 60s);
    }
  }

  // Approve every card as it appears; some approvers click twice, or a second approver races.
  std::set<std::string> clicked;
  const auto deadline = std::chrono::steady_clock::now() + 150s;
  auto all_succeeded = [&] {
    auto s = store();
    const auto runs = s->list_runs(100);
    int done = 0;
    for (const auto& r : runs) {
      done += r.state == RunState::Succeeded ? 1 : 0;
    }
    return done >= kRuns;
  };
  while (!all_succeeded() && std::chrono::steady_clock::now() < deadline) {
    std::vector<Card> fresh;
    test::eventually(
        [&] {
          fresh.clear();
          for (auto& c : open_cards()) {
            if (!clicked.count(c.token)) {
              fresh.push_back(c);
            }
          }
          return !fresh.empty() || all_succeeded();
        },
        30s);
    for (const auto& c : fresh) {
      clicked.insert(c.token);
      click(c.channel, c.ts, c.token, kApprover);
      switch (std::uniform_int_distribution<int>(0, 2)(random_)) {
        case 0:
          click(c.channel, c.ts, c.token, kApprover);  // a double click
          break;
        case 1:
          click(c.channel, c.ts, c.token, kApprover2);  // two approvers racing
          break;
        default:
          break;
      }
    }
  }
  ASSERT_TRUE(all_succeeded()) << chaos_report() << "\n" << side_effects() << log();
  const auto runs_done = std::chrono::steady_clock::now();

  // Every envelope was acked, itself or a redelivery of it.
  emu_.refuse_upgrades(0, 0);
  EXPECT_TRUE(test::eventually([&] { return unacked().empty(); }, 60s))
      << unacked().size() << " envelope(s) never acked, first " << unacked().front() << "; " << chaos_report();
  // Every run's thread got its summary (the presenter got through the faults too).
  ASSERT_TRUE(test::eventually(
      [&] {
        int summaries = 0;
        for (const auto& p : posts()) {
          summaries += p.args.dump().find(":white_check_mark: *Fixed*") != std::string::npos ? 1 : 0;
        }
        return summaries >= kRuns;
      },
      60s))
      << chaos_report() << log();

  const auto shown = std::chrono::steady_clock::now();
  std::printf("runs done after %.1f s, all acked and shown after %.1f s\n",
              std::chrono::duration<double>(runs_done - started).count(),
              std::chrono::duration<double>(shown - started).count());
  // No command lost, none done twice.
  auto s = store();
  const auto runs = s->list_runs(100);
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kRuns)) << chaos_report();
  const auto effects = side_effects();
  const auto all_posts = posts();
  for (const auto& tag : tags) {
    SCOPED_TRACE("run " + tag);
    std::vector<RunRecord> mine;
    for (const auto& r : runs) {
      if (std::regex_search(r.text, std::regex("\\b" + tag + "$"))) {
        mine.push_back(r);
      }
    }
    ASSERT_EQ(mine.size(), 1u) << "one run per command";
    const auto& run = mine[0];
    EXPECT_EQ(run.state, RunState::Succeeded);
    // The diagnostic and the remediation each ran exactly once (the tool's own record)…
    for (const char* step : {"look", "fix"}) {
      const std::regex started("^start " + std::string(step) + " [0-9]+ .*\\b" + tag + "$");
      int n = 0;
      std::istringstream lines(effects);
      for (std::string line; std::getline(lines, line);) {
        n += std::regex_search(line, started) ? 1 : 0;
      }
      EXPECT_EQ(n, 1) << step << " executions\n" << effects;
    }
    // … and the database agrees.
    int fix_rows = 0;
    for (const auto& st : s->list_steps(run.id)) {
      fix_rows += st.step == "fix" && st.state == StepState::Succeeded ? 1 : 0;
    }
    EXPECT_EQ(fix_rows, 1);
    int executed = 0;
    for (const auto& a : s->list_audit(run.id, 10000)) {
      executed += a.action == "step.executed" ? 1 : 0;
    }
    EXPECT_EQ(executed, 1);
    // Slack shows one root message, one approval card and one summary for the run.
    int roots = 0, summaries = 0;
    for (const auto& p : all_posts) {
      const auto text = p.args.value("text", "");
      roots += text.rfind("Triage run " + run.id.substr(0, 8), 0) == 0 ? 1 : 0;
      summaries += p.args.value("thread_ts", "") == run.thread_ts &&
                           p.args.dump().find(":white_check_mark: *Fixed*") != std::string::npos
                       ? 1
                       : 0;
    }
    EXPECT_EQ(roots, 1) << "root messages";
    EXPECT_EQ(summaries, 1) << "summaries";
    int cards_for_run = 0;
    for (const auto& token : posted_card_tokens()) {
      const auto a = s->get_approval(token);
      cards_for_run += a && a->run_id == run.id ? 1 : 0;
    }
    EXPECT_EQ(cards_for_run, 1) << "approval cards";
  }
  // Each slash command was answered exactly once through its response_url.
  std::map<std::string, int> answers;
  for (const auto& [id, body] : emu_.response_posts()) {
    ++answers[id];
  }
  for (const auto& id : start_responses) {
    EXPECT_EQ(answers[id], 1) << id;
  }
  for (const auto& id : list_responses) {
    EXPECT_EQ(answers[id], 1) << id;
  }
  // The chaos really happened.
  EXPECT_GT(emu_.connections_accepted(), 4) << chaos_report();
  int web_faults_seen = 0;
  for (const auto& c : emu_.calls()) {
    web_faults_seen += c.status != 200 ? 1 : 0;
  }
  EXPECT_GT(web_faults_seen, 0) << chaos_report();
  std::printf("%s\n", chaos_report().c_str());
}

}  // namespace
}  // namespace vigil
