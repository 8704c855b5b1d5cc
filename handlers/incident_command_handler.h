#pragma once

#include <string>
#include <variant>

#include "handlers/command_parser.h"
#include "handlers/handler_context.h"
#include "integrations/slack/blocks.h"
#include "integrations/slack/events.h"

namespace vigil::handlers {

/// `/incident declare|status|resolve|timeline`: the incident record people declare by hand (with
/// its own channel when configured), its status, its resolution and its Markdown timeline. Runs
/// started with `/triage` in the incident's channel attach to it; alerts attach by fingerprint.
class IncidentCommandHandler {
 public:
  explicit IncidentCommandHandler(HandlerContext& ctx) : ctx_(ctx) {}

  Task<> handle(slack::SlashCommand command);

 private:
  Task<> declare(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> status(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> resolve(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> timeline(const slack::SlashCommand& c, const ParsedCommand& cmd);
  Task<> reply(const slack::SlashCommand& c, const std::string& text);
  /// Creates <prefix>-YYYYMMDD-<slug> (a number appended when the name is taken) and invites the
  /// declarer. Returns the channel id, or the reason it could not.
  Task<std::variant<std::string, Error>> create_channel(const IncidentRecord& incident, const std::string& user);
  /// The incident named by `argument` (full id or unique prefix), or else this channel's newest
  /// open one; an error text for the person otherwise.
  std::variant<IncidentRecord, std::string> find_incident(const std::string& argument, const std::string& channel);
  /// Rewrites the incident's root message (open → resolved).
  Task<> update_root(const IncidentRecord& incident, const std::string& resolved_by);

  HandlerContext& ctx_;
};

/// "checkout-down-for-eu" from "Checkout down for EU!": lower case, runs of anything else as one
/// dash, at most `max` characters.
std::string channel_slug(const std::string& title, std::size_t max);

/// The blocks view of an incident record.
slack::blocks::IncidentView incident_view(const IncidentRecord& incident, const std::string& resolved_by);

}  // namespace vigil::handlers
