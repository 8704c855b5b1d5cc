#include "integrations/slack/blocks.h"

#include <cstdlib>
#include <functional>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::slack::blocks {
namespace {

using nlohmann::json;

json as_json(const Message& m) {
  return json{{"text", m.text}, {"blocks", m.blocks}};
}

// Golden files in tests/golden/; VIGIL_UPDATE_GOLDEN=1 rewrites them (review the diff!).
void expect_golden(const std::string& name, const Message& m) {
  const auto path = test::test_data_dir() / "golden" / (name + ".json");
  const auto actual = as_json(m);
  if (std::getenv("VIGIL_UPDATE_GOLDEN")) {
    test::write_file(path, actual.dump(2) + "\n");
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing; run with VIGIL_UPDATE_GOLDEN=1";
  EXPECT_EQ(json::parse(test::read_file(path)), actual) << "golden " << name << " differs:\n" << actual.dump(2);
}

// Every limit of slack-protocol.md §4 that our builders can touch.
void expect_within_limits(const Message& m) {
  EXPECT_LE(m.text.size(), kMaxFallbackText);
  ASSERT_TRUE(m.blocks.is_array());
  EXPECT_LE(m.blocks.size(), kMaxBlocks);
  std::function<void(const json&, const std::string&)> walk = [&](const json& j, const std::string& parent) {
    if (j.is_object()) {
      const auto type = j.value("type", std::string());
      if (type == "button") {
        EXPECT_LE(j["text"]["text"].get<std::string>().size(), kMaxButtonText);
        EXPECT_LE(j["value"].get<std::string>().size(), kMaxValue);
        EXPECT_LE(j["action_id"].get<std::string>().size(), kMaxId);
      }
      if (type == "header") {
        EXPECT_LE(j["text"]["text"].get<std::string>().size(), kMaxHeaderText);
      }
      if (type == "context") {
        EXPECT_LE(j["elements"].size(), kMaxContextElements);
      }
      if (j.contains("block_id")) {
        EXPECT_LE(j["block_id"].get<std::string>().size(), kMaxId);
      }
      if ((type == "mrkdwn" || type == "plain_text") && j.contains("text")) {
        EXPECT_LE(j["text"].get<std::string>().size(), kMaxSectionText) << parent;
        EXPECT_FALSE(j["text"].get<std::string>().empty());
      }
      for (const auto& [k, v] : j.items()) {
        walk(v, parent + "/" + k);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) {
        walk(v, parent);
      }
    }
  };
  walk(m.blocks, "");
}

ApprovalView sample_approval() {
  ApprovalView a;
  a.run_id = "6f1c2d3e-0000-4000-8000-000000000001";
  a.step = "restart-deployment";
  a.argv = {"kubectl", "-n", "shop", "rollout", "restart", "deployment/checkout"};
  a.dry_run_output = "deployment.apps/checkout restarted (server dry run)";
  a.risk = "medium";
  a.requester = "U0123ABCD";
  a.expires_at = "2026-11-22 03:41 UTC";
  a.token = "q3VbT0kq2m9yWJr1xk3d8A";
  return a;
}

// A dry run that could not run is said in one line, where the result would be: what kubectl
// answered, not its whole output.
TEST(Blocks, ADryRunThatCouldNotRunIsOneLineSayingWhy) {
  auto a = sample_approval();
  a.dry_run_ok = false;
  a.dry_run_output =
      "I1207 12:00:00.000000 1 request.go:700] Waited for 1.0s\n"
      "Error from server (Forbidden): deployments.apps \"checkout\" is forbidden: User "
      "\"system:serviceaccount:vigil:vigil-readonly\" cannot patch resource \"deployments\" in API group \"apps\"\n"
      "more detail nobody reads\n";
  const auto text = approval_card(a).blocks.dump();
  EXPECT_NE(text.find(":warning: *The dry run could not run:* Error from server (Forbidden): deployments.apps"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("more detail nobody reads"), std::string::npos);
  EXPECT_EQ(text.find("*Dry run*"), std::string::npos);
  EXPECT_EQ(dry_run_failure_line("\n  only line  \n"), "only line");
  EXPECT_EQ(dry_run_failure_line(""), "no output");
  EXPECT_EQ(dry_run_failure_line(std::string(400, 'x')).size(), 300u);
}

// With several clusters the card says which one the command changes, in the header, the text
// above the command, the confirmation dialog and the notification; with one it says nothing.
TEST(Blocks, TheCardNamesTheClusterTheCommandChanges) {
  auto a = sample_approval();
  EXPECT_EQ(approval_card(a).blocks.dump().find("cluster"), std::string::npos);
  a.cluster = "prod-eu";
  const auto m = approval_card(a);
  const auto blocks = m.blocks.dump();
  EXPECT_EQ(m.blocks[0]["text"]["text"], "Approval needed: " + a.step + " on prod-eu");
  EXPECT_NE(blocks.find("This step *changes* something on cluster *prod-eu*. It runs exactly this command:"),
            std::string::npos)
      << blocks;
  EXPECT_NE(blocks.find("This runs on prod-eu: "), std::string::npos) << blocks;
  EXPECT_NE(m.text.find("Approval needed for " + a.step + " on prod-eu (medium risk)"), std::string::npos) << m.text;
  DecisionView d;
  d.approved = true;
  d.step = "Restart";
  d.by = "U1";
  d.at = "now";
  d.cluster = "prod-eu";
  EXPECT_NE(decision(d).blocks.dump().find("*Restart on prod-eu*"), std::string::npos);
}

TEST(Blocks, RunRootMatchesGolden) {
  RunView run{"6f1c2d3e-0000-4000-8000-000000000001",
              "running",
              "checkout p99 latency > 2s",
              "INC-42",
              "U0123ABCD",
              std::chrono::seconds(125),
              "cancel-token-1"};
  const auto m = run_root(run);
  expect_golden("run_root", m);
  expect_within_limits(m);
  EXPECT_EQ(m.blocks.back()["elements"][0]["value"], "cancel-token-1") << "only the token";
}

TEST(Blocks, FinishedRunHasNoCancelButton) {
  RunView run{"6f1c2d3e", "succeeded", "t", "", "alertmanager", std::chrono::seconds(4000), ""};
  const auto m = run_root(run);
  for (const auto& b : m.blocks) {
    EXPECT_NE(b["type"], "actions");
  }
  expect_golden("run_root_finished", m);
}

TEST(Blocks, AFinishedRunShowsWhatItCameToNotItsState) {
  RunView run{"6f1c2d3e", "succeeded", "api is down", "", "U0123ABCD", std::chrono::seconds(40), ""};
  run.result_icon = ":no_entry_sign:";
  run.result_label = "Fix denied, no change made";
  const auto m = run_root(run);
  EXPECT_EQ(m.text, "Triage run 6f1c2d3e: Fix denied, no change made — api is down");
  EXPECT_EQ(m.blocks[1]["text"]["text"], ":no_entry_sign: *Fix denied, no change made*");
  EXPECT_EQ(m.blocks.dump().find("succeeded"), std::string::npos) << m.blocks.dump();
}

TEST(Blocks, ProgressFindingsDecisionAndErrorMatchGolden) {
  expect_golden("progress", progress("kubectl get pods -n shop: 3 of 5 Running <CrashLoopBackOff>"));
  expect_golden("findings",
                findings("6f1c2d3e-0000", {{"critical", "checkout-7d9 is OOMKilled",
                                            "Last State: Terminated\n  Reason: OOMKilled\n  Exit Code: 137"},
                                           {"info", "node pool healthy", ""}}));
  expect_golden("decision_approved", decision({true,
                                               "restart-deployment",
                                               {"kubectl", "rollout", "restart", "deployment/checkout"},
                                               "U0123ABCD",
                                               "03:12 UTC",
                                               ""}));
  expect_golden("decision_denied",
                decision({false, "scale-up", {}, "U0999ZZZZ", "03:13 UTC", "not during the freeze"}));
  expect_golden("error", error("The agent failed", "exit code 2: permission denied"));
}

TEST(Blocks, ApprovalCardMatchesGoldenWithConfirmDialogAndExactArgv) {
  const auto m = approval_card(sample_approval());
  expect_golden("approval_card", m);
  expect_within_limits(m);
  const auto& actions = m.blocks.back();
  ASSERT_EQ(actions["type"], "actions");
  const auto& approve = actions["elements"][0];
  EXPECT_EQ(approve["action_id"], kActionApprove);
  EXPECT_EQ(approve["value"], "q3VbT0kq2m9yWJr1xk3d8A");
  EXPECT_TRUE(approve.contains("confirm"));
  EXPECT_EQ(actions["elements"][1]["action_id"], kActionDeny);
  EXPECT_NE(m.blocks[1]["text"]["text"].get<std::string>().find("kubectl -n shop rollout restart deployment/checkout"),
            std::string::npos);
}

TEST(Blocks, HugeInputsAreCutCleanlyWithinEveryLimit) {
  auto a = sample_approval();
  a.step = std::string(500, 's');
  a.argv = {"sh-free", std::string(10'000, 'a')};
  a.dry_run_output = std::string(20'000, 'x') + "<&>";
  a.token = std::string(3000, 't');
  a.expires_at = std::string(4000, 'e');
  const auto m = approval_card(a);
  expect_within_limits(m);
  const auto dry = m.blocks[2]["text"]["text"].get<std::string>();
  EXPECT_NE(dry.find("…(truncated)"), std::string::npos);
  EXPECT_EQ(dry.substr(dry.size() - 3), "```") << "the fence stays closed";

  std::vector<Finding> many;
  for (int i = 0; i < 120; ++i) {
    many.push_back({"warning", "finding " + std::to_string(i), std::string(5000, 'l')});
  }
  const auto f = findings("run", many);
  expect_within_limits(f);
  EXPECT_EQ(f.blocks.size(), kMaxBlocks);
  EXPECT_NE(f.blocks.back().dump().find("72 more not shown"), std::string::npos) << f.blocks.back().dump();
  expect_within_limits(run_root({"r", "running", std::string(1000, 'T'), std::string(4000, 'I'), std::string(300, 'U'),
                                 std::chrono::seconds(1), std::string(5000, 'c')}));
  expect_within_limits(progress(std::string(50'000, 'p')));
  expect_within_limits(error(std::string(5000, 'e'), std::string(50'000, 'd')));
}

TEST(Blocks, EscapesAndCutsOnBoundaries) {
  EXPECT_EQ(escape("a & b <c> d"), "a &amp; b &lt;c&gt; d");
  EXPECT_EQ(truncate("short", 10), "short");
  // Never half an entity, never half a UTF-8 character.
  const auto t = truncate("aaaa&amp;bbbb", 8, "…");
  EXPECT_EQ(t.find("&am"), std::string::npos) << t;
  const std::string euro = "€€€€€";  // 3 bytes each
  const auto cut = truncate(euro, 8, "");
  EXPECT_EQ(cut, "€€");
  EXPECT_EQ(display_argv({"kubectl", "annotate", "pod/x", "note=it's down"}),
            "kubectl annotate pod/x 'note=it'\\''s down'");
  EXPECT_EQ(code_block("x<y"), "```\nx&lt;y\n```");
}

TEST(Blocks, IncidentRootOpenAndResolvedMatchGolden) {
  IncidentView open{"0b9d4e1a-0000-4000-8000-000000000002",
                    "Checkout down for EU",
                    "sev1",
                    "open",
                    "U0IC00001",
                    "2026-11-22 03:04 UTC",
                    "",
                    "",
                    "",
                    "C0INC2"};
  const auto m = incident_root(open);
  expect_golden("incident_root", m);
  expect_within_limits(m);
  EXPECT_EQ(m.text, "Incident open: Checkout down for EU (0b9d4e1a)");
  auto resolved = open;
  resolved.state = "resolved";
  resolved.resolved_by = "U0IC00001";
  resolved.resolved_at = "2026-11-22 04:10 UTC";
  resolved.duration = "1h 6m";
  const auto r = incident_root(resolved);
  expect_golden("incident_root_resolved", r);
  expect_within_limits(r);
  EXPECT_NE(r.blocks.dump().find("resolved by <@U0IC00001> after 1h 6m"), std::string::npos);
  EXPECT_EQ(r.blocks.dump().find("/incident resolve"), std::string::npos) << "no hints once resolved";
}

std::size_t fences_in(const std::string& s) {
  std::size_t n = 0;
  for (auto at = s.find("```"); at != std::string::npos; at = s.find("```", at + 3)) {
    ++n;
  }
  return n;
}

TEST(Blocks, LongTextIsCutAtLineBreaksWithNothingLost) {
  std::string long_text;
  for (int i = 0; i < 120; ++i) {
    long_text += "line " + std::to_string(i) + ": " + std::string(50, 'x') + "\n";
  }
  const auto m = text(long_text);
  expect_within_limits(m);
  ASSERT_GE(m.blocks.size(), 3u);
  std::string joined;
  for (const auto& b : m.blocks) {
    const std::string t = b["text"]["text"];
    EXPECT_LE(t.size(), 3000u);
    joined += t;
  }
  EXPECT_EQ(joined, long_text);
  EXPECT_EQ(std::string(m.blocks[1]["text"]["text"]).rfind("\nline ", 0), 0u) << "cut at a line break";
}

// An agent's summary with kubectl output in a code block longer than one section: each section
// closes and reopens the block, so neither shows stray ``` or the rest of the summary as code.
TEST(Blocks, ACodeBlockCutBetweenSectionsStaysACodeBlockInEach) {
  std::string summary = "## Root cause\nThe pod ran out of memory:\n```\n";
  for (int i = 0; i < 120; ++i) {
    summary +=
        "checkout-7d9c8b6f5d-" + std::to_string(10000 + i) + "   0/1   OOMKilled   " + std::to_string(i) + "   3m\n";
  }
  summary += "```\nRaise the memory limit to 512Mi.\n";
  ASSERT_GT(summary.size(), 4000u);
  const auto m = text(summary);
  expect_within_limits(m);
  ASSERT_GE(m.blocks.size(), 2u);
  std::string lines;
  for (std::size_t i = 0; i < m.blocks.size(); ++i) {
    const std::string t = m.blocks[i]["text"]["text"];
    EXPECT_LE(t.size(), 3000u);
    EXPECT_EQ(fences_in(t) % 2, 0u) << "section " << i << ":\n" << t;
    if (i > 0) {
      EXPECT_EQ(t.rfind("```\n", 0), 0u) << "section " << i << " reopens the block";
    }
    if (i + 1 < m.blocks.size()) {
      EXPECT_EQ(t.substr(t.size() - 4), "\n```") << "section " << i << " closes the block";
    }
    lines += t;
  }
  const std::string last = m.blocks.back()["text"]["text"];
  EXPECT_NE(last.find("```\nRaise the memory limit to 512Mi."), std::string::npos) << last;
  for (int i = 0; i < 120; ++i) {
    EXPECT_NE(lines.find("checkout-7d9c8b6f5d-" + std::to_string(10000 + i) + " "), std::string::npos) << i;
  }
}

TEST(Blocks, DocumentSplitsOnLinesKeepsFencesAndCutsWithAPointer) {
  std::string body;
  for (int i = 0; i < 40; ++i) {
    body += "| 2026-11-22 03:04:05 | Tool call | agent | kubectl get pods -n prod <" + std::to_string(i) + "> |\n";
  }
  const auto small = document("Timeline of run 6f1c2d3e", body, "vigil runs show 6f1c2d3e");
  expect_within_limits(small);
  ASSERT_GE(small.blocks.size(), 2u);
  EXPECT_EQ(small.blocks[0]["type"], "header");
  std::string joined;
  for (std::size_t i = 1; i < small.blocks.size(); ++i) {
    const std::string text = small.blocks[i]["text"]["text"];
    EXPECT_EQ(text.rfind("```\n", 0), 0u) << text;
    EXPECT_EQ(text.substr(text.size() - 4), "\n```") << text;
    joined += text;
  }
  EXPECT_NE(joined.find("&lt;39&gt;"), std::string::npos) << "escaped, nothing lost";
  EXPECT_EQ(small.blocks.dump().find("too long"), std::string::npos);

  std::string huge;
  for (int i = 0; i < 5000; ++i) {
    huge += "| row " + std::to_string(i) + " | " + std::string(80, 'x') + " |\n";
  }
  huge += std::string(20000, 'y') + "\n";  // one absurd line
  const auto big = document("Timeline: storm", huge, "vigil incidents show 0b9d4e1a");
  expect_within_limits(big);
  EXPECT_EQ(big.blocks.size(), kMaxBlocks);
  EXPECT_NE(big.blocks.back().dump().find("vigil incidents show 0b9d4e1a"), std::string::npos);
}

TEST(Blocks, FullOutputButtonsFollowTheLinesAndCarryRunAndStep) {
  const auto m = text_with_full_output(":mag: describe_pod: output\n```text\nlots```",
                                       {{"describe_pod", "6f1c2d3e-0000-4000-8000-000000000001", 12},
                                        {"logs", "6f1c2d3e-0000-4000-8000-000000000001", 13}});
  ASSERT_EQ(m.blocks.size(), 2u);
  const auto& actions = m.blocks[1];
  EXPECT_EQ(actions["type"], "actions");
  ASSERT_EQ(actions["elements"].size(), 2u);
  EXPECT_EQ(actions["elements"][0]["text"]["text"], "Full output: describe_pod");
  EXPECT_EQ(actions["elements"][0]["action_id"], "step.full_output:12");
  EXPECT_EQ(actions["elements"][1]["action_id"], "step.full_output:13");  // unique in the message
  const auto value = actions["elements"][0]["value"].get<std::string>();
  const auto parsed = parse_full_output_value(value);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "6f1c2d3e-0000-4000-8000-000000000001");
  EXPECT_EQ(parsed->second, 12);
  EXPECT_EQ(text_with_full_output("x", {}).blocks.size(), 1u) << "no buttons, no actions block";
}

TEST(Blocks, AFullOutputValueNotMadeByVigilIsRefused) {
  for (const char* bad :
       {"", "abc", ":12", "run:", "run:12x", "run:-1", "r'un:1", "run:99999999999999999999", "a/b:1"}) {
    EXPECT_FALSE(parse_full_output_value(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigil::slack::blocks
