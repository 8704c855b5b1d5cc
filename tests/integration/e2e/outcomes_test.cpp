// End to end: what a finished run came to, as people see it (the thread's summary, the root
// message, `/triage list`, `vigil runs list`), and a circuit breaker that only automatic runs
// failing for reasons of the system can trip: announced at the top of the incident channel, and
// every alert it skips saying so in its own thread.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0INC";
constexpr const char* kAlertChannel = "C0ALERTS";  // http.alert_channel: where pauses are announced
constexpr const char* kRequester = "U0REQ";
constexpr const char* kApprover = "U0APPROVER";

class Outcomes : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kChannel, "inc-api");
    emu_.add_channel(kAlertChannel, "alerts");
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n    auto_triage: true\n"
                   "approvals:\n  users: [" +
                   kApprover +
                   "]\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_outcomes").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n  failure_threshold: 3\n  pause_for: 1h\n"
                   "http:\n  alert_channel: " +
                   kAlertChannel +
                   "\n"
                   "storage:\n  database: {dir}/v.db\n"
                   "logging:\n  level: debug\n");
  }

  void slash(const std::string& command, const std::string& text, const std::string& user = kRequester) {
    session_.slash(command, text, user, kChannel, "inc-api");
  }
  // An Alertmanager message in the channel, with its labels as the Slack template writes them.
  void alert_message(const std::string& title, const std::string& ts,
                     const std::vector<std::pair<std::string, std::string>>& labels) {
    const auto n = std::to_string(++counter_);
    std::string text = "*Labels:*";
    for (const auto& [k, v] : labels) {
      text += "\n• *" + k + ":* `" + v + "`";
    }
    session_.send({{"envelope_id", "env-alert-" + n},
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
                       {"channel", kChannel},
                       {"ts", ts},
                       {"text", ""},
                       {"attachments", json::array({{{"title", title}, {"text", text}, {"fallback", title}}})}}}}}});
  }
  std::string log() const { return session_.log(); }
  std::string posts() const { return session_.posts(); }
  std::string responses() const { return session_.responses(); }
  std::vector<RunRecord> runs() { return session_.store()->list_runs(100); }
  std::optional<RunRecord> only_run() {
    const auto all = runs();
    if (all.size() != 1) {
      return std::nullopt;
    }
    return all[0];
  }
  // The messages posted in a thread (or at the top level, for an empty thread_ts) of a channel.
  std::string posted_in(const std::string& channel, const std::string& thread_ts) const {
    std::string out;
    for (const auto& c : emu_.calls("chat.postMessage")) {
      if (c.args.value("channel", "") == channel && c.args.value("thread_ts", "") == thread_ts) {
        out += c.args.value("text", "") + "\n" + c.args.value("blocks", json::array()).dump() + "\n";
      }
    }
    return out;
  }
  // The newest text of a run's root message: its post, or its latest update.
  std::string root_text(const RunRecord& run) const {
    const auto prefix = "Triage run " + run.id.substr(0, 8) + ": ";
    std::string latest;
    for (const auto& c : emu_.calls()) {
      if (c.method != "chat.postMessage" && c.method != "chat.update") {
        continue;
      }
      const auto text = c.args.value("text", "");
      if (text.rfind(prefix, 0) == 0) {
        latest = text;
      }
    }
    return latest;
  }
  test::ProcessOutput runs_list(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {test::vigil_binary().string(), "--config",
                                     (session_.dir() / "vigil.yaml").string(), "runs", "list"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_process(argv, {{"VIGIL_DB", ""}, {"VIGIL_CONFIG", ""}});
  }
  bool eventually_terminal(std::size_t count) {
    return test::eventually(
        [&] {
          const auto all = runs();
          return all.size() == count && std::all_of(all.begin(), all.end(), [](const auto& r) {
                   return is_terminal(r.state) && r.result.has_value();
                 });
        },
        20s);
  }

  test::ChatOpsSession session_;
  slack::SlackEmulator& emu_ = session_.emulator();
  int counter_ = 0;
};

TEST_F(Outcomes, ADeniedFixSaysFixDeniedInTheThreadTheRootTheListsAndTheCli) {
  slash("/triage", "api is down");
  ASSERT_TRUE(test::eventually([&] { return session_.approval_tokens().size() == 1; })) << log() << posts();
  const auto token = session_.approval_tokens()[0];
  session_.click("approval.deny", token, kApprover, kChannel);
  ASSERT_TRUE(test::eventually([&] { return !emu_.calls("views.open").empty(); })) << log();
  session_.send(
      {{"envelope_id", "env-view-1"},
       {"type", "interactive"},
       {"payload",
        {{"type", "view_submission"},
         {"user", {{"id", kApprover}}},
         {"view",
          {{"id", "V1"},
           {"callback_id", "approval.deny_reason"},
           {"private_metadata", token},
           {"hash", "h"},
           {"state",
            {{"values", {{"reason", {{"reason", {{"type", "plain_text_input"}, {"value", "not now"}}}}}}}}}}}}}});
  ASSERT_TRUE(test::eventually([&] {
    const auto r = only_run();
    return r && is_terminal(r->state);
  })) << log();
  const auto run = *only_run();
  EXPECT_EQ(run.result, RunResult::Denied);
  // The thread's summary says it first, and the runbook summary's Outcome line agrees.
  ASSERT_TRUE(test::eventually([&] {
    return posted_in(kChannel, run.thread_ts).find(":no_entry_sign: *Fix denied, no change made*") != std::string::npos;
  })) << posts();
  const auto thread = posted_in(kChannel, run.thread_ts);
  EXPECT_NE(thread.find("*Outcome:* :no_entry_sign: fix denied, no change made"), std::string::npos) << thread;
  // The root message, updated in place.
  ASSERT_TRUE(test::eventually([&] { return root_text(run).find("Fix denied, no change made") != std::string::npos; }))
      << posts();
  EXPECT_EQ(posts().find("Run succeeded"), std::string::npos) << posts();
  EXPECT_EQ(root_text(run).find("succeeded"), std::string::npos) << root_text(run);
  // /triage list.
  slash("/triage", "list");
  ASSERT_TRUE(test::eventually([&] {
    return responses().find(":no_entry_sign: *fix denied, no change made*") != std::string::npos;
  })) << responses();
  // vigil runs list.
  const auto list = runs_list();
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(run.id + "  "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("fix denied, no change made"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("succeeded"), std::string::npos) << list.out;
  const auto denied_only = runs_list({"--result", "denied"});
  EXPECT_NE(denied_only.out.find(run.id), std::string::npos) << denied_only.out;
  EXPECT_EQ(runs_list({"--result", "fixed"}).out.find(run.id), std::string::npos);
  EXPECT_EQ(runs_list({"--result", "bogus"}).exit_code, 2);
}

TEST_F(Outcomes, NoRunbookIsNothingToDoWithAHint) {
  slash("/triage", "frobnicate");
  ASSERT_TRUE(eventually_terminal(1)) << log();
  const auto run = runs()[0];
  EXPECT_EQ(run.result, RunResult::NothingToDo);
  ASSERT_TRUE(test::eventually([&] {
    return posted_in(kChannel, run.thread_ts).find(":heavy_minus_sign: *Nothing to do*") != std::string::npos;
  })) << posts();
  const auto thread = posted_in(kChannel, run.thread_ts);
  EXPECT_NE(thread.find("No runbook matches this incident, so nothing was run."), std::string::npos) << thread;
  EXPECT_NE(thread.find("/runbook list"), std::string::npos) << "a person is told how to ask\n" << thread;
  ASSERT_TRUE(test::eventually([&] { return root_text(run).find("Nothing to do") != std::string::npos; })) << posts();
  EXPECT_NE(runs_list().out.find("nothing to do"), std::string::npos);
}

TEST_F(Outcomes, PeoplesFailedRequestsNeverPauseAutomaticTriage) {
  // Three requests a person typed that the runbook cannot run (no namespace, no pod).
  for (int i = 0; i < 3; ++i) {
    slash("/triage", "checkout pod crash looping " + std::to_string(i));
  }
  ASSERT_TRUE(eventually_terminal(3)) << log();
  for (const auto& r : runs()) {
    EXPECT_NE(r.result, RunResult::Fixed);
    EXPECT_NE(r.result, RunResult::Diagnosed);
  }
  // Then a real, fully labelled alert: triaged, not paused.
  alert_message(
      "[FIRING:1] PodCrashLooping (demo checkout-1)", "1800000000.000200",
      {{"alertname", "PodCrashLooping"}, {"namespace", "demo"}, {"pod", "checkout-1"}, {"severity", "critical"}});
  ASSERT_TRUE(eventually_terminal(4)) << log();
  const auto alert_run = runs()[0];
  EXPECT_EQ(alert_run.trigger_kind, "alert");
  EXPECT_EQ(alert_run.result, RunResult::Diagnosed) << alert_run.error;
  ASSERT_TRUE(test::eventually([&] {
    return posted_in(kChannel, "1800000000.000200").find("pod checkout-1 in demo exits 1") != std::string::npos;
  })) << posts();
  EXPECT_EQ(posts().find("paused"), std::string::npos) << posts();
  EXPECT_FALSE(session_.store()->get_auto_triage_pause("skill:crash-loop"));
}

TEST_F(Outcomes, AutomaticSystemFailuresPauseAnnouncedAndTheSkippedAlertSaysSoInItsOwnThread) {
  for (int i = 0; i < 3; ++i) {
    alert_message("[FIRING:1] DiskFull (node-" + std::to_string(i) + ")", "1800000000.00030" + std::to_string(i),
                  {{"alertname", "DiskFull"}, {"node", "node-" + std::to_string(i)}});
    ASSERT_TRUE(eventually_terminal(static_cast<std::size_t>(i + 1))) << log();
  }
  for (const auto& r : runs()) {
    EXPECT_EQ(r.result, RunResult::Failed) << r.id;
  }
  // Announced once, at the top of the incident channel: what, why, until when, how to resume.
  ASSERT_TRUE(test::eventually([&] {
    return posted_in(kAlertChannel, "").find("Automatic triage with skill:disk-check is paused until") !=
           std::string::npos;
  })) << posts();
  const auto announcement = posted_in(kAlertChannel, "");
  EXPECT_NE(announcement.find("3 automatic runs in a row failed"), std::string::npos) << announcement;
  for (const auto& r : runs()) {
    EXPECT_NE(announcement.find(r.id.substr(0, 8)), std::string::npos) << "names failing run " << r.id;
  }
  EXPECT_NE(announcement.find("/triage resume-auto skill:disk-check"), std::string::npos) << announcement;

  // The next alert is recorded as a run of its own, skipped, and says so in its own thread.
  alert_message("[FIRING:1] DiskFull (node-9)", "1800000000.000309", {{"alertname", "DiskFull"}, {"node", "node-9"}});
  ASSERT_TRUE(eventually_terminal(4)) << log();
  const auto skipped = runs()[0];
  EXPECT_EQ(skipped.result, RunResult::Skipped);
  EXPECT_EQ(skipped.thread_ts, "1800000000.000309");
  ASSERT_TRUE(test::eventually([&] {
    return posted_in(kChannel, "1800000000.000309")
               .find(":double_vertical_bar: *Skipped: automatic triage is paused*") != std::string::npos;
  })) << posts();
  const auto thread = posted_in(kChannel, "1800000000.000309");
  EXPECT_NE(thread.find("automatic triage with skill:disk-check is paused since"), std::string::npos) << thread;
  EXPECT_NE(thread.find("/triage resume-auto skill:disk-check"), std::string::npos) << thread;
  EXPECT_EQ(session_.store()->list_steps(skipped.id).size(), 0u) << "nothing ran";

  const auto list = runs_list();
  EXPECT_NE(list.out.find(skipped.id + "  "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("skipped: automatic triage is paused"), std::string::npos) << list.out;
  EXPECT_EQ(runs_list({"--result", "failed"}).out.find("DiskFull (node-9)"), std::string::npos);
  std::size_t failed = 0;
  for (auto at = list.out.find("  failed  "); at != std::string::npos; at = list.out.find("  failed  ", at + 1)) {
    ++failed;
  }
  EXPECT_EQ(failed, 3u) << list.out;
}

}  // namespace
}  // namespace vigil
