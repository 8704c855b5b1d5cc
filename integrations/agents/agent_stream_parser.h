#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace vigil::agents {

/// The JSON-lines dialects of the agent CLIs Vigil drives.
enum class StreamFormat {
  ClaudeCode,  // claude -p … --output-format stream-json --verbose
  Codex,       // codex exec --json
  Gemini,      // gemini -p … --output-format stream-json
};

std::optional<StreamFormat> stream_format_for_backend(std::string_view backend);
/// The JSON-lines dialect a backend speaks; `command` agents are recognised by their first line.
StreamFormat detect_stream_format(const std::string& backend, std::string_view first_line);

/// One thing an agent did, in Vigil's words (the Slack layer and the terminal render these).
struct AgentEvent {
  enum class Kind {
    Session,     // the CLI told us its session/thread id (for follow-ups)
    ToolCall,    // tool = name, text = a one-line summary of its input
    ToolResult,  // text = the (short) result, is_error
    Text,        // something the agent said
    Thinking,    // reasoning text (kept in the timeline, not posted)
    Result,      // the final answer; is_error when the CLI reported failure
  };
  Kind kind = Kind::Text;
  std::string id;    // tool-use id or session id
  std::string tool;  // tool name for ToolCall
  std::string text;
  bool is_error = false;
  std::optional<int> exit_code = std::nullopt;  // for command executions that report one
};

/// What a turn cost, where the stream says: tokens in and out, and the price the CLI computed
/// (only Claude Code reports one). Unset: the stream did not say.
struct AgentUsage {
  std::optional<long long> input_tokens;
  std::optional<long long> output_tokens;
  std::optional<double> cost_usd;
  bool reported() const { return input_tokens || output_tokens || cost_usd; }
};

/// Turns lines of an agent CLI's output into AgentEvents. Untrusted input: broken lines and
/// unknown event types are counted and skipped, never fatal. No exceptions escape.
class AgentStreamParser {
 public:
  explicit AgentStreamParser(StreamFormat format) : format_(format) {}

  std::vector<AgentEvent> feed_line(std::string_view line);
  /// Flushes text still being assembled from deltas (call at end of stream).
  std::vector<AgentEvent> finish();

  const std::string& session_id() const { return session_id_; }
  int malformed_lines() const { return malformed_; }
  int unknown_events() const { return unknown_; }
  bool saw_result() const { return saw_result_; }
  /// Usage from the final event (Claude Code's and Gemini's `result`, Codex's `turn.completed`,
  /// summed over the turns of one Codex stream).
  const AgentUsage& usage() const { return usage_; }
  /// The answer of the last successful result event (Claude Code's `result`), empty if none.
  const std::string& final_text() const { return final_text_; }
  /// Errors from the model's API the stream reported (Claude Code's api_retry and assistant
  /// errors, Codex's error and turn.failed, Gemini's error events and failed result), in the
  /// CLI's words, in order; classify_api_error (agent_failure.h) says which are transient.
  const std::vector<std::string>& api_errors() const { return api_errors_; }

  /// Longest text kept per event; the rest is cut with a marker (the full stream is in agent.log).
  static constexpr std::size_t kMaxEventText = 4000;

 private:
  // One parsed line of each dialect; events go to `out`.
  void feed_claude(const nlohmann::json& j, const std::string& type, std::vector<AgentEvent>& out);
  void feed_codex(const nlohmann::json& j, const std::string& type, std::vector<AgentEvent>& out);
  void feed_gemini(const nlohmann::json& j, const std::string& type, bool is_delta, std::vector<AgentEvent>& out);

  void note_api_error(std::string text);

  StreamFormat format_;
  AgentUsage usage_;
  std::string final_text_;
  std::vector<std::string> api_errors_;
  std::string session_id_;
  std::string pending_delta_;
  int malformed_ = 0;
  int unknown_ = 0;
  bool saw_result_ = false;
};

}  // namespace vigil::agents
