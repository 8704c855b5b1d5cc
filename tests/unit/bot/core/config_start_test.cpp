// `start:` (who may start work, and how often) and `channels[].start`: read, checked at their place
// in the file, and shown by `vigil config show`.
#include <gtest/gtest.h>

#include "bot/core/config.h"

namespace vigil {
namespace {

std::string all(const ConfigLoad& load) {
  std::string out;
  for (const auto& d : load.errors) {
    out += d.to_string() + "\n";
  }
  for (const auto& d : load.warnings) {
    out += d.to_string() + " (warning)\n";
  }
  return out;
}

TEST(ConfigStart, NothingSetLetsEveryoneStartAndLimitsOnlyAgentRuns) {
  const auto load = load_config("", {});
  ASSERT_TRUE(load.ok());
  const auto& s = load.config.start;
  EXPECT_FALSE(s.who.triage.restricted());
  EXPECT_FALSE(s.who.runbook.restricted());
  EXPECT_FALSE(s.who.agent.restricted());
  EXPECT_EQ(s.agent.per_user.burst, 5);
  EXPECT_EQ(s.agent.per_user.every, std::chrono::minutes(5));
  EXPECT_EQ(s.agent.per_channel.burst, 10);
  EXPECT_FALSE(s.runbook.per_user.enabled());
  EXPECT_FALSE(s.runbook.per_channel.enabled());
}

TEST(ConfigStart, ReadsGlobalRulesChannelRulesAndLimits) {
  const std::string yaml =
      "start:\n"
      "  triage: {groups: [S0ONCALL1]}\n"
      "  agent: {users: [U0ALICE01], groups: [S0SRE0001]}\n"
      "  limits:\n"
      "    agent: {per_user: {burst: 2, every: 10m}, per_channel: off}\n"
      "    runbook: {per_user: {burst: 20, every: 1m}}\n"
      "channels:\n"
      "  - id: C0INCIDENT\n"
      "    start:\n"
      "      runbook: {users: [U0BOB0001]}\n";
  const auto load = load_config_text(yaml, "s.yaml", {});
  ASSERT_TRUE(load.ok()) << all(load);
  EXPECT_TRUE(load.warnings.empty()) << all(load);
  const auto& s = load.config.start;
  EXPECT_EQ(s.who.triage.groups, std::vector<std::string>{"S0ONCALL1"});
  EXPECT_EQ(s.who.agent.users, std::vector<std::string>{"U0ALICE01"});
  EXPECT_EQ(s.agent.per_user.burst, 2);
  EXPECT_EQ(s.agent.per_user.every, std::chrono::minutes(10));
  EXPECT_FALSE(s.agent.per_channel.enabled());
  EXPECT_EQ(s.runbook.per_user.burst, 20);
  ASSERT_EQ(load.config.channels.size(), 1u);
  EXPECT_EQ(load.config.channels[0].start.runbook.users, std::vector<std::string>{"U0BOB0001"});
  EXPECT_FALSE(load.config.channels[0].start.triage.restricted());

  const auto shown = render_config(load.config);
  EXPECT_NE(shown.find("start:\n  triage:\n    users: []\n    groups: [S0ONCALL1]"), std::string::npos) << shown;
  EXPECT_NE(shown.find("per_user: {burst: 2, every: 600s}\n      per_channel: off"), std::string::npos) << shown;
  EXPECT_NE(shown.find("    start:\n      runbook:\n        users: [U0BOB0001]"), std::string::npos) << shown;
}

TEST(ConfigStart, BadValuesAreReportedAtTheirPlace) {
  const std::string yaml =
      "start:\n"
      "  agent: {users: ['@alice'], groups: [U0ALICE01]}\n"
      "  limits:\n"
      "    runbook: {per_user: {burst: 3}}\n"
      "    agent: {per_user: {burst: -1, every: 5m}}\n"
      "channels:\n"
      "  - id: C0INCIDENT\n"
      "    start: {triage: {groups: [sre]}, everyone: true}\n";
  const auto load = load_config_text(yaml, "b.yaml", {});
  const auto text = all(load);
  EXPECT_NE(text.find("b.yaml:2:19: start.agent.users: "), std::string::npos) << text;
  EXPECT_NE(text.find("b.yaml:2:39: start.agent.groups: "), std::string::npos) << text;
  EXPECT_NE(text.find("b.yaml:4:25: start.limits.runbook.per_user.every: a limit with a burst needs a pace"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("b.yaml:5:31: start.limits.agent.per_user.burst: "), std::string::npos) << text;
  EXPECT_NE(text.find("b.yaml:8:31: channels[0].start.triage.groups: "), std::string::npos) << text;
  EXPECT_NE(text.find("b.yaml:8:38: channels[0].start.everyone: unknown key (warning)"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil
