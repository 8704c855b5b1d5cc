#include "integrations/agents/agent_stream_parser.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"

namespace vigil::agents {
namespace {

using Kind = AgentEvent::Kind;

std::vector<AgentEvent> parse_file(StreamFormat f, const std::string& name, AgentStreamParser* keep = nullptr) {
  AgentStreamParser local(f);
  auto& p = keep ? *keep : local;
  std::ifstream in(test::fixtures_dir() / "agents" / name);
  EXPECT_TRUE(in) << name;
  std::vector<AgentEvent> all;
  std::string line;
  while (std::getline(in, line)) {
    auto evs = p.feed_line(line);
    all.insert(all.end(), evs.begin(), evs.end());
  }
  auto rest = p.finish();
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

TEST(AgentStreamParser, ClaudeCodeBasicQuery) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  const auto evs = parse_file(StreamFormat::ClaudeCode, "claude_code_stream_json_basic_query.ndjson", &p);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].kind, Kind::Session);
  EXPECT_EQ(p.session_id(), "1d1e46f9-35c7-4834-b529-846d5bb82288");
  EXPECT_EQ(evs[1].kind, Kind::Text);
  EXPECT_EQ(evs[1].text, "4");
  EXPECT_EQ(evs[2].kind, Kind::Result);
  EXPECT_FALSE(evs[2].is_error);
  EXPECT_TRUE(p.saw_result());
  EXPECT_EQ(p.malformed_lines(), 0);
}

TEST(AgentStreamParser, ClaudeCodeToolUseAndResultFiles) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  // Pretty-printed single objects: join the lines into one.
  auto one = [&](const std::string& name) {
    auto text = test::read_file(test::fixtures_dir() / "agents" / name);
    std::erase(text, '\n');
    return p.feed_line(text);
  };
  const auto tool = one("claude_code_stream_json_assistant_tool_use.json");
  ASSERT_EQ(tool.size(), 1u);
  EXPECT_EQ(tool[0].kind, Kind::ToolCall);
  EXPECT_EQ(tool[0].tool, "Bash");
  EXPECT_EQ(tool[0].text, "ls -la");
  const auto result = one("claude_code_stream_json_user_tool_result.json");
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].kind, Kind::ToolResult);
  const auto err = one("claude_code_stream_json_result_error_synthetic.json");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0].kind, Kind::Result);
  EXPECT_TRUE(err[0].is_error);
}

TEST(AgentStreamParser, ClaudeSdkMessagesToleratesEverything) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  const auto evs = parse_file(StreamFormat::ClaudeCode, "claude_agent_sdk_parser_test_messages.jsonl", &p);
  int tool_calls = 0, results = 0;
  for (const auto& e : evs) {
    tool_calls += e.kind == Kind::ToolCall;
    results += e.kind == Kind::Result;
  }
  EXPECT_GE(tool_calls, 3);
  EXPECT_GE(results, 1);
  EXPECT_EQ(p.malformed_lines(), 0);
}

TEST(AgentStreamParser, CodexExecJson) {
  AgentStreamParser p(StreamFormat::Codex);
  const auto evs = parse_file(StreamFormat::Codex, "codex_exec_json_sample.jsonl", &p);
  EXPECT_EQ(p.session_id(), "0199a213-81c0-7800-8aa1-bbab2a035a53");
  std::vector<Kind> kinds;
  for (const auto& e : evs) {
    kinds.push_back(e.kind);
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::Session, Kind::Thinking, Kind::ToolCall, Kind::ToolResult, Kind::Thinking,
                                      Kind::Text, Kind::Result}));
  EXPECT_EQ(evs[2].text, "bash -lc ls");
  EXPECT_EQ(evs[3].exit_code, 0);
  EXPECT_NE(evs[5].text.find("README.md"), std::string::npos);
}

TEST(AgentStreamParser, GeminiStreamJsonAssemblesDeltas) {
  AgentStreamParser p(StreamFormat::Gemini);
  const auto evs = parse_file(StreamFormat::Gemini, "gemini_cli_stream_json_docs_example.jsonl", &p);
  std::vector<Kind> kinds;
  for (const auto& e : evs) {
    kinds.push_back(e.kind);
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::Session, Kind::ToolCall, Kind::ToolResult, Kind::Text, Kind::Result}));
  EXPECT_EQ(evs[1].text, "ls -la");
  EXPECT_EQ(evs[3].text, "Here are the files...");
  EXPECT_FALSE(evs[4].is_error);
}

// Usage where each CLI's final event reports it: Claude Code's result (input counts the cache
// reads and writes too, and the cost), Codex's turn.completed, Gemini's result stats.
TEST(AgentStreamParser, UsageAndCostFromEachCliFinalEvent) {
  AgentStreamParser claude(StreamFormat::ClaudeCode);
  auto text = test::read_file(test::fixtures_dir() / "agents" / "claude_code_stream_json_result_success.json");
  std::erase(text, '\n');
  (void)claude.feed_line(text);
  EXPECT_EQ(claude.usage().input_tokens, 18 + 25067 + 17254);
  EXPECT_EQ(claude.usage().output_tokens, 424);
  ASSERT_TRUE(claude.usage().cost_usd);
  EXPECT_DOUBLE_EQ(*claude.usage().cost_usd, 0.24722425);
  EXPECT_EQ(claude.final_text(), "Here are the files in the current directory.")
      << "the summary when no file was written";

  AgentStreamParser codex(StreamFormat::Codex);
  (void)parse_file(StreamFormat::Codex, "codex_exec_json_sample.jsonl", &codex);
  EXPECT_EQ(codex.usage().input_tokens, 24763);
  EXPECT_EQ(codex.usage().output_tokens, 122);
  EXPECT_FALSE(codex.usage().cost_usd) << "codex reports no price";

  AgentStreamParser gemini(StreamFormat::Gemini);
  (void)parse_file(StreamFormat::Gemini, "gemini_cli_stream_json_docs_example.jsonl", &gemini);
  EXPECT_EQ(gemini.usage().input_tokens, 50);
  EXPECT_EQ(gemini.usage().output_tokens, 200);
  EXPECT_FALSE(gemini.usage().cost_usd);

  AgentStreamParser none(StreamFormat::ClaudeCode);
  (void)none.feed_line(R"({"type":"result","subtype":"success","usage":{"input_tokens":-3,"output_tokens":"x"}})");
  EXPECT_FALSE(none.usage().reported()) << "negative or non-numeric counts are not usage";
  EXPECT_TRUE(claude.api_errors().empty());
  EXPECT_TRUE(codex.api_errors().empty());
  EXPECT_TRUE(gemini.api_errors().empty());
}

// The errors of the model's API each CLI reports in its stream, in the CLI's words.
TEST(AgentStreamParser, ApiErrorsFromEachCli) {
  AgentStreamParser claude(StreamFormat::ClaudeCode);
  (void)parse_file(StreamFormat::ClaudeCode, "claude_code_stream_json_api_error_synthetic.jsonl", &claude);
  ASSERT_EQ(claude.api_errors().size(), 3u);
  EXPECT_EQ(claude.api_errors()[0], "529 overloaded");
  EXPECT_EQ(claude.api_errors()[1].rfind("server_error: API Error: 529", 0), 0u) << claude.api_errors()[1];
  EXPECT_EQ(claude.api_errors()[2].rfind("API Error: 529", 0), 0u);
  EXPECT_EQ(claude.usage().input_tokens, 12);
  EXPECT_EQ(claude.final_text(), "") << "an error is not an answer";

  AgentStreamParser codex(StreamFormat::Codex);
  (void)parse_file(StreamFormat::Codex, "codex_exec_json_error_synthetic.jsonl", &codex);
  ASSERT_EQ(codex.api_errors().size(), 2u);
  EXPECT_NE(codex.api_errors()[0].find("stream disconnected"), std::string::npos);
  EXPECT_NE(codex.api_errors()[1].find("503"), std::string::npos);

  AgentStreamParser gemini(StreamFormat::Gemini);
  (void)parse_file(StreamFormat::Gemini, "gemini_cli_stream_json_error_synthetic.jsonl", &gemini);
  ASSERT_EQ(gemini.api_errors().size(), 2u);
  EXPECT_NE(gemini.api_errors()[1].find("UNAVAILABLE"), std::string::npos);
}

TEST(AgentStreamParser, BrokenLinesAndUnknownTypesAreTolerated) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  EXPECT_TRUE(p.feed_line("{not json").empty());
  EXPECT_TRUE(p.feed_line("[1,2,3]").empty());
  EXPECT_TRUE(p.feed_line(R"({"type":"future_thing","x":1})").empty());
  EXPECT_TRUE(p.feed_line(R"({"type":"assistant","message":{"content":[{"type":"tool_use","name":5}]}})").size() <= 1);
  EXPECT_TRUE(p.feed_line(R"({"type":"assistant","message":"oops"})").empty());
  EXPECT_TRUE(p.feed_line("").empty());
  EXPECT_EQ(p.malformed_lines(), 2);
  EXPECT_EQ(p.unknown_events(), 1);
  const auto ok = p.feed_line(R"({"type":"assistant","message":{"content":[{"type":"text","text":"still here"}]}})");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].text, "still here");
}

TEST(AgentStreamParser, HugeTextIsCapped) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  const std::string big(100000, 'x');
  const auto evs =
      p.feed_line(R"({"type":"assistant","message":{"content":[{"type":"text","text":")" + big + R"("}]}})");
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_LT(evs[0].text.size(), AgentStreamParser::kMaxEventText + 32);
}

// Found by fuzz/fuzz_agent_stream (fuzz/regressions/agent_stream/): a Gemini message whose
// "delta" was not a boolean threw json::type_error out of feed_line.
TEST(AgentStreamParser, NonBooleanDeltaIsNotAnException) {
  AgentStreamParser p(StreamFormat::Gemini);
  std::vector<AgentEvent> evs;
  EXPECT_NO_THROW(evs = p.feed_line(R"({"type":"message","role":"assistant","content":"hi","delta":"assistant"})"));
  ASSERT_EQ(evs.size(), 1u);  // not a delta: a whole message
  EXPECT_EQ(evs[0].text, "hi");
  EXPECT_NO_THROW(evs = p.feed_line(R"({"type":"message","role":"assistant","content":"a","delta":1})"));
  EXPECT_NO_THROW(evs = p.feed_line(R"({"type":"message","role":"assistant","content":"b","delta":true})"));
  EXPECT_TRUE(evs.empty());
  evs = p.finish();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].text, "b");
}

// Found by fuzz/fuzz_agent_stream: the cap cut text in the middle of a character, and the
// event's text then broke the JSON of the Slack message and the timeline.
TEST(AgentStreamParser, CappedTextEndsOnACharacter) {
  AgentStreamParser p(StreamFormat::ClaudeCode);
  const std::string text = std::string(AgentStreamParser::kMaxEventText - 1, 'x') + "\xC3\xA9\xC3\xA9";
  const auto evs = p.feed_line(R"({"type":"result","subtype":"success","result":")" + text + R"("})");
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].text, std::string(AgentStreamParser::kMaxEventText - 1, 'x') + "… [truncated]");
  EXPECT_NO_THROW((void)nlohmann::json(evs[0].text).dump());
  const std::string input = std::string(293, 'y') + "\xC3\xA9";  // {"a":"yy…é: é at bytes 299-300
  const auto call = p.feed_line(
      R"({"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"x","input":{"a":")" + input +
      R"("}}]}})");
  ASSERT_EQ(call.size(), 1u);
  EXPECT_EQ(call[0].text, R"({"a":")" + std::string(293, 'y') + "…");
  EXPECT_NO_THROW((void)nlohmann::json(call[0].text).dump());
}

// Kept under fuzz/regressions/agent_stream/: a line of 100000 nested arrays as a tool's input was
// copied and dumped recursively and overflowed the stack; it is now a malformed line.
TEST(AgentStreamParser, DeeplyNestedLinesAreMalformed) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  AgentStreamParser p(StreamFormat::Gemini);
  EXPECT_TRUE(p.feed_line(R"({"type":"tool_use","tool_id":"t","parameters":)" + deep + "}").empty());
  EXPECT_EQ(p.malformed_lines(), 1);
}

}  // namespace
}  // namespace vigil::agents
