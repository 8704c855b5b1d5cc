// End to end, the evidence trail as a person follows it: a step's cut output in the thread with a
// Full output button; the click uploads the whole output, redacted, as a file in the run's thread;
// a click from elsewhere is refused; `vigil runs show --full` prints the same.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kChannel = "C0INC";
constexpr const char* kRequester = "U0REQ";
constexpr const char* kStranger = "U0STRANGER";

class Trail : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kChannel, "inc-api");
    emu_.add_channel("C0OTHER", "random");
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_trail").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n");
  }

  // The Full output button under the thread line of `step`, once it is there.
  std::optional<json> full_output_button(const std::string& step) {
    for (const auto& m : emu_.messages(kChannel)) {
      for (const auto& b : m.blocks.is_array() ? m.blocks : json::array()) {
        for (const auto& e : b.value("elements", json::array())) {
          if (e.value("type", "") == "button" && e["text"].value("text", "") == "Full output: " + step) {
            return e;
          }
        }
      }
    }
    return std::nullopt;
  }
  bool audit_has(const std::string& action, const std::string& actor) {
    auto s = session_.store();
    for (const auto& a : s->list_audit("", 10000)) {
      if (a.action == action && a.actor == actor) {
        return true;
      }
    }
    return false;
  }

  test::ChatOpsSession session_;
  slack::SlackEmulator& emu_ = session_.emulator();
};

TEST_F(Trail, FullOutputButtonUploadsTheWholeRedactedOutputToTheThread) {
  session_.slash("/triage", "long logs please", kRequester, kChannel, "inc-api");
  std::optional<json> button;
  ASSERT_TRUE(test::eventually([&] { return (button = full_output_button("logs")).has_value(); }, 20s))
      << session_.log() << session_.posts();
  auto store = session_.store();
  const auto runs = store->list_runs(10);
  ASSERT_EQ(runs.size(), 1u);
  const auto run = runs[0];
  // The thread shows the start, says how much there is and where the rest is.
  const auto posts = session_.posts();
  EXPECT_NE(posts.find("line 1 password=[REDACTED]"), std::string::npos) << posts;
  EXPECT_NE(posts.find("bytes in all; the Full output button or `vigil runs show " + run.id.substr(0, 8) +
                       " --full` has the rest)"),
            std::string::npos)
      << posts;
  EXPECT_EQ(posts.find("hunter2"), std::string::npos);
  const auto action_id = (*button)["action_id"].get<std::string>();
  const auto value = (*button)["value"].get<std::string>();

  // A click from another channel (a forged or copied value) shares nothing.
  session_.click(action_id, value, kStranger, "C0OTHER");
  ASSERT_TRUE(test::eventually([&] {
    return session_.responses().find("shared only in the run's own channel") != std::string::npos;
  })) << session_.responses();
  EXPECT_TRUE(emu_.files().empty());
  EXPECT_TRUE(audit_has("step.output_refused", kStranger));

  // Someone in the run's channel clicks: the whole output, redacted, as a file in the run's thread.
  session_.click(action_id, value, kRequester, kChannel);
  ASSERT_TRUE(test::eventually([&] {
    const auto files = emu_.files();
    return files.size() == 1 && files[0].shared;
  })) << session_.log();
  const auto file = emu_.files()[0];
  EXPECT_EQ(file.channel, kChannel);
  EXPECT_EQ(file.thread_ts, run.thread_ts);
  EXPECT_EQ(file.name, run.id.substr(0, 8) + "-1-logs.txt");
  EXPECT_EQ(file.title, "Full output of logs (run " + run.id.substr(0, 8) + ")");
  EXPECT_EQ(file.content.rfind("=== long-logs/logs (succeeded, exit 0) ===\n$ seq -f ", 0), 0u)
      << file.content.substr(0, 200);
  EXPECT_NE(file.content.find("\nline 1 password=[REDACTED]\n"), std::string::npos);
  EXPECT_NE(file.content.find("\nline 3000 password=[REDACTED]\n"), std::string::npos) << "all of it";
  EXPECT_EQ(file.content.find("hunter2"), std::string::npos) << "redacted";
  bool introduced = false;
  for (const auto& m : emu_.messages(kChannel)) {
    introduced = introduced || (m.thread_ts == run.thread_ts && m.file_ids == std::vector<std::string>{file.id} &&
                                m.text.find("asked for by <@U0REQ>") != std::string::npos);
  }
  EXPECT_TRUE(introduced) << session_.posts();
  EXPECT_TRUE(audit_has("step.output_shared", kRequester));
  ASSERT_EQ(emu_.calls("files.getUploadURLExternal").size(), 1u);
  EXPECT_EQ(emu_.calls("files.getUploadURLExternal")[0].args.value("length", ""), std::to_string(file.content.size()));

  // A second click at once shares nothing new.
  session_.click(action_id, value, kRequester, kChannel);
  ASSERT_TRUE(test::eventually([&] { return session_.responses().find("was just shared") != std::string::npos; }))
      << session_.responses();
  EXPECT_EQ(emu_.files().size(), 1u);

  // The terminal has the same.
  const auto shown =
      test::run_process({test::vigil_binary().string(), "--config", (session_.dir() / "vigil.yaml").string(), "runs",
                         "show", run.id.substr(0, 8), "--full"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("line 3000 password=[REDACTED]"), std::string::npos) << shown.out.substr(0, 2000);
  EXPECT_EQ(shown.out.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace vigil
