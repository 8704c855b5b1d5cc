#include "handlers/incident_command_handler.h"

#include <cctype>

#include "bot/slack/markdown_timeline.h"
#include "bot/core/timeline.h"
#include "handlers/replies.h"
#include "integrations/slack/blocks.h"

namespace vigil::handlers {
namespace {

using slack::blocks::escape;

std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

std::string mention(const std::string& who) {
  return !who.empty() && who[0] == 'U' ? "<@" + who + ">" : escape(who);
}

std::string incident_line(const IncidentRecord& i, long long now) {
  std::string line = "• `" + short_id(i.id) + "` *" + escape(i.title.substr(0, 150)) + "*";
  if (!i.severity.empty()) {
    line += " (" + escape(i.severity) + ")";
  }
  line += " — " + escape(i.state) + ", opened " + format_duration(now - i.created_at) + " ago";
  if (!i.channel.empty()) {
    line += " in <#" + i.channel + ">";
  }
  return line;
}

}  // namespace

std::string channel_slug(const std::string& title, std::size_t max) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c) && c < 0x80) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= max) {
      break;
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out.empty() ? "incident" : out;
}

slack::blocks::IncidentView incident_view(const IncidentRecord& i, const std::string& by) {
  slack::blocks::IncidentView v;
  v.id = i.id;
  v.title = i.title;
  v.severity = i.severity;
  v.state = i.state;
  v.declared_by = i.declared_by;
  v.opened_at = human_time(i.created_at);
  if (i.resolved_at) {
    v.resolved_at = human_time(*i.resolved_at);
    v.resolved_by = by;
    v.duration = format_duration(*i.resolved_at - i.created_at);
  }
  v.channel = i.channel;
  return v;
}

Task<> IncidentCommandHandler::reply(const slack::SlashCommand& c, const std::string& text) {
  co_await reply_privately(ctx_.web, ctx_.log, c.response_url, c.channel_id, c.user_id, text);
}

std::string lookup_failure_text(IncidentLookupFailure failure, const std::string& argument) {
  switch (failure) {
    case IncidentLookupFailure::NoneOpenHere:
      return "There is no open incident in this channel; give its id (`/incident status` lists them).";
    case IncidentLookupFailure::NotFound:
      return "There is no incident `" + escape(argument.substr(0, 36)) + "`.";
    case IncidentLookupFailure::Ambiguous:
      return "`" + escape(argument.substr(0, 36)) + "` matches more than one incident; give more of the id.";
  }
  return {};
}

std::string open_incidents_text(const OpenIncidents& open, long long now) {
  std::string text = open.incidents.empty() ? "No open incidents." : "*Open incidents*";
  for (const auto& i : open.incidents) {
    text += "\n" + incident_line(i, now);
  }
  return text;
}

std::string incident_detail_text(const IncidentDetail& detail, long long now) {
  const auto& i = detail.incident;
  std::string text = "*" + escape(i.title) + "* (`" + short_id(i.id) + "`)\n" +
                     (i.state == "open" ? ":rotating_light: open" : ":white_check_mark: resolved") +
                     (i.severity.empty() ? std::string() : " · " + escape(i.severity)) + " · opened " +
                     human_time(i.created_at) + " by " + mention(i.declared_by);
  if (i.resolved_at) {
    text += " · resolved " + human_time(*i.resolved_at) + " after " + format_duration(*i.resolved_at - i.created_at);
  } else {
    text += " · open for " + format_duration(now - i.created_at);
  }
  if (i.alert_count > 0) {
    text += "\nAlerts: " + std::to_string(i.alert_count);
  }
  text += detail.runs.empty() ? "\nNo triage runs yet." : "\n*Runs*";
  for (const auto& r : detail.runs) {
    const auto result = r.shown_result();
    text += "\n• `" + short_id(r.id) + "` " + (result ? std::string(icon_of(*result)) + " " : "") + "*" +
            r.shown_status() + "* " + escape(r.text.substr(0, 120));
  }
  if (detail.more_open_here > 0) {
    text += "\n_" + std::to_string(detail.more_open_here) + " more open here; `/incident status <id>` for one._";
  }
  return text;
}

Task<> IncidentCommandHandler::handle(slack::SlashCommand c) {
  const auto parsed = parse_incident(c.text);
  const auto* cmd = std::get_if<ParsedCommand>(&parsed);
  if (!cmd) {
    co_return;  // the ack already carried the usage help
  }
  if (cmd->verb == "declare") {
    co_await declare(c, *cmd);
  } else if (cmd->verb == "status") {
    co_await status(c, *cmd);
  } else if (cmd->verb == "resolve") {
    co_await resolve(c, *cmd);
  } else if (cmd->verb == "timeline") {
    co_await timeline(c, *cmd);
  } else {
    const auto usage = incident_usage();
    co_await reply(c, usage);
  }
}

Task<std::variant<std::string, Error>> IncidentCommandHandler::create_channel(const IncidentRecord& incident,
                                                                              const std::string& user) {
  // <prefix>-YYYYMMDD-<slug>; Slack channel names are at most 80 characters.
  const auto date = format_time(incident.created_at).substr(0, 10);  // 2026-11-22
  const std::string stem =
      ctx_.config.incidents.channel_prefix + "-" + date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2) + "-";
  const std::string base = stem + channel_slug(incident.title, 80 - stem.size() - 3);
  Error last = make_error(Errc::SlackApi, "name_taken");
  for (int attempt = 1; attempt <= 5; ++attempt) {
    std::string name = attempt == 1 ? base : base + "-" + std::to_string(attempt);
    auto created = co_await ctx_.web.conversations_create(std::move(name), false);
    if (!created) {
      last = created.error();
      if (created.error().detail == "name_taken") {
        continue;
      }
      co_return last;
    }
    std::string channel = created->id;
    std::vector<std::string> users{user};
    auto invited = co_await ctx_.web.conversations_invite(channel, std::move(users));
    if (!invited && invited.error().detail != "already_in_channel") {
      ctx_.log->warn("incident={} channel={}: could not invite {}: {}", incident.id, channel, user,
                     invited.error().message());
    }
    co_return channel;
  }
  co_return last;
}

Task<std::string> IncidentCommandHandler::move_to_own_channel(const slack::SlashCommand& c, IncidentRecord& incident) {
  std::string note;
  auto made = co_await create_channel(incident, c.user_id);
  if (const auto* error = std::get_if<Error>(&made)) {
    ctx_.log->warn("incident={}: could not create its channel: {}", incident.id, error->message());
    note = "\n:warning: I could not create its channel (" + escape(error->detail) +
           "); it lives in this channel's thread instead.";
    co_return note;
  }
  const auto& channel = std::get<std::string>(made);
  incident.channel = channel;
  ctx_.incidents.record_channel_created(incident.id, channel, c.user_id);
  // Tell the channel where it was declared where the work happens.
  slack::OutgoingMessage pointer;
  pointer.channel = c.channel_id;
  const auto pointer_text = ":rotating_light: <@" + c.user_id + "> declared *" + escape(incident.title) + "*" +
                            (incident.severity.empty() ? std::string() : " (" + incident.severity + ")") +
                            " — follow it in <#" + channel + ">";
  const auto built = slack::blocks::text(pointer_text);
  pointer.text = built.text;
  pointer.blocks = built.blocks;
  auto posted = co_await ctx_.web.post_message(std::move(pointer));
  if (!posted) {
    ctx_.log->info("channel={}: could not point to the incident channel: {}", c.channel_id, posted.error().message());
  }
  co_return note;
}

Task<std::string> IncidentCommandHandler::post_root(IncidentRecord& incident) {
  std::string note;
  const auto root = slack::blocks::incident_root(incident_view(incident, ""));
  slack::OutgoingMessage m;
  m.channel = incident.channel;
  m.text = root.text;
  m.blocks = root.blocks;
  auto posted = co_await ctx_.web.post_message(std::move(m));
  if (posted) {
    incident.thread_ts = posted->ts;
  } else {
    ctx_.log->warn("incident={} channel={}: could not post its root message: {}", incident.id, incident.channel,
                   posted.error().message());
    note = "\n:warning: I could not post in <#" + incident.channel + "> (" + escape(posted.error().detail) +
           "); invite me with `/invite @vigil`.";
  }
  co_return note;
}

Task<> IncidentCommandHandler::declare(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  IncidentDeclaration declaration;
  declaration.title = cmd.argument;
  declaration.severity = cmd.severity;
  declaration.channel = c.channel_id;
  declaration.channel_name = c.channel_name;
  declaration.declared_by = c.user_id;
  auto declared = ctx_.incidents.declare(declaration);
  if (!declared) {
    const auto text = ":warning: Could not record the incident: " + escape(declared.error().detail);
    co_await reply(c, text);
    co_return;
  }
  auto& incident = *declared;
  std::string note;
  if (ctx_.config.incidents.create_channel) {
    const auto channel_note = co_await move_to_own_channel(c, incident);
    note += channel_note;
  }
  const auto root_note = co_await post_root(incident);
  note += root_note;
  ctx_.incidents.set_root(incident.id, incident.channel, incident.thread_ts);
  const auto text = ":rotating_light: Declared incident `" + short_id(incident.id) + "` *" + escape(incident.title) +
                    "*" + (incident.severity.empty() ? std::string() : " (" + incident.severity + ")") +
                    ". `/triage <what is wrong>` in <#" + incident.channel +
                    "> attaches a triage run; `/incident resolve` closes it." + note;
  co_await reply(c, text);
}

Task<> IncidentCommandHandler::status(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const long long now = to_unix(ctx_.clock.now());
  const auto found = ctx_.incidents.status(cmd.argument, c.channel_id);
  std::string text;
  if (const auto* open = std::get_if<OpenIncidents>(&found)) {
    text = open_incidents_text(*open, now);
  } else if (const auto* failure = std::get_if<IncidentLookupFailure>(&found)) {
    text = lookup_failure_text(*failure, cmd.argument);
  } else {
    text = incident_detail_text(std::get<IncidentDetail>(found), now);
  }
  co_await reply(c, text);
}

Task<> IncidentCommandHandler::update_root(const IncidentRecord& incident, const std::string& by) {
  if (incident.channel.empty() || incident.thread_ts.empty()) {
    co_return;
  }
  const auto root = slack::blocks::incident_root(incident_view(incident, by));
  slack::MessageRef where{incident.channel, incident.thread_ts};
  slack::OutgoingMessage m;
  m.channel = incident.channel;
  m.text = root.text;
  m.blocks = root.blocks;
  auto updated = co_await ctx_.web.update_message(std::move(where), std::move(m));
  if (!updated) {
    ctx_.log->warn("incident={}: could not update its root message: {}", incident.id, updated.error().message());
  }
}

Task<> IncidentCommandHandler::tell_resolution(const IncidentResolution& resolution, const std::string& by) {
  const auto& i = resolution.incident;
  const auto duration = format_duration(resolution.open_for);
  if (!resolution.run_to_tell.empty()) {
    // An alert's incident lives in its run's thread.
    ctx_.runs.note(resolution.run_to_tell, "incident resolved by " + by + " after " + duration, by);
    co_return;
  }
  if (i.channel.empty() || i.thread_ts.empty()) {
    co_return;
  }
  std::string line = ":white_check_mark: Resolved by <@" + by + "> after " + duration + ". `/incident timeline " +
                     short_id(i.id) + "` gives the write-up.";
  if (resolution.still_running > 0) {
    line += " " + std::to_string(resolution.still_running) + " triage run" +
            (resolution.still_running == 1 ? " is" : "s are") +
            " still active; cancel with `/triage cancel <run>` if no longer needed.";
  }
  const auto built = slack::blocks::text(line);
  slack::OutgoingMessage m;
  m.channel = i.channel;
  m.thread_ts = i.thread_ts;
  m.text = built.text;
  m.blocks = built.blocks;
  auto posted = co_await ctx_.web.post_message(std::move(m));
  if (!posted) {
    ctx_.log->info("incident={}: could not post the resolution: {}", i.id, posted.error().message());
  }
}

Task<> IncidentCommandHandler::resolve(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto outcome = ctx_.incidents.resolve(cmd.argument, c.channel_id, c.user_id);
  if (const auto* failure = std::get_if<IncidentLookupFailure>(&outcome)) {
    const auto text = lookup_failure_text(*failure, cmd.argument);
    co_await reply(c, text);
    co_return;
  }
  const auto& resolution = std::get<IncidentResolution>(outcome);
  const auto& i = resolution.incident;
  if (resolution.kind == IncidentResolution::Kind::AlreadyResolved) {
    const auto text = "Incident `" + short_id(i.id) + "` is already resolved.";
    co_await reply(c, text);
    co_return;
  }
  co_await update_root(i, c.user_id);
  co_await tell_resolution(resolution, c.user_id);
  const auto text = ":white_check_mark: Resolved incident `" + short_id(i.id) + "` *" + escape(i.title) + "* after " +
                    format_duration(resolution.open_for) + ".";
  co_await reply(c, text);
}

Task<> IncidentCommandHandler::timeline(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto found = ctx_.incidents.find_for_timeline(cmd.argument, c.channel_id);
  if (const auto* failure = std::get_if<IncidentLookupFailure>(&found)) {
    const auto text = lookup_failure_text(*failure, cmd.argument);
    co_await reply(c, text);
    co_return;
  }
  const auto& i = std::get<IncidentRecord>(found);
  auto people = people_in_incident(ctx_.store, i);
  const auto names = co_await ctx_.users.names(std::move(people));
  const auto markdown = ctx_.redactor.redact(format_incident_markdown(ctx_.store, i, names));
  const auto doc = slack::blocks::document("Timeline: " + i.title, markdown, "vigil incidents show " + i.id);
  const std::string thread = i.channel == c.channel_id ? i.thread_ts : std::string();
  co_await post_document(ctx_.web, ctx_.log, c.response_url, c.channel_id, thread, doc);
}

}  // namespace vigil::handlers
