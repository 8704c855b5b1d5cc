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

extern char** environ;

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

pid_t start_vigil(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                  const std::string& log_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    if (kv.rfind("SLACK_", 0) != 0 && kv.rfind("VIGIL_", 0) != 0) {
      env_strings.push_back(kv);
    }
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{test::vigil_binary().string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

TEST(VigilServe, ConnectsAcksASlashCommandAndStopsCleanlyOnSigterm) {
  test::TempDir dir;
  SlackEmulator emu;
  emu.start();
  const auto log = (dir / "vigil.log").string();
  const pid_t pid = start_vigil({"serve"},
                                {"SLACK_API_URL=" + emu.api_url(),
                                 "SLACK_APP_TOKEN=" + test::fake_app_token(),
                                 "SLACK_BOT_TOKEN=" + test::fake_bot_token(),
                                 "VIGIL_DB=" + (dir / "v.db").string(), "VIGIL_LOG_LEVEL=debug"},
                                log);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(emu.wait_for_connections(2, 10s)) << test::read_file(log);
  auto envelope = json::parse(
      test::read_file(test::fixtures_dir() / "slack" / "socket_mode" / "slash_commands_envelope.json"));
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
                                {"SLACK_API_URL=" + emu.api_url(),
                                 "SLACK_APP_TOKEN=" + test::fake_app_token(),
                                 "SLACK_BOT_TOKEN=" + test::fake_bot_token(),
                                 "VIGIL_DB=" + (dir / "v.db").string()},
                                log);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid, 10s), 2);
  EXPECT_NE(test::read_file(log).find("invalid_auth"), std::string::npos);
}

}  // namespace
}  // namespace vigil::slack
