// End to end: `vigil serve` against the Slack emulator with `start:` rules. Someone outside the
// group that may start a triage gets a private refusal naming who may, before anything else and
// with nothing posted in the channel; a member of the group then starts the run.
#include <gtest/gtest.h>

#include "tests/support/chatops_session.h"

namespace vigil {
namespace {

constexpr const char* kChannel = "C0INC";
constexpr const char* kMember = "U0MEMBER";
constexpr const char* kStranger = "U0STRANGER";

class StartRules : public ::testing::Test {
 protected:
  void SetUp() override {
    session_.emulator().add_channel(kChannel, "inc-api");
    session_.emulator().add_usergroup("S0SRE", {kMember});
    session_.start("channels:\n  - id: " + std::string(kChannel) +
                   "\n    backend: runbook\n    start:\n      triage: {groups: [S0SRE]}\n"
                   "skills:\n  dirs: [" +
                   (test::test_data_dir() / "fixtures" / "skills_chatops").string() +
                   "]\n"
                   "agent:\n  workspace_root: {dir}/ws\n  grace: 1s\n"
                   "storage:\n  database: {dir}/v.db\n");
  }
  std::size_t runs() { return session_.store()->list_runs(10).size(); }
  bool audited(const std::string& action, const std::string& actor) {
    for (const auto& a : session_.store()->list_audit("", 1000)) {
      if (a.action == action && a.actor == actor) {
        return true;
      }
    }
    return false;
  }

  test::ChatOpsSession session_;
};

TEST_F(StartRules, AStrangersTriageIsRefusedPrivatelyThenAMembersStarts) {
  session_.slash("/triage", "api is down since 14:02", kStranger, kChannel, "inc-api");
  ASSERT_TRUE(test::eventually([&] { return session_.responses().find(":no_entry:") != std::string::npos; }))
      << session_.responses() << session_.log();
  const auto refused = session_.responses();
  EXPECT_NE(refused.find("Only anyone in <!subteam^S0SRE> may start a triage in this channel. Nothing was started."),
            std::string::npos)
      << refused;
  EXPECT_EQ(runs(), 0u);
  EXPECT_TRUE(audited("run.start_refused", kStranger));
  EXPECT_TRUE(session_.posts().empty()) << "the refusal is private: " << session_.posts();

  session_.slash("/triage", "api is down since 14:02", kMember, kChannel, "inc-api");
  ASSERT_TRUE(test::eventually([&] { return session_.responses().find("Starting run") != std::string::npos; }))
      << session_.responses() << session_.log();
  const auto after = session_.responses();
  EXPECT_LT(after.find(":no_entry:"), after.find("Starting run")) << "in the order they were asked";
  EXPECT_EQ(runs(), 1u);
  EXPECT_TRUE(test::eventually([&] { return !session_.posts().empty(); })) << "the member's run posts its root";
  EXPECT_TRUE(session_.running());
}

}  // namespace
}  // namespace vigil
