#include "handlers/command_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::handlers {
namespace {

ParsedCommand ok(const CommandParse& p) {
  EXPECT_TRUE(std::holds_alternative<ParsedCommand>(p)) << std::get<UsageError>(p).message;
  return std::holds_alternative<ParsedCommand>(p) ? std::get<ParsedCommand>(p) : ParsedCommand{};
}
std::string err(const CommandParse& p) {
  EXPECT_TRUE(std::holds_alternative<UsageError>(p));
  return std::holds_alternative<UsageError>(p) ? std::get<UsageError>(p).message : "";
}

TEST(CommandParser, TriageVerbsAndFreeText) {
  EXPECT_EQ(ok(parse_triage("checkout 5xx since 14:02")).verb, "start");
  EXPECT_EQ(ok(parse_triage("  checkout 5xx  ")).argument, "checkout 5xx");
  EXPECT_EQ(ok(parse_triage("status")).verb, "status");
  EXPECT_EQ(ok(parse_triage("status 6f1c2d3e")).argument, "6f1c2d3e");
  EXPECT_EQ(ok(parse_triage("LIST")).verb, "list");
  EXPECT_EQ(ok(parse_triage("cancel 6f1c2d3e")).verb, "cancel");
  EXPECT_EQ(ok(parse_triage("timeline 6f1c2d3e-0000-4000-8000-000000000001")).verb, "timeline");
  EXPECT_EQ(ok(parse_triage("help")).verb, "help");
  EXPECT_EQ(ok(parse_triage("resume-auto backend:codex")).argument, "backend:codex");
}

TEST(CommandParser, TriageMistakesGetUsage) {
  EXPECT_NE(err(parse_triage("")).find("*Usage*"), std::string::npos);
  EXPECT_NE(err(parse_triage("cancel")).find("needs a run id"), std::string::npos);
  EXPECT_NE(err(parse_triage("cancel ; rm -rf /")).find("is not a run id"), std::string::npos);
  EXPECT_NE(err(parse_triage("list extra")).find("takes no arguments"), std::string::npos);
  EXPECT_NE(err(parse_triage("resume-auto everything")).find("backend:"), std::string::npos);
  EXPECT_NE(err(parse_triage(std::string(5000, 'x'))).find("too long"), std::string::npos);
}

TEST(CommandParser, Runbook) {
  EXPECT_EQ(ok(parse_runbook("list")).verb, "list");
  EXPECT_EQ(ok(parse_runbook("show oom-killed")).argument, "oom-killed");
  const auto run = ok(parse_runbook("run oom-killed namespace=prod pod=\"api 1\""));
  EXPECT_EQ(run.argument, "oom-killed");
  EXPECT_EQ(run.params.at("namespace"), "prod");
  EXPECT_EQ(run.params.at("pod"), "api 1");
  EXPECT_NE(err(parse_runbook("run oom-killed prod")).find("is not key=value"), std::string::npos);
  EXPECT_NE(err(parse_runbook("run x a=1 a=2")).find("given twice"), std::string::npos);
  EXPECT_NE(err(parse_runbook("frobnicate")).find("I don't know"), std::string::npos);
  EXPECT_NE(err(parse_runbook("show")).find("needs one runbook id"), std::string::npos);
}

TEST(CommandParser, Incident) {
  const auto d = ok(parse_incident("declare Checkout down for EU sev1"));
  EXPECT_EQ(d.argument, "Checkout down for EU");
  EXPECT_EQ(d.severity, "sev1");
  EXPECT_EQ(ok(parse_incident("declare sev1")).argument, "sev1");  // a one-word title
  EXPECT_EQ(ok(parse_incident("status")).verb, "status");
  EXPECT_NE(err(parse_incident("declare")).find("needs a title"), std::string::npos);
  EXPECT_NE(err(parse_command("/other", "x")).find("does not know"), std::string::npos);
}

// Found by fuzz/fuzz_command_parser (fuzz/regressions/command_parser/): a quoted word cut at
// byte 64 in the middle of a character made the ack's JSON dump throw.
TEST(CommandParser, UsageAnswersQuoteWholeCharacters) {
  const std::string word = std::string(63, 'K') + "\xF4\x8D\x9A\x8C";  // a 4-byte character at 63..66
  for (const auto& [command, text] : std::vector<std::pair<std::string, std::string>>{{"/triage", "status " + word},
                                                                                      {"/triage", "cancel " + word},
                                                                                      {"/runbook", word},
                                                                                      {"/runbook", "run skill " + word},
                                                                                      {"/incident", word}}) {
    const auto message = err(parse_command(command, text));
    EXPECT_NE(message.find(std::string(63, 'K') + "`"), std::string::npos) << command << " " << text;
    EXPECT_NO_THROW(((void)nlohmann::json{{"text", message}}.dump())) << command << " " << text;
  }
  const auto unknown = err(parse_command("/" + std::string(30, 'K') + "\xF4\x8D\x9A\x8C", "x"));  // cut at 32
  EXPECT_NE(unknown.find("/" + std::string(30, 'K') + "."), std::string::npos);
  EXPECT_NO_THROW(((void)nlohmann::json{{"text", unknown}}.dump()));
}

// Found by fuzz/fuzz_command_parser: "declare" followed by only a vertical tab made split_words
// return nothing and words.back() read before the vector.
TEST(CommandParser, DeclareWithOnlyOddWhitespaceIsNotATitle) {
  EXPECT_NE(err(parse_incident("declare \v")).find("needs a title"), std::string::npos);
  EXPECT_NE(err(parse_incident("declare \f\v ")).find("needs a title"), std::string::npos);
  EXPECT_EQ(ok(parse_incident("declare\vDB down\fsev2")).argument, "DB down");
  EXPECT_EQ(ok(parse_incident("declare\vDB down\fsev2")).severity, "sev2");
}

TEST(CommandParser, DeclareTakesAQuotedSeverityWithoutAStrayQuoteInTheTitle) {
  // A quoted severity is still the severity, and leaves no stray quote in the title.
  EXPECT_EQ(ok(parse_incident("declare x \"sev1\"")).argument, "x");
  EXPECT_EQ(ok(parse_incident("declare x \"sev1\"")).severity, "sev1");
  EXPECT_EQ(ok(parse_incident("declare Payments 'SEV3'")).severity, "sev3");
  // Inside a quoted title it is part of the title.
  EXPECT_EQ(ok(parse_incident("declare \"DB down sev2\"")).argument, "\"DB down sev2\"");
  EXPECT_EQ(ok(parse_incident("declare \"DB down sev2\"")).severity, "");
}

}  // namespace
}  // namespace vigil::handlers
