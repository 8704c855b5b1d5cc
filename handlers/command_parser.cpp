#include "handlers/command_parser.h"

#include <algorithm>
#include <cctype>

#include "bot/base/utf8.h"

namespace vigil::handlers {
namespace {

constexpr std::size_t kMaxText = 3000;
constexpr std::size_t kMaxQuoted = 64;  // bytes of the user's text quoted back in a usage answer

// The same whitespace as split_words (std::isspace): a text of only \v or \f is empty.
constexpr const char* kSpace = " \t\r\n\v\f";

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The first word and the rest.
std::pair<std::string, std::string> head(std::string_view text) {
  const auto t = trim(text);
  const auto sp = t.find_first_of(kSpace);
  if (sp == std::string::npos) {
    return {t, ""};
  }
  return {t.substr(0, sp), trim(std::string_view(t).substr(sp + 1))};
}

bool looks_like_run_id(const std::string& s) {
  return s.size() >= 4 && s.size() <= 36 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
         });
}

UsageError usage(const std::string& what, const std::string& text) {
  return UsageError{what + "\n\n" + text};
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool in_word = false;
  for (char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) {
        out.push_back(cur);
        cur.clear();
        in_word = false;
      }
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) {
    out.push_back(cur);
  }
  return out;
}

std::string triage_usage() {
  return "*Usage*\n"
         "`/triage <what is wrong>` start a triage run here\n"
         "`/triage status [run]` a run's status (or the active runs in this channel)\n"
         "`/triage list` recent runs\n"
         "`/triage cancel <run>` stop a run\n"
         "`/triage timeline <run>` a run's full timeline\n"
         "`/triage resume-auto <backend:x|skill:y>` resume paused automatic triage\n"
         "`/triage help` this help";
}

std::string runbook_usage() {
  return "*Usage*\n"
         "`/runbook list` the runbooks (skills) Vigil has\n"
         "`/runbook show <skill>` what a runbook does and its parameters\n"
         "`/runbook run <skill> key=value …` run it here; changes still need approval";
}

std::string incident_usage() {
  return "*Usage*\n"
         "`/incident declare <title> [sev1|sev2|sev3|sev4]` open an incident\n"
         "`/incident status` open incidents\n"
         "`/incident resolve [incident]` resolve one (default: this channel's)\n"
         "`/incident timeline [incident]` the incident's timeline";
}

CommandParse parse_triage(std::string_view raw) {
  if (raw.size() > kMaxText) {
    return usage("That is too long (at most 3000 characters).", triage_usage());
  }
  auto [first, rest] = head(raw);
  const auto verb = lower(first);
  if (verb.empty()) {
    return usage("Tell me what is wrong, e.g. `/triage checkout 5xx since 14:02`.", triage_usage());
  }
  if (verb == "help") {
    return ParsedCommand{"help", "", {}, ""};
  }
  if (verb == "list") {
    if (!rest.empty()) {
      return usage("`list` takes no arguments.", triage_usage());
    }
    return ParsedCommand{"list", "", {}, ""};
  }
  if (verb == "status") {
    if (!rest.empty() && !looks_like_run_id(rest)) {
      return usage("`" + utf8_prefix(rest, kMaxQuoted) + "` is not a run id.", triage_usage());
    }
    return ParsedCommand{"status", rest, {}, ""};
  }
  if (verb == "cancel" || verb == "timeline") {
    if (rest.empty()) {
      return usage("`" + verb + "` needs a run id.", triage_usage());
    }
    if (!looks_like_run_id(rest)) {
      return usage("`" + utf8_prefix(rest, kMaxQuoted) + "` is not a run id.", triage_usage());
    }
    return ParsedCommand{verb, rest, {}, ""};
  }
  if (verb == "resume-auto") {
    if (rest.rfind("backend:", 0) != 0 && rest.rfind("skill:", 0) != 0) {
      return usage("`resume-auto` needs `backend:<name>` or `skill:<id>`.", triage_usage());
    }
    return ParsedCommand{"resume-auto", rest, {}, ""};
  }
  // Anything else is a description of the problem.
  return ParsedCommand{"start", trim(raw), {}, ""};
}

CommandParse parse_runbook(std::string_view raw) {
  if (raw.size() > kMaxText) {
    return usage("That is too long (at most 3000 characters).", runbook_usage());
  }
  auto [first, rest] = head(raw);
  const auto verb = lower(first);
  if (verb == "list" && rest.empty()) {
    return ParsedCommand{"list", "", {}, ""};
  }
  if (verb == "help" || verb.empty()) {
    return ParsedCommand{"help", "", {}, ""};
  }
  if (verb == "show") {
    if (rest.empty() || rest.find(' ') != std::string::npos) {
      return usage("`show` needs one runbook id.", runbook_usage());
    }
    return ParsedCommand{"show", rest, {}, ""};
  }
  if (verb == "run") {
    const auto words = split_words(rest);
    if (words.empty()) {
      return usage("`run` needs a runbook id.", runbook_usage());
    }
    ParsedCommand c{"run", words[0], {}, ""};
    for (std::size_t i = 1; i < words.size(); ++i) {
      const auto eq = words[i].find('=');
      if (eq == std::string::npos || eq == 0) {
        return usage("`" + utf8_prefix(words[i], kMaxQuoted) + "` is not key=value.", runbook_usage());
      }
      const auto key = words[i].substr(0, eq);
      if (c.params.count(key)) {
        return usage("`" + key + "` is given twice.", runbook_usage());
      }
      c.params[key] = words[i].substr(eq + 1);
    }
    return c;
  }
  return usage("I don't know `" + utf8_prefix(first, kMaxQuoted) + "`.", runbook_usage());
}

CommandParse parse_incident(std::string_view raw) {
  if (raw.size() > kMaxText) {
    return usage("That is too long (at most 3000 characters).", incident_usage());
  }
  auto [first, rest] = head(raw);
  const auto verb = lower(first);
  if (verb == "declare") {
    if (rest.empty()) {
      return usage("`declare` needs a title.", incident_usage());
    }
    ParsedCommand c{"declare", rest, {}, ""};
    // The severity is the last word as typed, bare or in quotes ("sev1"), after a title.
    const auto cut = rest.find_last_of(kSpace);
    if (cut != std::string::npos) {
      std::string last = lower(rest.substr(cut + 1));
      if (last.size() >= 2 && (last.front() == '"' || last.front() == '\'') && last.back() == last.front()) {
        last = last.substr(1, last.size() - 2);
      }
      if (last == "sev1" || last == "sev2" || last == "sev3" || last == "sev4") {
        c.severity = last;
        c.argument = trim(std::string_view(rest).substr(0, cut));
      }
    }
    return c;
  }
  if (verb == "status" || verb == "resolve" || verb == "timeline") {
    return ParsedCommand{verb, rest, {}, ""};
  }
  if (verb == "help" || verb.empty()) {
    return ParsedCommand{"help", "", {}, ""};
  }
  return usage("I don't know `" + utf8_prefix(first, kMaxQuoted) + "`.", incident_usage());
}

CommandParse parse_command(std::string_view command, std::string_view text) {
  if (command == "/triage")
    return parse_triage(text);
  if (command == "/runbook")
    return parse_runbook(text);
  if (command == "/incident")
    return parse_incident(text);
  return UsageError{"Vigil does not know the command " + utf8_prefix(command, 32) + "."};
}

}  // namespace vigil::handlers
