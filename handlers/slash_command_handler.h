#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "handlers/handler_context.h"
#include "handlers/incident_command_handler.h"
#include "integrations/slack/events.h"
#include "skills/parameter_input.h"

namespace vigil::handlers {

/// `/triage` and `/runbook` (and `/incident`, through IncidentCommandHandler): validate, call the
/// core, reply privately. Mistakes get
/// the usage help (already in the ack, so instantly); the root message of a run is posted by the
/// presenter.
/// The private answer to `/runbook run` with parameters that are missing, unknown or refused: each
/// problem in words, then the usage with every parameter described and an example. Pure.
std::string runbook_run_usage(const skills::Skill& skill, const skills::ParameterCheck& check);

/// The private answer to `/triage <text>`: started, queued (with its place), already started by
/// this same request, or why it could not start. Pure.
std::string start_result_text(const Result<StartResult>& started);

class SlashCommandHandler {
 public:
  explicit SlashCommandHandler(HandlerContext& ctx) : ctx_(ctx), incidents_(ctx) {}

  Task<> handle(slack::SlashCommand command);

  /// The ack's payload for a slash command envelope, decided at once without I/O: usage help for
  /// a mistake, nothing otherwise (the handler answers through response_url).
  static std::optional<nlohmann::json> ack_payload(const std::string& command, const std::string& text);

 private:
  Task<> triage(const slack::SlashCommand& c);
  // The `/triage` verbs, one each.
  Task<> start_triage(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> run_status(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> list_runs(const slack::SlashCommand& c);
  Task<> cancel_run(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> run_timeline(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> resume_auto_triage(const slack::SlashCommand& c, const ParsedCommand& cmd);
  /// The run a `/triage <text>` asks for: this channel's backend, and the channel's open declared
  /// incident when there is one.
  RunTrigger triage_trigger(const slack::SlashCommand& c, const ParsedCommand& cmd,
                            const std::optional<ChannelBinding>& binding);
  Task<> runbook(const slack::SlashCommand& c);
  /// `/runbook run <skill> key=value…`: parameters checked, then who may start it, then the run.
  Task<> run_runbook(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> reply(const slack::SlashCommand& c, const std::string& text);
  /// A run by its full id or a unique prefix; an error text otherwise.
  std::variant<RunRecord, std::string> resolve_run(const std::string& id);

  HandlerContext& ctx_;
  IncidentCommandHandler incidents_;
};

}  // namespace vigil::handlers
