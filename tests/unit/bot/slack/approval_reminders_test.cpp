// When an undecided approval card reminds its approvers, and what the reminder says.
#include <gtest/gtest.h>

#include "bot/slack/slack_approval_gate.h"

namespace vigil {
namespace {

TEST(ApprovalReminders, AfterFiveMinutesAndFiveMinutesBeforeExpiry) {
  EXPECT_EQ(approval_reminder_times(1000, 1000 + 1800), (std::vector<long long>{1300, 2500}));
  EXPECT_EQ(approval_reminder_times(0, 3600), (std::vector<long long>{300, 3300}));
}

TEST(ApprovalReminders, ShortLivesRemindAtTwentyPercentBeforeExpiry) {
  // 10 minutes: after 5, and 2 minutes (20%) before the end.
  EXPECT_EQ(approval_reminder_times(0, 600), (std::vector<long long>{300, 480}));
  // 5 minutes: the first would fall on the expiry; only the one a minute before.
  EXPECT_EQ(approval_reminder_times(0, 300), (std::vector<long long>{240}));
  // 6 minutes: 300 then 360-72=288 would come first: only the first.
  EXPECT_EQ(approval_reminder_times(0, 360), (std::vector<long long>{300}));
  EXPECT_TRUE(approval_reminder_times(100, 100).empty());
  EXPECT_TRUE(approval_reminder_times(100, 50).empty());
}

TEST(ApprovalReminders, TextMentionsTheApproversAndLinksTheCard) {
  const auto link = slack_message_link("C0ALERTS", "1800000000.000200", "1800000000.000100");
  EXPECT_EQ(link, "https://slack.com/archives/C0ALERTS/p1800000000000200?thread_ts=1800000000.000100&cid=C0ALERTS");
  const auto first = approval_reminder_text("<@U0ONCALL01> <!subteam^S0SRE>", 300, link, "08:30 UTC", false);
  EXPECT_EQ(first,
            ":bell: <@U0ONCALL01> <!subteam^S0SRE>: an approval has waited 5 min for a decision "
            "(<https://slack.com/archives/C0ALERTS/p1800000000000200?thread_ts=1800000000.000100&amp;cid=C0ALERTS"
            "|the card>). It expires at 08:30 UTC.");
  const auto last = approval_reminder_text("<@U0ONCALL01>", 1500, link, "08:30 UTC", true);
  EXPECT_NE(last.find("expires at 08:30 UTC without a decision"), std::string::npos) << last;
  EXPECT_NE(approval_reminder_text("", 300, "", "x", false).find("Approvers: "), std::string::npos);
  EXPECT_EQ(slack_message_link("C1", "1.2", ""), "https://slack.com/archives/C1/p12");
}

}  // namespace
}  // namespace vigil
