#include "integrations/agents/agent_stream_parser.h"

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"
#include "bot/base/utf8.h"

namespace vigil::agents {
namespace {

using nlohmann::json;

std::string cap(std::string text) {
  if (text.size() > AgentStreamParser::kMaxEventText) {
    utf8_truncate(text, AgentStreamParser::kMaxEventText);
    text += "… [truncated]";
  }
  return text;
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>();
}

std::optional<long long> count(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<long long>() < 0) {
    return std::nullopt;
  }
  return it->get<long long>();
}

// `a + b` where either may be unset: unset only when both are.
std::optional<long long> plus(std::optional<long long> a, std::optional<long long> b) {
  if (!a && !b) {
    return std::nullopt;
  }
  return a.value_or(0) + b.value_or(0);
}

// Claude Code's `usage` counts cache reads and writes apart from `input_tokens`; all are input.
AgentUsage claude_usage(const json& result) {
  AgentUsage u;
  const auto it = result.find("usage");
  if (it != result.end() && it->is_object()) {
    u.input_tokens = plus(plus(count(*it, "input_tokens"), count(*it, "cache_creation_input_tokens")),
                          count(*it, "cache_read_input_tokens"));
    u.output_tokens = count(*it, "output_tokens");
  }
  const auto cost = result.find("total_cost_usd");
  if (cost != result.end() && cost->is_number() && cost->get<double>() >= 0) {
    u.cost_usd = cost->get<double>();
  }
  return u;
}

// A one-line description of a tool's input: the command for shells, the path for file tools,
// compact JSON otherwise.
std::string summarize_input(const json& input) {
  if (!input.is_object()) {
    return input.is_null() ? std::string() : cap(input.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  for (const char* key : {"command", "cmd", "file_path", "path", "pattern", "query", "url"}) {
    const auto it = input.find(key);
    if (it != input.end()) {
      if (it->is_string()) {
        return cap(it->get<std::string>());
      }
      if (it->is_array()) {
        std::string joined;
        for (const auto& e : *it) {
          if (e.is_string()) {
            joined += (joined.empty() ? "" : " ") + e.get<std::string>();
          }
        }
        return cap(joined);
      }
    }
  }
  auto text = input.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 300) {
    text = utf8_prefix(text, 300) + "…";
  }
  return text;
}

// tool_result content is a string or a list of {type:text,text}.
std::string content_text(const json& content) {
  if (content.is_string()) {
    return content.get<std::string>();
  }
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text") {
        out += str(part, "text");
      }
    }
  } else if (content.is_object()) {
    out = str(content, "text");
  }
  return out;
}

void parse_claude_content(const json& content, std::vector<AgentEvent>& out) {
  if (!content.is_array()) {
    if (content.is_string()) {
      out.push_back({AgentEvent::Kind::Text, "", "", cap(content.get<std::string>())});
    }
    return;
  }
  for (const auto& block : content) {
    if (!block.is_object()) {
      continue;
    }
    const auto type = str(block, "type");
    if (type == "text") {
      const auto text = str(block, "text");
      if (!text.empty()) {
        out.push_back({AgentEvent::Kind::Text, "", "", cap(text)});
      }
    } else if (type == "thinking") {
      out.push_back({AgentEvent::Kind::Thinking, "", "", cap(str(block, "thinking"))});
    } else if (type == "tool_use" || type == "server_tool_use") {
      out.push_back({AgentEvent::Kind::ToolCall, str(block, "id"), str(block, "name"),
                     summarize_input(block.value("input", json()))});
    } else if (type == "tool_result") {
      AgentEvent e{AgentEvent::Kind::ToolResult, str(block, "tool_use_id"), "",
                   cap(content_text(block.value("content", json())))};
      e.is_error = block.value("is_error", false);
      out.push_back(std::move(e));
    }
  }
}

// One item of a Codex turn, when it starts (`done` false) or completes.
void read_codex_item(const json& item, bool done, std::vector<AgentEvent>& out) {
  const auto itype = item.is_object() ? str(item, "type") : std::string();
  if (itype == "command_execution") {
    if (!done) {
      out.push_back({AgentEvent::Kind::ToolCall, str(item, "id"), "shell", cap(str(item, "command"))});
    } else {
      AgentEvent e{AgentEvent::Kind::ToolResult, str(item, "id"), "shell", cap(str(item, "aggregated_output"))};
      if (item.contains("exit_code") && item["exit_code"].is_number_integer()) {
        e.exit_code = item["exit_code"].get<int>();
        e.is_error = *e.exit_code != 0;
      }
      out.push_back(std::move(e));
    }
  } else if (itype == "agent_message" && done) {
    out.push_back({AgentEvent::Kind::Text, str(item, "id"), "", cap(str(item, "text"))});
  } else if (itype == "reasoning" && done) {
    out.push_back({AgentEvent::Kind::Thinking, str(item, "id"), "", cap(str(item, "text"))});
  } else if ((itype == "mcp_tool_call" || itype == "web_search" || itype == "file_change") && !done) {
    out.push_back({AgentEvent::Kind::ToolCall, str(item, "id"), itype,
                   summarize_input(item.value("arguments", item.value("query", json())))});
  } else if (itype == "error") {
    AgentEvent e{AgentEvent::Kind::Text, str(item, "id"), "", cap(str(item, "message"))};
    e.is_error = true;
    out.push_back(std::move(e));
  }
}

}  // namespace

std::optional<StreamFormat> stream_format_for_backend(std::string_view backend) {
  if (backend == "claude-code" || backend == "command") {
    return StreamFormat::ClaudeCode;
  }
  if (backend == "codex") {
    return StreamFormat::Codex;
  }
  if (backend == "gemini") {
    return StreamFormat::Gemini;
  }
  return std::nullopt;
}

StreamFormat detect_stream_format(const std::string& backend, std::string_view first_line) {
  if (auto f = stream_format_for_backend(backend); f && backend != "command") {
    return *f;
  }
  if (first_line.find("\"thread.started\"") != std::string_view::npos ||
      first_line.find("\"turn.") != std::string_view::npos || first_line.find("\"item.") != std::string_view::npos) {
    return StreamFormat::Codex;
  }
  if (first_line.find("\"type\":\"init\"") != std::string_view::npos ||
      first_line.find("\"type\": \"init\"") != std::string_view::npos) {
    return StreamFormat::Gemini;
  }
  return StreamFormat::ClaudeCode;
}

void AgentStreamParser::note_api_error(std::string text) {
  // Bounded: a stream that reports an error on every line keeps the first few.
  if (api_errors_.size() < 20 && !text.empty()) {
    api_errors_.push_back(cap(std::move(text)));
  }
}

std::vector<AgentEvent> AgentStreamParser::finish() {
  std::vector<AgentEvent> out;
  if (!pending_delta_.empty()) {
    out.push_back({AgentEvent::Kind::Text, "", "", cap(std::move(pending_delta_))});
    pending_delta_.clear();
  }
  return out;
}

std::vector<AgentEvent> AgentStreamParser::feed_line(std::string_view line) {
  std::vector<AgentEvent> out;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  if (line.empty()) {
    return out;
  }
  const json j = parse_untrusted_json(line);
  if (j.is_discarded() || !j.is_object()) {
    ++malformed_;
    return out;
  }
  const auto type = str(j, "type");
  // Gemini streams text as deltas; assemble them until something else arrives.
  // (Read without value(): a "delta" that is not a boolean must not throw out of here.)
  const auto delta = j.find("delta");
  const bool is_delta = format_ == StreamFormat::Gemini && type == "message" && delta != j.end() &&
                        delta->is_boolean() && delta->get<bool>();
  if (!is_delta && !pending_delta_.empty()) {
    out = finish();
  }
  try {
    switch (format_) {
      case StreamFormat::ClaudeCode:
        feed_claude(j, type, out);
        break;
      case StreamFormat::Codex:
        feed_codex(j, type, out);
        break;
      case StreamFormat::Gemini:
        feed_gemini(j, type, is_delta, out);
        break;
    }
  } catch (const json::exception&) {
    // A field of an unexpected type deep inside: the line is malformed for us.
    ++malformed_;
  }
  return out;
}

void AgentStreamParser::feed_claude(const json& j, const std::string& type, std::vector<AgentEvent>& out) {
  if (type == "system") {
    const auto sid = str(j, "session_id");
    if (str(j, "subtype") == "init" && !sid.empty()) {
      session_id_ = sid;
      out.push_back({AgentEvent::Kind::Session, sid, "", str(j, "model")});
    } else if (str(j, "subtype") == "task_started" || str(j, "subtype") == "task_progress") {
      out.push_back({AgentEvent::Kind::Thinking, "", "", cap(str(j, "description"))});
    } else if (str(j, "subtype") == "api_retry") {
      // The CLI retries the API itself; what failed is evidence if the turn fails in the end.
      const auto status = j.find("error_status");
      note_api_error((status != j.end() && status->is_number_integer() ? std::to_string(status->get<int>()) + " "
                                                                       : std::string()) +
                     str(j, "error"));
    }
    // other system subtypes (hooks, task updates, future ones) are timeline noise
  } else if (type == "assistant" || type == "user") {
    if (type == "assistant" && !str(j, "error").empty()) {
      // An API error in place of an answer: its kind (server_error, authentication_failed, …) and
      // its text ("API Error: 529 …").
      const auto msg = j.value("message", json::object());
      note_api_error(str(j, "error") + ": " + content_text(msg.is_object() ? msg.value("content", json()) : json()));
    }
    const auto msg = j.value("message", json::object());
    parse_claude_content(msg.is_object() ? msg.value("content", json()) : json(), out);
    if (type == "user") {
      // The user turn only matters for tool results; echoed prompt text is dropped.
      std::erase_if(out, [](const AgentEvent& e) { return e.kind == AgentEvent::Kind::Text; });
    }
  } else if (type == "result") {
    saw_result_ = true;
    AgentEvent e{AgentEvent::Kind::Result, str(j, "session_id"), "", cap(str(j, "result"))};
    e.is_error = j.value("is_error", false) || str(j, "subtype").rfind("error", 0) == 0;
    if (e.is_error && e.text.empty()) {
      e.text = str(j, "subtype");
    }
    if (e.is_error && e.text.rfind("API Error", 0) == 0) {
      note_api_error(e.text);
    }
    if (!e.is_error) {
      final_text_ = str(j, "result");
    }
    usage_ = claude_usage(j);
    if (session_id_.empty()) {
      session_id_ = str(j, "session_id");
    }
    out.push_back(std::move(e));
  } else if (type == "rate_limit_event" || type == "stream_event") {
    // known, nothing to show
  } else {
    ++unknown_;
  }
}

void AgentStreamParser::feed_codex(const json& j, const std::string& type, std::vector<AgentEvent>& out) {
  if (type == "thread.started") {
    session_id_ = str(j, "thread_id");
    out.push_back({AgentEvent::Kind::Session, session_id_, "", ""});
  } else if (type == "item.started" || type == "item.completed") {
    const auto item = j.value("item", json::object());
    read_codex_item(item, type == "item.completed", out);
  } else if (type == "turn.completed") {
    saw_result_ = true;
    if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
      // input_tokens includes the cached ones (cached_input_tokens is a part of it).
      usage_.input_tokens = plus(usage_.input_tokens, count(*u, "input_tokens"));
      usage_.output_tokens = plus(usage_.output_tokens, count(*u, "output_tokens"));
    }
    out.push_back({AgentEvent::Kind::Result, session_id_, "", ""});
  } else if (type == "turn.failed" || type == "error") {
    saw_result_ = saw_result_ || type == "turn.failed";
    // turn.failed nests its message in `error`; an error event has it at the top.
    const auto err = j.value("error", json::object());
    const auto nested = err.is_object() ? str(err, "message") : std::string();
    AgentEvent e{type == "error" ? AgentEvent::Kind::Text : AgentEvent::Kind::Result, "", "",
                 cap(nested.empty() ? str(j, "message") : nested)};
    e.is_error = true;
    note_api_error(e.text);
    out.push_back(std::move(e));
  } else if (type == "turn.started" || type == "item.updated") {
    // known, nothing to show
  } else {
    ++unknown_;
  }
}

void AgentStreamParser::feed_gemini(const json& j, const std::string& type, bool is_delta,
                                    std::vector<AgentEvent>& out) {
  if (type == "init") {
    session_id_ = str(j, "session_id");
    out.push_back({AgentEvent::Kind::Session, session_id_, "", str(j, "model")});
  } else if (type == "message") {
    if (str(j, "role") == "assistant") {
      const auto text = j.contains("content") ? content_text(j["content"]) : std::string();
      if (is_delta) {
        pending_delta_ += text;
      } else if (!text.empty()) {
        out.push_back({AgentEvent::Kind::Text, "", "", cap(text)});
      }
    }
  } else if (type == "tool_use") {
    out.push_back({AgentEvent::Kind::ToolCall, str(j, "tool_id"), str(j, "tool_name"),
                   summarize_input(j.value("parameters", json()))});
  } else if (type == "tool_result") {
    AgentEvent e{AgentEvent::Kind::ToolResult, str(j, "tool_id"), "", cap(str(j, "output"))};
    e.is_error = str(j, "status") != "success";
    if (e.is_error && j.contains("error") && j["error"].is_object()) {
      e.text = cap(str(j["error"], "message"));
    }
    out.push_back(std::move(e));
  } else if (type == "result") {
    saw_result_ = true;
    AgentEvent e{AgentEvent::Kind::Result, session_id_, "", ""};
    e.is_error = str(j, "status") != "success";
    if (e.is_error && j.contains("error") && j["error"].is_object()) {
      e.text = cap(str(j["error"], "message"));
      note_api_error(str(j["error"], "type") + ": " + e.text);
    }
    if (const auto stats = j.find("stats"); stats != j.end() && stats->is_object()) {
      usage_.input_tokens = count(*stats, "input_tokens");
      usage_.output_tokens = count(*stats, "output_tokens");
    }
    out.push_back(std::move(e));
  } else if (type == "error") {
    AgentEvent e{AgentEvent::Kind::Text, "", "", cap(str(j, "message"))};
    e.is_error = true;
    note_api_error(e.text);
    out.push_back(std::move(e));
  } else {
    ++unknown_;
  }
}

}  // namespace vigil::agents
