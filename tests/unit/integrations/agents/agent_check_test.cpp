#include "integrations/agents/agent_check.h"

#include <gtest/gtest.h>

namespace vigil::agents {
namespace {

// As kubectl v1.32 prints `auth can-i --list` for a read-only identity (the ClusterRole in
// deploy/kubernetes/rbac.yaml) and for one that may patch.
constexpr const char* kReadOnly =
    "Resources                                       Non-Resource URLs   Resource Names   Verbs\n"
    "selfsubjectreviews.authentication.k8s.io        []                  []               [create]\n"
    "selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]\n"
    "selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]\n"
    "pods                                            []                  []               [get list watch]\n"
    "pods/log                                        []                  []               [get list watch]\n"
    "deployments.apps                                []                  []               [get list watch]\n"
    "                                                [/api/*]            []               [get]\n"
    "                                                [/healthz]          []               [get]\n";

TEST(AgentCheck, ReadOnlyGrantsPass) {
  EXPECT_TRUE(write_grants(kReadOnly).empty());
  const auto line = cluster_line(0, kReadOnly, "");
  EXPECT_TRUE(line.ok) << line.detail;
  EXPECT_EQ(line.what, "cluster");
}

TEST(AgentCheck, AnyWriteGrantFailsAndIsNamed) {
  const std::string writable =
      std::string(kReadOnly) +
      "deployments.apps                                []                  []               "
      "[get patch update]\n"
      "*.*                                             []                  []               [*]\n";
  const auto grants = write_grants(writable);
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0], "patch update on deployments.apps");
  EXPECT_EQ(grants[1], "* on *.*");
  const auto line = cluster_line(0, writable, "");
  EXPECT_FALSE(line.ok);
  EXPECT_NE(line.detail.find("patch update on deployments.apps"), std::string::npos) << line.detail;
}

TEST(AgentCheck, AnUnreachableApiServerFails) {
  const auto line =
      cluster_line(1, "",
                   "E1207 12:00:00 memcache.go:265] couldn't get current server API group list\n"
                   "The connection to the server 127.0.0.1:1 was refused - did you specify the right host?\n");
  EXPECT_FALSE(line.ok);
  EXPECT_NE(line.detail.find("is the API server reachable?"), std::string::npos);
}

TEST(AgentCheck, CredentialsArePresentOrNamedNeverShown) {
  const auto present = check_credentials("claude-code", {{"ANTHROPIC_API_KEY",
                                                          "sk-"
                                                          "ant-secret-value"}});
  EXPECT_TRUE(present.ok);
  EXPECT_EQ(present.detail, "ANTHROPIC_API_KEY is set");
  const auto missing = check_credentials("codex", {{"ANTHROPIC_API_KEY",
                                                    "sk-"
                                                    "ant-secret-value"}});
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.detail.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_EQ(missing.detail.find("sk-ant"), std::string::npos);
  EXPECT_FALSE(check_credentials("gemini", {{"GEMINI_API_KEY", ""}}).ok) << "an empty variable is no credential";
  EXPECT_TRUE(check_credentials("command", {}).ok);
}

TEST(AgentCheck, ReportPassesOnlyWhenEveryLineDoes) {
  AgentCheckReport report{"codex", {{"binary", true, "codex 0.171.0"}, {"credentials", false, "none"}}};
  EXPECT_FALSE(report.ok());
  const auto text = format_check_report(report);
  EXPECT_EQ(text, "codex: FAILED\n  ok    binary: codex 0.171.0\n  FAIL  credentials: none\n");
  report.lines[1].ok = true;
  EXPECT_TRUE(report.ok());
  EXPECT_FALSE(AgentCheckReport{}.ok());
}

}  // namespace
}  // namespace vigil::agents

namespace vigil::agents {
namespace {

// kubectl's answer is tool output: rows without brackets, a header only, binary noise or a huge
// answer give no grant and no crash; a write grant on an odd row is still found.
TEST(AgentCheck, MalformedCanIOutputIsReadSafely) {
  EXPECT_TRUE(write_grants("").empty());
  EXPECT_TRUE(write_grants("Resources   Non-Resource URLs   Resource Names   Verbs\n").empty());
  EXPECT_TRUE(write_grants("header\npods no brackets at all\n]] [[ reversed\n\x01\x02\xff\n").empty());
  EXPECT_EQ(write_grants("header\npods [] [] [get patch\ndeployments.apps [] [] [delete]\n"),
            std::vector<std::string>{"delete on deployments.apps"});
  std::string huge = "header\n";
  for (int i = 0; i < 20000; ++i) {
    huge += "pods [] [] [get list watch]\n";
  }
  EXPECT_TRUE(write_grants(huge).empty());
  EXPECT_TRUE(cluster_line(0, huge, "").ok);
  EXPECT_FALSE(cluster_line(-1, "", "").ok) << "kubectl killed or not started is no pass";
}

}  // namespace
}  // namespace vigil::agents
