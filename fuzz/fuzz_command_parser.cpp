// Slash command text: parse_command as SlashCommandHandler::ack_payload runs it, then the usage
// answer put into the envelope's ack as that handler does. Byte 0 picks the command; the rest is
// the text. Slack's text arrives inside JSON, so it is valid UTF-8, and so must the answer be.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "handlers/command_parser.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/socket_mode.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  static const char* const kCommands[] = {"/triage", "/runbook", "/incident", "/unknown"};
  const auto* command = kCommands[data[0] % 4];
  const auto text = fuzz::as_text(data + 1, size - 1);
  if (!fuzz::valid_utf8(text)) {
    return 0;  // not something Slack can send
  }
  const auto parsed = handlers::parse_command(command, text);
  if (const auto* e = std::get_if<handlers::UsageError>(&parsed)) {
    fuzz::require_utf8("usage answer", e->message);
    const nlohmann::json payload{{"response_type", "ephemeral"},
                                 {"text", slack::blocks::truncate(e->message, slack::blocks::kMaxSectionText)}};
    (void)slack::make_ack("fuzz-envelope", payload);
  } else {
    const auto& c = std::get<handlers::ParsedCommand>(parsed);
    fuzz::require_utf8("argument", c.argument);
    for (const auto& [k, v] : c.params) {
      fuzz::require_utf8("parameter", k);
      fuzz::require_utf8("parameter value", v);
    }
  }
  return 0;
}
