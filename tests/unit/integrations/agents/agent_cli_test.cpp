#include "integrations/agents/agent_cli.h"

#include <gtest/gtest.h>

namespace vigil::agents {
namespace {

AgentCliOptions options(const std::string& backend) {
  AgentCliOptions o;
  o.backend = backend;
  o.env_allowlist = {"PATH", "HOME"};
  o.environment = {{"PATH", "/usr/bin"},
                   {"HOME", "/home/v"},
                   {"ANTHROPIC_API_KEY", "ak"},
                   {"OPENAI_API_KEY", "ok"},
                   {"AWS_SECRET_ACCESS_KEY", "never"}};
  o.read_only_kubeconfig = "/etc/vigil/ro.kubeconfig";
  return o;
}

TEST(AgentCli, ClaudeCodeArgvIsNonInteractiveJsonWithReadOnlyTools) {
  const auto argv = agent_argv(options("claude-code"), {"r", "", ""});
  ASSERT_GE(argv.size(), 8u);
  EXPECT_EQ(argv[0], "claude");
  EXPECT_EQ(argv[1], "-p");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "stream-json"), argv.end());
  const auto tools = std::find(argv.begin(), argv.end(), "--allowedTools");
  ASSERT_NE(tools, argv.end());
  EXPECT_NE((tools + 1)->find("Bash(kubectl get:*)"), std::string::npos);
  // It may write its deliverables, and only there; anything else that would prompt is denied.
  EXPECT_NE((tools + 1)->find("Edit(output/**)"), std::string::npos);
  EXPECT_EQ((tools + 1)->find("Write,"), std::string::npos);
  EXPECT_EQ((tools + 1)->find("Bash(kubectl delete"), std::string::npos);
  const auto mode = std::find(argv.begin(), argv.end(), "--permission-mode");
  ASSERT_NE(mode, argv.end());
  EXPECT_EQ(*(mode + 1), "dontAsk");
  const auto denied = std::find(argv.begin(), argv.end(), "--disallowedTools");
  ASSERT_NE(denied, argv.end());
  const auto denied_list = "," + *(denied + 1) + ",";
  EXPECT_EQ(denied_list.find(",Write,"), std::string::npos) << "a denied Write would override Edit(output/**)";
  EXPECT_EQ(denied_list.find(",Edit,"), std::string::npos);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--resume"), argv.end());
  const auto resumed = agent_argv(options("claude-code"), {"r", "what next?", "sess-1"});
  const auto resume = std::find(resumed.begin(), resumed.end(), "--resume");
  ASSERT_NE(resume, resumed.end());
  EXPECT_EQ(*(resume + 1), "sess-1");
  // The question itself never lands in argv.
  for (const auto& a : resumed) {
    EXPECT_EQ(a.find("what next?"), std::string::npos);
  }
}

TEST(AgentCli, CodexAndGeminiArgv) {
  const auto codex = agent_argv(options("codex"), {"r", "", ""});
  // Codex's own sandbox stays on, with network for kubectl (read-only has none).
  EXPECT_EQ(std::vector<std::string>(codex.begin(), codex.begin() + 7),
            (std::vector<std::string>{"codex", "exec", "--json", "--sandbox", "workspace-write", "-c",
                                      "sandbox_workspace_write.network_access=true"}));
  EXPECT_EQ(std::find(codex.begin(), codex.end(), "--dangerously-bypass-approvals-and-sandbox"), codex.end());
  const auto resumed = agent_argv(options("codex"), {"r", "q", "th-1"});
  EXPECT_EQ(resumed, (std::vector<std::string>{"codex", "exec", "resume", "--json", "--skip-git-repo-check", "-c",
                                               "sandbox_mode=\"workspace-write\"", "-c",
                                               "sandbox_workspace_write.network_access=true", "th-1", resumed.back()}));
  const auto gemini = agent_argv(options("gemini"), {"r", "", ""});
  EXPECT_EQ(gemini[0], "gemini");
  EXPECT_NE(std::find(gemini.begin(), gemini.end(), "stream-json"), gemini.end());
  // The shell tool for read-only kubectl only.
  std::vector<std::string> allowed;
  for (std::size_t i = 0; i + 1 < gemini.size(); ++i) {
    if (gemini[i] == "--allowed-tools") {
      allowed.push_back(gemini[i + 1]);
    }
  }
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), "run_shell_command(kubectl get)"), allowed.end());
  for (const auto& tool : allowed) {
    EXPECT_TRUE(tool.rfind("run_shell_command(", 0) != 0 || tool.rfind("run_shell_command(kubectl ", 0) == 0) << tool;
    EXPECT_EQ(tool.find("write"), std::string::npos) << tool;
  }
  EXPECT_EQ(std::find(gemini.begin(), gemini.end(), "--yolo"), gemini.end());
  auto o = options("claude-code");
  o.command = {"/opt/claude/bin/claude"};
  EXPECT_EQ(agent_argv(o, {"r", "", ""})[0], "/opt/claude/bin/claude");
}

TEST(AgentCli, EnvironmentIsTheAllowListPlusReadOnlyMarkers) {
  const auto env = agent_environment(options("claude-code"), "run-1", "/ws/run-1");
  EXPECT_EQ(env.at("PATH"), "/usr/bin");
  EXPECT_EQ(env.at("ANTHROPIC_API_KEY"), "ak");
  EXPECT_EQ(env.count("OPENAI_API_KEY"), 0u);
  EXPECT_EQ(env.count("AWS_SECRET_ACCESS_KEY"), 0u);
  EXPECT_EQ(env.at("INCIDENT_ID"), "run-1");
  EXPECT_EQ(env.at("INCIDENT_WORKSPACE"), "/ws/run-1");
  EXPECT_EQ(env.at("VIGIL_READ_ONLY"), "true");
  EXPECT_EQ(env.at("CLAUDE_READ_ONLY_MODE"), "true");
  EXPECT_EQ(env.at("KUBECONFIG"), "/etc/vigil/ro.kubeconfig");
  const auto codex = agent_environment(options("codex"), "run-1", "/ws");
  EXPECT_EQ(codex.at("OPENAI_API_KEY"), "ok");
  EXPECT_EQ(codex.count("CLAUDE_READ_ONLY_MODE"), 0u);
  auto no_kube = options("codex");
  no_kube.read_only_kubeconfig.clear();
  EXPECT_EQ(agent_environment(no_kube, "r", "/ws").at("KUBECONFIG"), "/dev/null");
}

TEST(AgentCli, CommandAgentsAreRecognisedByTheirFirstLine) {
  EXPECT_EQ(detect_stream_format("command", R"({"type":"thread.started","thread_id":"x"})"), StreamFormat::Codex);
  EXPECT_EQ(detect_stream_format("command", R"({"type":"init","session_id":"x"})"), StreamFormat::Gemini);
  EXPECT_EQ(detect_stream_format("command", R"({"type":"system","subtype":"init"})"), StreamFormat::ClaudeCode);
  EXPECT_EQ(detect_stream_format("codex", R"({"type":"system"})"), StreamFormat::Codex);
}

}  // namespace
}  // namespace vigil::agents
