// Agent CLI output as AgentCli::run_turn reads it: byte 0 picks the backend (claude-code, codex,
// gemini, or command, whose dialect detect_stream_format recognises from the first line); the rest
// is stdout, fed line by line to AgentStreamParser, then finish(). The events end up in Slack
// messages and the timeline (JSON), so their text must stay valid UTF-8.

#include <string>

#include "fuzz/fuzz_support.h"
#include "integrations/agents/agent_stream_parser.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  static const char* const kBackends[] = {"claude-code", "codex", "gemini", "command"};
  const std::string backend = kBackends[data[0] % 4];
  const auto lines = fuzz::split(fuzz::as_text(data + 1, size - 1), '\n');
  const auto format = agents::detect_stream_format(backend, lines.front());
  agents::AgentStreamParser parser(format);
  auto check = [](const std::vector<agents::AgentEvent>& events) {
    for (const auto& e : events) {
      fuzz::require_utf8("event text", e.text);
      fuzz::require_utf8("event id", e.id);
      fuzz::require_utf8("event tool", e.tool);
    }
  };
  for (const auto line : lines) {
    check(parser.feed_line(line));
  }
  check(parser.finish());
  return 0;
}
