// Who may start work: the rules that apply to a request and the decision for one person, without I/O.
#include "bot/core/start_policy.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

constexpr const char* kAlice = "U0ALICE01";
constexpr const char* kBob = "U0BOB0001";
constexpr const char* kSre = "S0SRE0001";

StartRequest triage(const std::string& backend, std::optional<ChannelBinding> binding = std::nullopt) {
  return {StartKind::Triage, backend, std::move(binding), nullptr};
}

TEST(StartPolicy, NothingConfiguredLetsEveryoneStartEverything) {
  const StartConfig start;
  skills::Skill skill;
  skill.id = "restart-web";
  EXPECT_TRUE(start_rules(start, triage("claude-code")).empty());
  EXPECT_TRUE(start_rules(start, {StartKind::Runbook, "runbook", std::nullopt, &skill}).empty());
  EXPECT_TRUE(decide_start({}, kBob, {}).allowed);
}

TEST(StartPolicy, AnAgentTriageMustPassTheTriageAndTheAgentRules) {
  StartConfig start;
  start.who.triage.groups = {kSre};
  start.who.agent.users = {kAlice};
  const auto rules = start_rules(start, triage("codex"));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].guards, "start a triage");
  EXPECT_EQ(rules[1].guards, "start agent runs");
  // A runbook-backend triage is no agent run.
  EXPECT_EQ(start_rules(start, triage("runbook")).size(), 1u);
}

TEST(StartPolicy, AChannelsRuleReplacesTheGlobalOneForThatKindOnly) {
  StartConfig start;
  start.who.triage.users = {kAlice};
  start.who.agent.users = {kAlice};
  ChannelBinding here;
  here.id = "C0INCIDENT";
  here.start.agent.users = {kBob};
  const auto rules = start_rules(start, triage("gemini", here));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].guards, "start a triage");
  EXPECT_EQ(rules[0].rule.users, std::vector<std::string>{kAlice});
  EXPECT_EQ(rules[1].guards, "start agent runs in this channel");
  EXPECT_EQ(rules[1].rule.users, std::vector<std::string>{kBob});
}

TEST(StartPolicy, ASkillsOwnRuleComesOnTopOfTheRunbookRule) {
  StartConfig start;
  start.who.runbook.groups = {kSre};
  skills::Skill skill;
  skill.id = "restart-web";
  skill.start.users = {kAlice};
  const auto rules = start_rules(start, {StartKind::Runbook, "runbook", std::nullopt, &skill});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].guards, "run runbooks");
  EXPECT_EQ(rules[1].guards, "run the runbook `restart-web`");
}

TEST(StartPolicy, OnlyGroupsOfRulesThatDoNotNameThePersonAreLookedUp) {
  StartConfig start;
  start.who.triage = {{kAlice}, {kSre}};
  start.who.agent = {{}, {kSre, "S0DBA0001"}};
  const auto rules = start_rules(start, triage("codex"));
  EXPECT_EQ(groups_to_check(rules, kAlice), std::vector<std::string>({kSre, "S0DBA0001"}));
  EXPECT_EQ(groups_to_check(rules, kBob), std::vector<std::string>({kSre, "S0DBA0001"}));
  EXPECT_TRUE(groups_to_check(start_rules(start, triage("runbook")), kAlice).empty());
}

TEST(StartPolicy, ARefusalSaysWhoMayAndThatNothingStarted) {
  StartConfig start;
  start.who.agent = {{kAlice}, {kSre}};
  const auto rules = start_rules(start, triage("claude-code"));
  const auto refused = decide_start(rules, kBob, {{kSre, false}});
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.reply,
            ":no_entry: Only <@U0ALICE01> or anyone in <!subteam^S0SRE0001> may start agent runs. Nothing was "
            "started.");
  EXPECT_EQ(refused.audit_detail, "may not start agent runs");
  EXPECT_TRUE(decide_start(rules, kBob, {{kSre, true}}).allowed) << "in the group";
  EXPECT_TRUE(decide_start(rules, kAlice, {}).allowed) << "named";
}

TEST(StartPolicy, AGroupSlackDidNotAnswerForRefusesAndSaysSo) {
  StartConfig start;
  start.who.triage.groups = {kSre};
  const auto refused = decide_start(start_rules(start, triage("runbook")), kBob, {{kSre, std::nullopt}});
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.reply,
            ":no_entry: Only anyone in <!subteam^S0SRE0001> may start a triage. Nothing was started. (Slack did "
            "not say who is in <!subteam^S0SRE0001>; try again in a minute.)");
}

TEST(StartPolicy, WhoMayListsUsersThenGroups) {
  EXPECT_EQ(who_may({{kAlice, kBob}, {kSre}}), "<@U0ALICE01>, <@U0BOB0001> or anyone in <!subteam^S0SRE0001>");
  EXPECT_EQ(who_may({{kAlice}, {}}), "<@U0ALICE01>");
}

}  // namespace
}  // namespace vigil
