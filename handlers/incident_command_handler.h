#pragma once

#include <string>
#include <variant>

#include "bot/core/incident_service.h"
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
  /// Gives a declared incident its own channel (incidents.create_channel) and points the channel it
  /// was declared in there; `incident.channel` becomes the new one. Returns what the declarer should
  /// be told when it could not (empty otherwise).
  Task<std::string> move_to_own_channel(const slack::SlashCommand& c, IncidentRecord& incident);
  /// Posts the incident's root message in its channel and fills `incident.thread_ts`; returns what
  /// the declarer should be told when it could not (empty otherwise).
  Task<std::string> post_root(IncidentRecord& incident);
  /// Rewrites the incident's root message (open → resolved).
  Task<> update_root(const IncidentRecord& incident, const std::string& resolved_by);
  /// Tells the resolution where the incident lives: its run's thread or its own thread.
  Task<> tell_resolution(const IncidentResolution& resolution, const std::string& by);

  HandlerContext& ctx_;
};

/// "checkout-down-for-eu" from "Checkout down for EU!": lower case, runs of anything else as one
/// dash, at most `max` characters.
std::string channel_slug(const std::string& title, std::size_t max);

/// What a person is told when no incident answers `argument` (the id they gave, or none).
std::string lookup_failure_text(IncidentLookupFailure failure, const std::string& argument);
/// `/incident status` listing every open incident (`now` in unix seconds).
std::string open_incidents_text(const OpenIncidents& open, long long now);
/// `/incident status` of one incident: state, severity, age, alerts and its runs.
std::string incident_detail_text(const IncidentDetail& detail, long long now);

/// The blocks view of an incident record.
slack::blocks::IncidentView incident_view(const IncidentRecord& incident, const std::string& resolved_by);

}  // namespace vigil::handlers
