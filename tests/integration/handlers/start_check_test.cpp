// Who may start work, and how often, through the handlers with a real HandlerContext (the run
// manager over a SQLite file, user groups and private replies through the Slack emulator, time a
// FakeClock): a person the rules do not name gets a private reply saying who may, an audit row, and
// no run; a person over the rate limit gets when to try again; `/triage status` shows what is left.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "handlers/incident_message_handler.h"
#include "handlers/slash_command_handler.h"
#include "tests/support/handler_harness.h"

namespace vigil::handlers {
namespace {

using test::HandlerHarness;

constexpr const char* kBot = "U0VIGILBOT";
constexpr const char* kMember = "U0MEMBER01";
constexpr const char* kOutsider = "U0OUTSIDE1";
constexpr const char* kSre = "S0SRE0001";

/// The parameters fixture's skill, restricted to `start_yaml` (appended to its file).
std::string restricted_skill_dir(const test::TempDir& dir, const std::string& start_yaml) {
  std::ifstream in(test::fixtures_dir() / "skills_params" / "pod-crashloop.yaml");
  std::stringstream text;
  text << in.rdbuf() << start_yaml;
  const auto folder = dir / "skills";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "pod-crashloop.yaml") << text.str();
  return folder.string();
}

class StartCheckTest : public ::testing::Test {
 protected:
  explicit StartCheckTest(const std::function<void(Config&)>& adjust) : h_(adjust) {
    h_.emulator.add_usergroup(kSre, {kMember});
  }

  std::vector<std::string> command(const std::string& name, const std::string& text, const std::string& user) {
    const auto before = h_.replies().size();
    SlashCommandHandler handler(*h_.context);
    EXPECT_TRUE(h_.run(handler.handle(h_.slash(name, text, user))));
    const auto all = h_.replies();
    return {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()};
  }
  std::size_t runs() { return h_.store->list_runs(100).size(); }

  test::TempDir skills_;
  HandlerHarness h_;
};

/// kChannel lets only the SRE group start a triage; agent runs are limited to one per person.
class TriageRulesTest : public StartCheckTest {
 protected:
  TriageRulesTest()
      : StartCheckTest([](Config& c) {
          c.channels[0].start.triage.groups = {kSre};
          c.start.agent.per_user = {1, std::chrono::minutes(10)};
        }) {}
};

TEST_F(TriageRulesTest, SomeoneOutsideTheGroupIsToldPrivatelyWhoMayAndNothingStarts) {
  const auto replies = command("/triage", "checkout 5xx", kOutsider);
  EXPECT_EQ(replies, std::vector<std::string>{":no_entry: Only anyone in <!subteam^S0SRE0001> may start a triage in "
                                              "this channel. Nothing was started."});
  EXPECT_EQ(runs(), 0u);
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>({"run.requested", "run.start_refused"}));
  EXPECT_TRUE(h_.posts().empty()) << "nothing in the channel: the refusal is private";
}

TEST_F(TriageRulesTest, AMemberOfTheGroupStartsIt) {
  const auto replies = command("/triage", "checkout 5xx", kMember);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].rfind(":hourglass: Run `", 0), 0u) << replies[0];
  EXPECT_EQ(runs(), 1u);
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>{"run.requested"});
}

TEST_F(TriageRulesTest, AMentionFromSomeoneOutsideTheGroupIsRefusedPrivately) {
  AlertIntake intake(*h_.store, *h_.runs, h_.clock);
  IncidentMessageHandler handler(*h_.context, intake, kBot);
  slack::MessageEvent m;
  m.kind = slack::MessageKind::AppMention;
  m.event_id = "Ev1";
  m.channel = HandlerHarness::kChannel;
  m.channel_type = "channel";
  m.user = kOutsider;
  m.text = "<@" + std::string(kBot) + "> investigate checkout errors";
  m.ts = "1800000000.000100";
  EXPECT_TRUE(h_.run(handler.handle(m)));
  EXPECT_EQ(h_.replies(), std::vector<std::string>{":no_entry: Only anyone in <!subteam^S0SRE0001> may start a "
                                                   "triage in this channel. Nothing was started."});
  EXPECT_EQ(runs(), 0u);
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>({"run.requested", "run.start_refused"}));
}

TEST_F(TriageRulesTest, AGroupSlackCannotListIsRefusedNotWaivedThrough) {
  h_.emulator.fail_next("usergroups.users.list", "internal_error");
  const auto replies = command("/triage", "checkout 5xx", kMember);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("Slack did not say who is in <!subteam^S0SRE0001>"), std::string::npos) << replies[0];
  EXPECT_EQ(runs(), 0u);
}

/// Agent runs in kChannel: two per person, then one more every 10 minutes; three per channel.
class AgentLimitTest : public StartCheckTest {
 protected:
  AgentLimitTest()
      : StartCheckTest([](Config& c) {
          c.channels[0].backend = "command";
          c.agent.command = {"true"};
          c.start.agent.per_user = {2, std::chrono::minutes(10)};
          c.start.agent.per_channel = {3, std::chrono::minutes(2)};
        }) {}
};

TEST_F(AgentLimitTest, APersonOverTheLimitIsToldWhenTheyCanGoAgainAndStatusShowsWhatIsLeft) {
  EXPECT_EQ(command("/triage", "status", kMember)[0],
            "No active runs in this channel.\n*Limits on agent runs*: you 2 of 2 left (one more every 10m); this "
            "channel 3 of 3 left (one more every 2m).");
  command("/triage", "checkout 5xx", kMember);
  command("/triage", "payments 5xx", kMember);
  h_.clock.advance(std::chrono::minutes(1));
  const auto limited = command("/triage", "search 5xx", kMember);
  EXPECT_EQ(limited, std::vector<std::string>{":hourglass_flowing_sand: You have reached the limit on agent runs (2 "
                                              "at once, then one more every 10m). Try again in 9m. Nothing was "
                                              "started."});
  EXPECT_EQ(runs(), 2u);
  EXPECT_EQ(h_.audit_actions(),
            std::vector<std::string>({"run.requested", "run.requested", "run.requested", "run.rate_limited"}));
  const auto status = command("/triage", "status", kMember);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_NE(status[0].find("*Limits on agent runs*: you 0 of 2 left (one more every 10m); this channel 1 of 3 left "
                           "(one more every 2m)."),
            std::string::npos)
      << status[0];
  // Someone else still may, until the channel's bucket is empty too.
  command("/triage", "db latency", kOutsider);
  const auto channel_limited = command("/triage", "db latency again", kOutsider);
  ASSERT_EQ(channel_limited.size(), 1u);
  EXPECT_EQ(channel_limited[0].rfind(":hourglass_flowing_sand: This channel has reached the limit on agent runs", 0),
            0u)
      << channel_limited[0];
  h_.clock.advance(std::chrono::minutes(9));
  const auto again = command("/triage", "search 5xx", kMember);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].rfind(":hourglass: Run `", 0), 0u) << again[0];
}

/// The pod-crashloop skill may be started by kMember's group only; runbook runs are not limited.
class SkillRuleTest : public StartCheckTest {
 protected:
  SkillRuleTest()
      : StartCheckTest([this](Config& c) {
          c.skills.dirs = {restricted_skill_dir(skills_, "start:\n  groups: [S0SRE0001]\n")};
        }) {}
};

TEST_F(SkillRuleTest, ARunbookRunOfARestrictedSkillIsRefusedToOthersAndStartedForAMember) {
  const auto refused = command("/runbook", "run pod-crashloop namespace=prod pod=api-1", kOutsider);
  EXPECT_EQ(refused, std::vector<std::string>{":no_entry: Only anyone in <!subteam^S0SRE0001> may run the runbook "
                                              "`pod-crashloop`. Nothing was started."});
  EXPECT_EQ(runs(), 0u);
  const auto started = command("/runbook", "run pod-crashloop namespace=prod pod=api-1", kMember);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].rfind(":rocket: Running `pod-crashloop`", 0), 0u) << started[0];
  EXPECT_EQ(runs(), 1u);
  EXPECT_EQ(h_.audit_actions(), std::vector<std::string>({"run.requested", "run.start_refused", "run.requested"}));
  EXPECT_EQ(command("/triage", "status", kMember)[0].find("runbook runs"), std::string::npos)
      << "no runbook limits configured, none shown";
}

}  // namespace
}  // namespace vigil::handlers
