// The on-call line of an approval card: who is on call, an older answer, a failing lookup.
#include <gtest/gtest.h>

#include "integrations/slack/blocks.h"

namespace vigil::slack::blocks {
namespace {

ApprovalView card() {
  ApprovalView v;
  v.run_id = "0123456789abcdef";
  v.step = "restart-api / restart";
  v.argv = {"kubectl", "rollout", "restart", "deployment/api"};
  v.risk = "medium";
  v.requester = "U0REQUESTER";
  v.expires_at = "2026-11-22 04:30 UTC";
  v.token = std::string(32, 'a');
  return v;
}

TEST(BlocksOnCall, CardWithoutOnCallHasNoLine) {
  EXPECT_EQ(approval_card(card()).blocks.dump().find(":pager:"), std::string::npos);
}

TEST(BlocksOnCall, OnCallNowIsMentionedAboveTheButtons) {
  auto v = card();
  v.on_call = OnCallView{"PagerDuty", {"U0ONCALL1", "U0ONCALL2"}, "", false};
  const auto m = approval_card(v);
  const auto& blocks = m.blocks;
  ASSERT_GE(blocks.size(), 2u);
  EXPECT_EQ(blocks.back()["type"], "actions");
  const auto line = blocks[blocks.size() - 2].dump();
  EXPECT_NE(line.find("On call now in PagerDuty: <@U0ONCALL1>, <@U0ONCALL2>"), std::string::npos) << line;
}

TEST(BlocksOnCall, AnOlderAnswerSaysSoAndAFailedLookupSaysWhoCanApprove) {
  EXPECT_EQ(on_call_line({"OpsGenie", {"U0ONCALL1"}, "2026-11-22 03:10 UTC", false}),
            ":pager: On call now in OpsGenie (as of 2026-11-22 03:10 UTC): <@U0ONCALL1>. They can approve, as can "
            "the configured approvers.");
  EXPECT_EQ(on_call_line({"PagerDuty", {}, "", true}),
            ":warning: The PagerDuty on-call lookup is failing: only the configured approvers can approve right now.");
  EXPECT_NE(on_call_line({"PagerDuty", {}, "", false}).find("Nobody on call in PagerDuty"), std::string::npos);
}

TEST(BlocksOnCall, ManyPeopleAreCut) {
  std::vector<std::string> users;
  for (int i = 0; i < 14; ++i) {
    users.push_back("U0PERSON" + std::to_string(10 + i));
  }
  const auto line = on_call_line({"PagerDuty", users, "", false});
  EXPECT_NE(line.find("and 4 more"), std::string::npos) << line;
  EXPECT_EQ(line.find("U0PERSON23"), std::string::npos);
}

}  // namespace
}  // namespace vigil::slack::blocks
