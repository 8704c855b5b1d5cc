#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil::handlers {

/// `/triage …`, `/runbook …`, `/incident …` parsed from the slash command's text. Pure: used both
/// by the handlers and by the ack (a usage mistake is answered in the ack itself, instantly).
struct ParsedCommand {
  std::string verb;      // start, status, list, cancel, timeline, help, resume-auto, show, run, declare, resolve
  std::string argument;  // run id, skill id, incident title, free text
  std::map<std::string, std::string> params;  // runbook run key=value…
  std::string severity;                       // incident declare
};

struct UsageError {
  std::string message;  // what was wrong, then the usage
};

using CommandParse = std::variant<ParsedCommand, UsageError>;

CommandParse parse_triage(std::string_view text);
CommandParse parse_runbook(std::string_view text);
CommandParse parse_incident(std::string_view text);
/// Dispatches on the command name ("/triage", "/runbook", "/incident").
CommandParse parse_command(std::string_view command, std::string_view text);

std::string triage_usage();
std::string runbook_usage();
std::string incident_usage();

/// Splits on whitespace; "quoted values" keep their spaces.
std::vector<std::string> split_words(std::string_view text);

}  // namespace vigil::handlers
