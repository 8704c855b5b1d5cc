// Slack goes away under load: the `vigil serve` binary gets a burst of /triage commands, and while
// their answers are still queued the Slack emulator stops (its Web API, response_url endpoints and
// Socket Mode all refuse connections). Vigil must retry each answer a bounded number of times, give
// up with a logged reason, keep running (no crash, as it once did in HttpWebApi::respond's retry
// wait), and exit 0 on SIGTERM afterwards.
//
// VIGIL_OUTAGE_COMMANDS sets the size of the burst (default 1500; the report that found the crash
// used 5000).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

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
    session_.emulator().add_channel(kChannel, "inc-outage");
    std::filesystem::create_directories(session_.dir() / "skills");
    test::write_file(session_.dir() / "skills" / "outage-drill.yaml",
                     "id: outage-drill\n"
                     "title: Outage drill\n"
                     "description: Looks once; nothing to approve.\n"
                     "triggers:\n"
                     "  text: ['outage drill']\n"
                     "steps:\n"
                     "  - id: look\n"
                     "    title: Look\n"
                     "    run: [echo, looked]\n");
    session_.start(std::string("channels:\n  - id: ") + kChannel + "\n    backend: runbook\n" +
                   "skills:\n  dirs: [{dir}/skills]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n"
                   "logging:\n  level: info\n");
  }

  std::string log() const { return session_.log(); }

  // Waits until `done` holds while Vigil stays up; a crash or exit on the way fails at once, with
  // the signal and the log.
  template <typename Predicate>
  ::testing::AssertionResult alive_until(Predicate done, std::chrono::milliseconds timeout, const char* what) {
    ::testing::AssertionResult alive = ::testing::AssertionSuccess();
    const bool reached = test::eventually(
        [&] {
          alive = session_.running();
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

  test::ChatOpsSession session_;
};

TEST_F(SlackOutage, SlackStopsWhileAnswersAreQueuedAndVigilLivesThenExitsCleanly) {
  const int commands = burst_size();
  // Half of them start a run (a database row, a thread, a step), half ask for the list of runs
  // (an answer through response_url only).
  auto& emu = session_.emulator();
  for (int i = 0; i < commands; ++i) {
    const std::string text = i % 2 == 0 ? "outage drill " + std::to_string(i) : "list";
    emu.send_envelope(session_.slash_envelope("/triage", text, kRequester, kChannel, "inc-outage"));
  }
  // Slack goes away once Vigil has taken a quarter of the burst and before it has answered it all.
  ASSERT_TRUE(test::eventually([&] { return static_cast<int>(emu.acks().size()) >= commands / 4; }, 120s))
      << "acked " << emu.acks().size() << " of " << commands << "\n"
      << log();
  const int acked = static_cast<int>(emu.acks().size());
  const int answered = static_cast<int>(emu.response_posts().size());
  emu.stop();
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

  const int exit_code = session_.stop(60s);
  EXPECT_EQ(exit_code, 0) << "vigil did not exit cleanly on SIGTERM after the outage\n" << log();

  // What was taken is stored: the runs the acked commands started are in the database.
  const auto store = session_.store();
  ASSERT_TRUE(store);
  EXPECT_GE(store->list_runs(100000).size(), 1u);
}

}  // namespace
}  // namespace vigil
