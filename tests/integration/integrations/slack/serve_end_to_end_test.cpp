// `vigil serve` as a real process against the Slack emulator: connect, ack a slash command,
// SIGTERM → exit 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::start_vigil;
using test::wait_exit;

TEST(VigilServe, ConnectsAcksASlashCommandAndStopsCleanlyOnSigterm) {
  test::TempDir dir;
  SlackEmulator emu;
  emu.start();
  const auto log = (dir / "vigil.log").string();
  const pid_t pid = start_vigil(
      {"serve"},
      {"SLACK_API_URL=" + emu.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
       "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_DB=" + (dir / "v.db").string(), "VIGIL_LOG_LEVEL=debug"},
      log);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(emu.wait_for_connections(2, 10s)) << test::read_file(log);
  auto envelope =
      json::parse(test::read_file(test::fixtures_dir() / "slack" / "socket_mode" / "slash_commands_envelope.json"));
  const auto id = emu.send_envelope(envelope);
  auto ack = emu.wait_for_ack(id, 3s);
  ASSERT_TRUE(ack) << test::read_file(log);
  EXPECT_LT(ack->latency, 1s);
  EXPECT_EQ(emu.calls("auth.test").size(), 1u);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 10s), 0) << test::read_file(log);
  const auto text = test::read_file(log);
  EXPECT_NE(text.find("slash_command /hello-socket-mode"), std::string::npos) << text;
  EXPECT_EQ(text.find(test::fake_bot_token()), std::string::npos) << "tokens never reach the log";
  EXPECT_TRUE(emu.wait_for_closed(1, 2s));
}

TEST(VigilServe, RejectedBotTokenExitsTwo) {
  test::TempDir dir;
  SlackEmulator emu;
  emu.start();
  emu.fail_next("auth.test", "invalid_auth", 1);
  const auto log = (dir / "vigil.log").string();
  const pid_t pid = start_vigil({"serve"},
                                {"SLACK_API_URL=" + emu.api_url(), "SLACK_APP_TOKEN=" + test::fake_app_token(),
                                 "SLACK_BOT_TOKEN=" + test::fake_bot_token(), "VIGIL_DB=" + (dir / "v.db").string()},
                                log);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid, 10s), 2);
  EXPECT_NE(test::read_file(log).find("invalid_auth"), std::string::npos);
}

}  // namespace
}  // namespace vigil::slack
