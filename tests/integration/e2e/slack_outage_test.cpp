// Slack goes away under load: the `vigil serve` binary gets a burst of /triage commands, and while
// their answers are still queued the Slack emulator stops (its Web API, response_url endpoints and
// Socket Mode all refuse connections). Vigil must retry each answer a bounded number of times, give
// up with a logged reason, keep running (no crash, as it once did in HttpWebApi::respond's retry
// wait), and exit 0 on SIGTERM afterwards.
//
// VIGIL_OUTAGE_COMMANDS sets the size of the burst (default 1500; the report that found the crash
// used 5000).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0OUTAGE";
constexpr const char* kRequester = "U0REQ";

int burst_size() {
  if (const char* s = std::getenv("VIGIL_OUTAGE_COMMANDS"); s != nullptr && *s != '\0') {
    return std::max(10, std::atoi(s));
  }
  return 1500;
}

// How many times `needle` occurs in `text`.
int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class SlackOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kChannel, "inc-outage");
    emu_.start();
    std::filesystem::create_directories(dir_ / "skills");
    test::write_file(dir_ / "skills" / "outage-drill.yaml",
                     "id: outage-drill\n"
                     "title: Outage drill\n"
                     "description: Looks once; nothing to approve.\n"
                     "triggers:\n"
                     "  text: ['outage drill']\n"
                     "steps:\n"
                     "  - id: look\n"
                     "    title: Look\n"
                     "    run: [echo, looked]\n");
    test::write_file(dir_ / "vigil.yaml",
                     std::string("channels:\n  - id: ") + kChannel + "\n    backend: runbook\n"
                     "skills:\n  dirs: [" + (dir_ / "skills").string() + "]\n"
                     "agent:\n  workspace_root: " + (dir_ / "ws").string() + "\n  grace: 1s\n"
                     "storage:\n  database: " + (dir_ / "v.db").string() + "\n"
                     "logging:\n  level: info\n");
    pid_ = test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"},
                             {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
                              "SLACK_BOT_TOKEN=" + test::fake_bot_token()},
                             log_path());
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(test::eventually([&] { return emu_.connections().size() >= 2; }, 30s)) << log();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  std::string log_path() const { return (dir_ / "vigil.log").string(); }
  std::string log() const { return test::read_file(log_path()); }

  // Still running: not exited, not killed by a signal. Reaps and describes it otherwise.
  ::testing::AssertionResult still_running() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) {
      return ::testing::AssertionSuccess();
    }
    pid_ = -1;
    if (r > 0 && WIFSIGNALED(status)) {
      return ::testing::AssertionFailure() << "vigil died of signal " << WTERMSIG(status) << "\n" << log();
    }
    return ::testing::AssertionFailure() << "vigil exited with " << (r > 0 ? WEXITSTATUS(status) : -1) << "\n"
                                         << log();
  }

  // Waits until `done` holds while Vigil stays up; a crash or exit on the way fails at once, with
  // the signal and the log.
  template <typename Predicate>
  ::testing::AssertionResult alive_until(Predicate done, std::chrono::milliseconds timeout, const char* what) {
    ::testing::AssertionResult alive = ::testing::AssertionSuccess();
    const bool reached = test::eventually(
        [&] {
          alive = still_running();
          return !alive || done();
        },
        timeout);
    if (!alive) {
      return alive;
    }
    if (!reached) {
      return ::testing::AssertionFailure() << what << "\n" << log();
    }
    return ::testing::AssertionSuccess();
  }

  void slash(int n, const std::string& text) {
    const auto id = std::to_string(n);
    emu_.send_envelope({{"envelope_id", "env-cmd-" + id},
                        {"type", "slash_commands"},
                        {"accepts_response_payload", true},
                        {"payload",
                         {{"command", "/triage"}, {"text", text}, {"user_id", kRequester}, {"user_name", "req"},
                          {"channel_id", kChannel}, {"channel_name", "inc-outage"}, {"team_id", "T1"},
                          {"response_url", emu_.response_url("cmd-" + id)}, {"trigger_id", "trig-" + id}}}});
  }

  test::TempDir dir_;
  slack::SlackEmulator emu_;
  pid_t pid_ = -1;
};

TEST_F(SlackOutage, SlackStopsWhileAnswersAreQueuedAndVigilLivesThenExitsCleanly) {
  const int commands = burst_size();
  // Half of them start a run (a database row, a thread, a step), half ask for the list of runs
  // (an answer through response_url only).
  for (int i = 0; i < commands; ++i) {
    const std::string text = i % 2 == 0 ? "outage drill " + std::to_string(i) : "list";
    slash(i, text);
  }
  // Slack goes away once Vigil has taken a quarter of the burst and before it has answered it all.
  ASSERT_TRUE(test::eventually([&] { return static_cast<int>(emu_.acks().size()) >= commands / 4; }, 120s))
      << "acked " << emu_.acks().size() << " of " << commands << "\n" << log();
  const int acked = static_cast<int>(emu_.acks().size());
  const int answered = static_cast<int>(emu_.response_posts().size());
  emu_.stop();
  std::printf("slack stopped after %d of %d commands acked, %d answered through response_url\n", acked, commands,
              answered);
  EXPECT_LT(answered, acked) << "every answer was already out: the outage came too late to test anything";

  // The queued answers fail: response_url first, then chat.postEphemeral and the runs' chat.postMessage,
  // each retried after a back-off (the wait that once read a header of a failed result and crashed).
  // Calls wait their turn on Slack's per-method rate limits, so giving every queued answer up takes
  // minutes; what is checked is that hundreds of failed calls and their retry waits have passed.
  ASSERT_TRUE(alive_until([&] { return occurrences(log(), "response_url failed") >= 50; }, 60s,
                          "queued answers did not fail over to chat.postEphemeral"));
  ASSERT_TRUE(alive_until([&] { return occurrences(log(), "Connection refused); retry") >= 100; }, 120s,
                          "failed calls were not retried"));

  // Socket Mode gives up one attempt after its bounded retries of apps.connections.open, then tries
  // again later, while the process stays up.
  ASSERT_TRUE(alive_until([&] { return occurrences(log(), "cannot connect") >= 2; }, 60s,
                          "Socket Mode did not retry its connections"));

  // Retries are bounded: no call is tried more than 1 + max_error_retries (3) times.
  const std::string text = log();
  EXPECT_GT(occurrences(text, "retry 3 of 3"), 0) << "no call used up its retries";
  EXPECT_EQ(occurrences(text, "retry 4 of"), 0);
  EXPECT_EQ(occurrences(text, " of 4 in"), 0);

  ::kill(pid_, SIGTERM);
  const int exit_code = test::wait_exit(pid_, 60s);
  pid_ = -1;
  EXPECT_EQ(exit_code, 0) << "vigil did not exit cleanly on SIGTERM after the outage\n" << log();

  // What was taken is stored: the runs the acked commands started are in the database.
  auto store = Store::open((dir_ / "v.db").string());
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_GE((*store)->list_runs(100000).size(), 1u);
}

}  // namespace
}  // namespace vigil
