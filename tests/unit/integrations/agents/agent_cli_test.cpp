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
  EXPECT_EQ((tools + 1)->find("Edit"), std::string::npos);
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
  EXPECT_EQ(std::vector<std::string>(codex.begin(), codex.begin() + 5),
            (std::vector<std::string>{"codex", "exec", "--json", "--sandbox", "read-only"}));
  const auto resumed = agent_argv(options("codex"), {"r", "q", "th-1"});
  EXPECT_EQ(std::vector<std::string>(resumed.begin(), resumed.begin() + 4),
            (std::vector<std::string>{"codex", "exec", "resume", "th-1"}));
  const auto gemini = agent_argv(options("gemini"), {"r", "", ""});
  EXPECT_EQ(gemini[0], "gemini");
  EXPECT_NE(std::find(gemini.begin(), gemini.end(), "stream-json"), gemini.end());
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
