#include "handlers/incident_command_handler.h"

#include <cctype>

#include "bot/base/ids.h"
#include "bot/slack/markdown_timeline.h"
#include "bot/core/timeline.h"
#include "handlers/replies.h"
#include "integrations/slack/blocks.h"

namespace vigil::handlers {
namespace {

using slack::blocks::escape;

std::string short_id(const std::string& id) { return id.substr(0, 8); }

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

std::variant<IncidentRecord, std::string> IncidentCommandHandler::find_incident(const std::string& argument,
                                                                              const std::string& channel) {
  if (argument.empty()) {
    const auto here = ctx_.store.open_incidents_in_channel(channel);
    if (here.empty()) {
      return std::string("There is no open incident in this channel; give its id (`/incident status` lists them).");
    }
    return here.front();
  }
  if (auto exact = ctx_.store.get_incident(argument)) {
    return *exact;
  }
  const auto found = ctx_.store.find_incidents_by_prefix(argument, 2);
  if (found.empty()) {
    return "There is no incident `" + escape(argument.substr(0, 36)) + "`.";
  }
  if (found.size() > 1) {
    return "`" + escape(argument.substr(0, 36)) + "` matches more than one incident; give more of the id.";
  }
  return found.front();
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
  const std::string stem = ctx_.config.incidents.channel_prefix + "-" + date.substr(0, 4) + date.substr(5, 2) +
                           date.substr(8, 2) + "-";
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

Task<> IncidentCommandHandler::declare(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const long long now = to_unix(ctx_.clock.now());
  IncidentRecord incident;
  incident.id = new_uuid();
  incident.title = ctx_.redactor.redact(cmd.argument);
  incident.severity = cmd.severity;
  incident.source = "slack";
  incident.channel = c.channel_id;
  incident.declared_by = c.user_id;
  incident.created_at = now;
  if (auto created = ctx_.store.create_incident(incident); !created) {
    const auto text = ":warning: Could not record the incident: " + escape(created.error().detail);
    co_await reply(c, text);
    co_return;
  }
  ctx_.store.append_incident_event({0, incident.id, to_unix_ms(ctx_.clock.now()), "declared", c.user_id,
                                    (incident.severity.empty() ? std::string() : incident.severity + ", ") +
                                        "declared in #" + c.channel_name});
  ctx_.audit(c.user_id, "incident.declared", "", incident.id + " " + incident.title);

  std::string note;
  if (ctx_.config.incidents.create_channel) {
    auto made = co_await create_channel(incident, c.user_id);
    if (const auto* channel = std::get_if<std::string>(&made)) {
      incident.channel = *channel;
      ctx_.store.append_incident_event({0, incident.id, to_unix_ms(ctx_.clock.now()), "channel_created", "vigil",
                                        "<#" + *channel + ">, " + c.user_id + " invited"});
      // Tell the channel where it was declared where the work happens.
      slack::OutgoingMessage pointer;
      pointer.channel = c.channel_id;
      const auto pointer_text = ":rotating_light: <@" + c.user_id + "> declared *" + escape(incident.title) + "*" +
                                (incident.severity.empty() ? std::string() : " (" + incident.severity + ")") +
                                " — follow it in <#" + *channel + ">";
      const auto built = slack::blocks::text(pointer_text);
      pointer.text = built.text;
      pointer.blocks = built.blocks;
      auto posted = co_await ctx_.web.post_message(std::move(pointer));
      if (!posted) {
        ctx_.log->info("channel={}: could not point to the incident channel: {}", c.channel_id,
                       posted.error().message());
      }
    } else {
      const auto& error = std::get<Error>(made);
      ctx_.log->warn("incident={}: could not create its channel: {}", incident.id, error.message());
      note = "\n:warning: I could not create its channel (" + escape(error.detail) +
             "); it lives in this channel's thread instead.";
    }
  }

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
    note += "\n:warning: I could not post in <#" + incident.channel + "> (" + escape(posted.error().detail) +
            "); invite me with `/invite @vigil`.";
  }
  ctx_.store.set_incident_thread(incident.id, incident.channel, incident.thread_ts);
  const auto text = ":rotating_light: Declared incident `" + short_id(incident.id) + "` *" + escape(incident.title) +
                    "*" + (incident.severity.empty() ? std::string() : " (" + incident.severity + ")") +
                    ". `/triage <what is wrong>` in <#" + incident.channel +
                    "> attaches a triage run; `/incident resolve` closes it." + note;
  co_await reply(c, text);
}

Task<> IncidentCommandHandler::status(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const long long now = to_unix(ctx_.clock.now());
  const auto here = ctx_.store.open_incidents_in_channel(c.channel_id);
  if (cmd.argument.empty() && here.empty()) {
    const auto open = ctx_.store.list_incidents(10, true);
    std::string text = open.empty() ? "No open incidents." : "*Open incidents*";
    for (const auto& i : open) {
      text += "\n" + incident_line(i, now);
    }
    co_await reply(c, text);
    co_return;
  }
  const auto found = find_incident(cmd.argument, c.channel_id);
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
    co_return;
  }
  const auto& i = std::get<IncidentRecord>(found);
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
  const auto runs = ctx_.store.runs_for_incident(i.id);
  text += runs.empty() ? "\nNo triage runs yet." : "\n*Runs*";
  for (const auto& r : runs) {
    const auto result = r.shown_result();
    text += "\n• `" + short_id(r.id) + "` " + (result ? std::string(icon_of(*result)) + " " : "") + "*" +
            r.shown_status() + "* " + escape(r.text.substr(0, 120));
  }
  if (cmd.argument.empty() && here.size() > 1) {
    text += "\n_" + std::to_string(here.size() - 1) + " more open here; `/incident status <id>` for one._";
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

Task<> IncidentCommandHandler::resolve(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto found = find_incident(cmd.argument, c.channel_id);
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
    co_return;
  }
  const auto& i = std::get<IncidentRecord>(found);
  const long long now = to_unix(ctx_.clock.now());
  if (!ctx_.store.resolve_incident(i.id, now)) {
    const auto text = "Incident `" + short_id(i.id) + "` is already resolved.";
    co_await reply(c, text);
    co_return;
  }
  ctx_.store.append_incident_event({0, i.id, to_unix_ms(ctx_.clock.now()), "resolved", c.user_id, "resolved with /incident resolve"});
  ctx_.audit(c.user_id, "incident.resolved", "", i.id);
  const auto resolved = ctx_.store.get_incident(i.id).value_or(i);
  co_await update_root(resolved, c.user_id);
  const auto duration = format_duration(now - i.created_at);
  const auto active = ctx_.store.runs_for_incident(i.id);
  int still_running = 0;
  for (const auto& r : active) {
    still_running += is_terminal(r.state) ? 0 : 1;
  }
  std::string line = ":white_check_mark: Resolved by <@" + c.user_id + "> after " + duration + ". `/incident timeline " +
                     short_id(i.id) + "` gives the write-up.";
  if (still_running > 0) {
    line += " " + std::to_string(still_running) + " triage run" + (still_running == 1 ? " is" : "s are") +
            " still active; cancel with `/triage cancel <run>` if no longer needed.";
  }
  if (resolved.thread_ts.empty() && !active.empty()) {
    // An alert's incident lives in its run's thread.
    ctx_.runs.note(active.back().id, "incident resolved by " + c.user_id + " after " + duration, c.user_id);
  } else if (!resolved.channel.empty() && !resolved.thread_ts.empty()) {
    const auto built = slack::blocks::text(line);
    slack::OutgoingMessage m;
    m.channel = resolved.channel;
    m.thread_ts = resolved.thread_ts;
    m.text = built.text;
    m.blocks = built.blocks;
    auto posted = co_await ctx_.web.post_message(std::move(m));
    if (!posted) {
      ctx_.log->info("incident={}: could not post the resolution: {}", i.id, posted.error().message());
    }
  }
  const auto text = ":white_check_mark: Resolved incident `" + short_id(i.id) + "` *" + escape(i.title) + "* after " +
                    duration + ".";
  co_await reply(c, text);
}

Task<> IncidentCommandHandler::timeline(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  auto found = find_incident(cmd.argument, c.channel_id);
  if (cmd.argument.empty() && std::holds_alternative<std::string>(found)) {
    // No open incident here: the newest one of this channel, resolved or not, is what people mean.
    for (const auto& i : ctx_.store.list_incidents(50, false)) {
      if (i.channel == c.channel_id) {
        found = i;
        break;
      }
    }
  }
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
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
