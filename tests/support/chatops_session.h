#pragma once

// The real `vigil serve` binary against the Slack emulator, with helpers that send envelopes of the
// shapes Slack sends and read back what people would see (posts, private replies, database rows).

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/store/store.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/slack_harness.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil::test {

class ChatOpsSession {
 public:
  using json = nlohmann::json;

  /// `config_yaml` is written to vigil.yaml (empty: the one written before is kept); `{dir}` in it
  /// becomes the session's directory.
  void start(std::string config_yaml) {
    if (config_yaml.empty()) {
      config_yaml = read_file(dir_ / "vigil.yaml");
    }
    for (auto at = config_yaml.find("{dir}"); at != std::string::npos; at = config_yaml.find("{dir}")) {
      config_yaml.replace(at, 5, dir_.path().string());
    }
    write_file(dir_ / "vigil.yaml", config_yaml);
    if (!emu_started_) {
      emu_.start();
      emu_started_ = true;
    }
    pid_ = start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve"},
                       {"SLACK_API_URL=" + emu_.api_url(), "SLACK_APP_TOKEN=" + fake_app_token(),
                        "SLACK_BOT_TOKEN=" + fake_bot_token()},
                       log_path());
    ASSERT_GT(pid_, 0);
    ++starts_;
    ASSERT_TRUE(eventually([&] { return emu_.connections().size() >= 2 && emu_.connections_accepted() >= starts_ * 2; },
                           std::chrono::seconds(15)))
        << log();
  }
  /// SIGTERM and wait; the exit code (-1 when it was not running or did not end within `wait`).
  int stop(std::chrono::seconds wait = std::chrono::seconds(20)) {
    int code = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      code = wait_exit(pid_, wait);
      pid_ = -1;
    }
    return code;
  }
  /// Still running: not exited, not killed by a signal. Otherwise says how it ended, with the log.
  ::testing::AssertionResult running() {
    if (pid_ <= 0) {
      return ::testing::AssertionFailure() << "vigil is not running";
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) {
      return ::testing::AssertionSuccess();
    }
    pid_ = -1;
    if (r > 0 && WIFSIGNALED(status)) {
      return ::testing::AssertionFailure() << "vigil died of signal " << WTERMSIG(status) << "\n" << log();
    }
    const int code = r > 0 ? WEXITSTATUS(status) : -1;
    return ::testing::AssertionFailure() << "vigil exited with " << code << "\n" << log();
  }
  ~ChatOpsSession() { stop(); }

  slack::SlackEmulator& emulator() { return emu_; }
  const TempDir& dir() const { return dir_; }
  std::string log_path() const { return (dir_ / "vigil.log").string(); }
  std::string log() const { return read_file(log_path()); }

  /// Sends an envelope and expects its ack within Slack's 3 seconds.
  std::string send(json envelope) {
    const auto id = emu_.send_envelope(std::move(envelope));
    const auto ack = emu_.wait_for_ack(id, std::chrono::seconds(3));
    EXPECT_TRUE(ack) << "not acked within Slack's 3 seconds";
    if (ack) {
      last_ack_ = ack->payload;
    }
    return id;
  }
  std::string slash(const std::string& command, const std::string& text, const std::string& user,
                    const std::string& channel, const std::string& channel_name = "incidents") {
    return send(slash_envelope(command, text, user, channel, channel_name));
  }
  /// A slash command's envelope as Slack sends it, with its own envelope id and response_url.
  json slash_envelope(const std::string& command, const std::string& text, const std::string& user,
                      const std::string& channel, const std::string& channel_name = "incidents") {
    const auto n = std::to_string(++counter_);
    return {{"envelope_id", "env-cmd-" + n},
            {"type", "slash_commands"},
            {"accepts_response_payload", true},
            {"payload",
             {{"command", command},
              {"text", text},
              {"user_id", user},
              {"user_name", "u"},
              {"channel_id", channel},
              {"channel_name", channel_name},
              {"team_id", "T1"},
              {"response_url", emu_.response_url("cmd-" + n)},
              {"trigger_id", "trig-" + n}}}};
  }
  std::string click(const std::string& action_id, const std::string& value, const std::string& user,
                    const std::string& channel) {
    const auto n = std::to_string(++counter_);
    return send({{"envelope_id", "env-click-" + n},
                 {"type", "interactive"},
                 {"accepts_response_payload", true},
                 {"payload",
                  {{"type", "block_actions"},
                   {"user", {{"id", user}, {"username", "u"}, {"team_id", "T1"}}},
                   {"team", {{"id", "T1"}}},
                   {"channel", {{"id", channel}, {"name", "incidents"}}},
                   {"container", {{"type", "message"}, {"message_ts", "1.1"}, {"channel_id", channel}}},
                   {"trigger_id", "trig-" + n},
                   {"response_url", emu_.response_url("click-" + n)},
                   {"actions", json::array({{{"action_id", action_id},
                                             {"block_id", "b"},
                                             {"value", value},
                                             {"type", "button"},
                                             {"action_ts", "1700000000." + n}}})}}}});
  }
  const json& last_ack() const { return last_ack_; }

  /// The approval tokens on every card posted so far.
  std::vector<std::string> approval_tokens() const {
    std::vector<std::string> out;
    for (const auto& c : emu_.calls("chat.postMessage")) {
      for (const auto& b : c.args.value("blocks", json::array())) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("action_id", "") == "approval.approve") {
            out.push_back(e.value("value", ""));
          }
        }
      }
    }
    return out;
  }
  /// Every private answer (response_url posts and ephemeral messages), one per line.
  std::string responses() const {
    std::string out;
    for (const auto& [id, body] : emu_.response_posts()) {
      out += id + ": " + body.dump() + "\n";
    }
    for (const auto& c : emu_.calls("chat.postEphemeral")) {
      out += "ephemeral: " + c.args.dump() + "\n";
    }
    return out;
  }
  /// Every chat.postMessage and chat.update, one per line.
  std::string posts() const {
    std::string out;
    for (const auto& c : emu_.calls()) {
      if (c.method == "chat.postMessage" || c.method == "chat.update") {
        out += c.method + ": " + c.args.dump() + "\n";
      }
    }
    return out;
  }
  std::unique_ptr<Store> store() const {
    auto s = Store::open((dir_ / "v.db").string());
    return s ? std::move(*s) : nullptr;
  }

 private:
  TempDir dir_;
  slack::SlackEmulator emu_;
  bool emu_started_ = false;
  pid_t pid_ = -1;
  int starts_ = 0;
  int counter_ = 0;
  json last_ack_;
};

}  // namespace vigil::test
