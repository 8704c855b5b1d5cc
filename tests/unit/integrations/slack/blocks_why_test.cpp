// The diagnosis on a run's root message and the "Why this fix" section of an approval card.
#include <gtest/gtest.h>

#include "integrations/slack/blocks.h"

namespace vigil::slack::blocks {
namespace {

std::string all_text(const Message& m) {
  return m.blocks.dump();
}

ApprovalView card() {
  ApprovalView a;
  a.run_id = "6f1c2d3e-0000-4000-8000-000000000001";
  a.step = "Restart the owning deployment";
  a.argv = {"kubectl", "rollout", "restart", "deployment/checkout", "-n", "demo"};
  a.dry_run_output = "deployment.apps/checkout restarted (server dry run)";
  a.risk = "medium";
  a.requester = "U0123ABCD";
  a.expires_at = "2026-11-22 03:41 UTC";
  a.token = "q3VbT0kq2m9yWJr1xk3d8A";
  return a;
}

TEST(BlocksWhy, TheRootLeadsWithTheDiagnosis) {
  RunView run{"6f1c2d3e-0000-4000-8000-000000000001",
              "awaiting_approval",
              "KubePodCrashLooping demo/checkout",
              "",
              "alertmanager",
              std::chrono::seconds(4),
              "tok"};
  run.diagnosis = "the container exits 1 (Error); its last log line: FATAL <corrupt> flag cache";
  const auto m = run_root(run);
  ASSERT_GE(m.blocks.size(), 2u);
  EXPECT_EQ(m.blocks[0]["type"], "header");
  EXPECT_EQ(m.blocks[1]["text"]["text"],
            ":stethoscope: *Diagnosis:* the container exits 1 (Error); its last log line: FATAL &lt;corrupt&gt; flag "
            "cache");
  run.diagnosis.clear();
  EXPECT_EQ(all_text(run_root(run)).find("Diagnosis"), std::string::npos);
}

TEST(BlocksWhy, TheCardSaysWhyBeforeTheCommand) {
  auto a = card();
  a.why = WhyView{"the container exits 1 (Error)",
                  {"Exit Code:    1", "FATAL refusing to start"},
                  {"latest rollout: revision 5 (image checkout:2.14.1), after revision 4"},
                  "`vigil runs show 6f1c2d3e`"};
  const auto m = approval_card(a);
  const auto why = m.blocks[2]["text"]["text"].get<std::string>();
  EXPECT_EQ(why.rfind("*Why this fix*\n:stethoscope: the container exits 1 (Error)\n```\nExit Code:    1\n", 0), 0u)
      << why;
  EXPECT_NE(why.find("• latest rollout: revision 5 (image checkout:2.14.1), after revision 4"), std::string::npos);
  EXPECT_NE(why.find("_Full output: the steps above in this thread, or `vigil runs show 6f1c2d3e`_"),
            std::string::npos);
  EXPECT_NE(m.blocks[3]["text"]["text"].get<std::string>().find("*Dry run*"), std::string::npos);
}

TEST(BlocksWhy, NoFindingSaysSoAndNoWhyShowsNothing) {
  auto a = card();
  a.why = WhyView{"", {}, {}, "`vigil runs show 6f1c2d3e`"};
  EXPECT_NE(all_text(approval_card(a)).find("No finding of this runbook matched"), std::string::npos);
  a.why.reset();
  EXPECT_EQ(all_text(approval_card(a)).find("Why this fix"), std::string::npos);
}

TEST(BlocksWhy, LongEvidenceStaysWithinTheSectionLimit) {
  auto a = card();
  a.why = WhyView{std::string(5000, 'd'), std::vector<std::string>(50, std::string(1000, 'e')),
                  std::vector<std::string>(10, std::string(1000, 'a')), "x"};
  const auto m = approval_card(a);
  for (const auto& b : m.blocks) {
    if (b.contains("text") && b["text"].contains("text")) {
      EXPECT_LE(b["text"]["text"].get<std::string>().size(), kMaxSectionText);
    }
  }
}

}  // namespace
}  // namespace vigil::slack::blocks
