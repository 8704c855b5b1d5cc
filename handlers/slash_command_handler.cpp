#include "handlers/slash_command_handler.h"

#include "bot/core/run_lookup.h"
#include "bot/slack/markdown_timeline.h"
#include "handlers/command_parser.h"
#include "handlers/replies.h"
#include "handlers/start_check.h"
#include "integrations/slack/blocks.h"
#include "skills/parameter_input.h"

namespace vigil::handlers {
namespace {

std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

std::string run_line(const RunRecord& r, long long now) {
  const auto start = r.started_at.value_or(r.created_at);
  const auto end = r.finished_at.value_or(now);
  const auto result = r.shown_result();
  std::string line = "• `" + short_id(r.id) + "` " + (result ? std::string(icon_of(*result)) + " " : "") + "*" +
                     r.shown_status() + "* " + slack::blocks::escape(r.text.substr(0, 120)) + " — " + r.backend + ", " +
                     std::to_string(std::max<long long>(0, end - start)) + "s";
  if (!r.requester.empty() && r.requester[0] == 'U') {
    line += ", by <@" + r.requester + ">";
  }
  if (r.repeat_count > 1) {
    line += ", seen " + std::to_string(r.repeat_count) + "×";
  }
  if (!r.channel.empty() && !r.thread_ts.empty()) {
    line += " (thread in <#" + r.channel + ">)";
  }
  return line;
}

}  // namespace

std::string runbook_run_usage(const skills::Skill& skill, const skills::ParameterCheck& check) {
  std::string text;
  for (const auto& p : check.problems) {
    text += ":warning: " + slack::blocks::escape(p.message) + "\n";
  }
  text += "Nothing was started. *Usage:* " + slack::blocks::escape(skills::usage_text(skill));
  return slack::blocks::truncate(text, slack::blocks::kMaxSectionText);
}

std::optional<nlohmann::json> SlashCommandHandler::ack_payload(const std::string& command, const std::string& text) {
  const auto parsed = parse_command(command, text);
  if (const auto* e = std::get_if<UsageError>(&parsed)) {
    return nlohmann::json{{"response_type", "ephemeral"},
                          {"text", slack::blocks::truncate(e->message, slack::blocks::kMaxSectionText)}};
  }
  return std::nullopt;
}

Task<> SlashCommandHandler::reply(const slack::SlashCommand& c, const std::string& text) {
  co_await reply_privately(ctx_.web, ctx_.log, c.response_url, c.channel_id, c.user_id, text);
}

std::variant<RunRecord, std::string> SlashCommandHandler::resolve_run(const std::string& id) {
  auto found = find_run(ctx_.store, id);
  if (auto* run = std::get_if<RunRecord>(&found)) {
    return std::move(*run);
  }
  if (std::get<RunLookupFailure>(found) == RunLookupFailure::NotFound) {
    return "There is no run `" + slack::blocks::escape(id.substr(0, 36)) + "`.";
  }
  return "`" + slack::blocks::escape(id) + "` matches more than one run; give more of the id.";
}

Task<> SlashCommandHandler::handle(slack::SlashCommand c) {
  if (c.command == "/triage") {
    co_await triage(c);
  } else if (c.command == "/runbook") {
    co_await runbook(c);
  } else if (c.command == "/incident") {
    co_await incidents_.handle(std::move(c));
  } else {
    ctx_.log->debug("user={} channel={}: ignoring unknown command {}", c.user_id, c.channel_id, c.command);
  }
}

Task<> SlashCommandHandler::triage(const slack::SlashCommand& c) {
  const auto parsed = parse_triage(c.text);
  const auto* cmd = std::get_if<ParsedCommand>(&parsed);
  if (!cmd) {
    co_return;  // the ack already carried the usage help
  }
  if (cmd->verb == "help") {
    co_await reply(c, triage_usage());
  } else if (cmd->verb == "start") {
    co_await start_triage(c, *cmd);
  } else if (cmd->verb == "status") {
    co_await run_status(c, *cmd);
  } else if (cmd->verb == "list") {
    co_await list_runs(c);
  } else if (cmd->verb == "cancel") {
    co_await cancel_run(c, *cmd);
  } else if (cmd->verb == "timeline") {
    co_await run_timeline(c, *cmd);
  } else if (cmd->verb == "resume-auto") {
    co_await resume_auto_triage(c, *cmd);
  }
}

RunTrigger SlashCommandHandler::triage_trigger(const slack::SlashCommand& c, const ParsedCommand& cmd,
                                               const std::optional<ChannelBinding>& binding) {
  RunTrigger t;
  t.kind = "slash_command";
  t.key = "slack:command:" + (c.trigger_id.empty() ? c.channel_id + ":" + c.text : c.trigger_id);
  t.requester = c.user_id;
  t.text = cmd.argument;
  t.channel = c.channel_id;
  t.backend = binding && !binding->backend.empty() ? binding->backend : "";
  t.cluster = binding ? binding->cluster : "";
  t.incident.title = cmd.argument;
  t.incident.text = cmd.argument;
  // In a channel with a declared incident, the run belongs to it (the newest open one).
  if (const auto incident = ctx_.incidents.declared_open_in(c.channel_id)) {
    t.incident_id = incident->id;
    t.incident.id = incident->id;
    t.incident.severity = incident->severity;
  }
  t.event = {{"type", "slash_command"},
             {"command", c.command},
             {"text", c.text},
             {"user", c.user_id},
             {"channel", c.channel_id}};
  return t;
}

std::string start_result_text(const Result<StartResult>& started) {
  if (!started) {
    return ":warning: Could not start a run: " + slack::blocks::escape(started.error().detail);
  }
  if (!started->created) {
    return "This request already started run `" + short_id(started->run_id) + "` (" +
           std::string(to_string(started->state)) + ").";
  }
  if (started->queue_position > 0) {
    return ":hourglass: Run `" + short_id(started->run_id) + "` is queued (position " +
           std::to_string(started->queue_position) + "); it starts when a slot is free.";
  }
  return ":rocket: Starting run `" + short_id(started->run_id) + "`; follow it in the thread I'm posting here.";
}

Task<> SlashCommandHandler::start_triage(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto binding = co_await ctx_.channels.find(c.channel_id);
  auto t = triage_trigger(c, cmd, binding);
  ctx_.audit(c.user_id, "run.requested", "", "/triage " + cmd.argument);
  StartAsk ask{{StartKind::Triage, triage_backend(ctx_.config, binding), binding, nullptr},
               c.user_id,
               c.channel_id,
               c.response_url,
               t.key,
               "/triage " + cmd.argument};
  const bool may = co_await may_start(ctx_, std::move(ask));
  if (!may) {
    co_return;
  }
  const auto started = ctx_.runs.start(std::move(t));
  const auto text = start_result_text(started);
  co_await reply(c, text);
}

Task<> SlashCommandHandler::run_status(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const long long now = to_unix(ctx_.clock.now());
  if (cmd.argument.empty()) {
    const auto runs = ctx_.store.active_runs_in_channel(c.channel_id);
    std::string text = runs.empty() ? "No active runs in this channel." : "*Active runs here*";
    for (const auto& r : runs) {
      text += "\n" + run_line(r, now);
    }
    text += "\n" + ctx_.start_limits.standing(LimitedRun::Agent, c.user_id, c.channel_id, ctx_.clock.now());
    if (const auto& rl = ctx_.start_limits.limits(LimitedRun::Runbook);
        rl.per_user.enabled() || rl.per_channel.enabled()) {
      text += "\n" + ctx_.start_limits.standing(LimitedRun::Runbook, c.user_id, c.channel_id, ctx_.clock.now());
    }
    co_await reply(c, text);
    co_return;
  }
  const auto found = resolve_run(cmd.argument);
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
    co_return;
  }
  const auto& r = std::get<RunRecord>(found);
  std::string text = run_line(r, now);
  if (!r.summary.empty()) {
    text += "\n" + r.summary.substr(0, 2000);
  }
  if (!r.error.empty()) {
    text += "\n:warning: " + slack::blocks::escape(r.error);
  }
  co_await reply(c, text);
}

Task<> SlashCommandHandler::list_runs(const slack::SlashCommand& c) {
  const long long now = to_unix(ctx_.clock.now());
  const auto runs = ctx_.store.list_runs(10);
  std::string text = runs.empty() ? "No runs yet." : "*Recent runs*";
  for (const auto& r : runs) {
    text += "\n" + run_line(r, now);
  }
  co_await reply(c, text);
}

Task<> SlashCommandHandler::cancel_run(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto found = resolve_run(cmd.argument);
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
    co_return;
  }
  const auto& r = std::get<RunRecord>(found);
  bool allowed = r.requester == c.user_id;
  if (!allowed) {
    allowed = co_await ctx_.is_approver(c.user_id);
  }
  if (!allowed) {
    ctx_.audit(c.user_id, "run.cancel_refused", r.id, "not the requester or an approver");
    const std::string not_allowed_note =
        "Only the person who started run `" + short_id(r.id) + "` or an approver can cancel it.";
    co_await reply(c, not_allowed_note);
    co_return;
  }
  const auto cancelled = ctx_.runs.cancel(r.id, c.user_id);
  ctx_.audit(c.user_id, cancelled ? "run.cancelled" : "run.cancel_failed", r.id,
             cancelled ? "" : cancelled.error().detail);
  const std::string text = cancelled ? ":octagonal_sign: Cancelling run `" + short_id(r.id) + "`."
                                     : "Run `" + short_id(r.id) + "`: " + cancelled.error().detail + ".";
  co_await reply(c, text);
}

Task<> SlashCommandHandler::run_timeline(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto found = resolve_run(cmd.argument);
  if (const auto* msg = std::get_if<std::string>(&found)) {
    co_await reply(c, *msg);
    co_return;
  }
  const auto& run = std::get<RunRecord>(found);
  auto people = people_in_run(ctx_.store, run);
  const auto names = co_await ctx_.users.names(std::move(people));
  const auto markdown = ctx_.redactor.redact(format_run_markdown(ctx_.store, run, names));
  const auto doc =
      slack::blocks::document("Timeline of run " + short_id(run.id), markdown, "vigil runs show " + run.id);
  const std::string thread = run.channel == c.channel_id ? run.thread_ts : std::string();
  co_await post_document(ctx_.web, ctx_.log, c.response_url, c.channel_id, thread, doc);
}

Task<> SlashCommandHandler::resume_auto_triage(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const bool approver = co_await ctx_.is_approver(c.user_id);
  if (!approver) {
    ctx_.audit(c.user_id, "auto_triage.resume_refused", "", cmd.argument);
    const std::string not_approver_note = "Only an approver can resume automatic triage.";
    co_await reply(c, not_approver_note);
    co_return;
  }
  const auto key = cmd.argument;
  const bool resumed = ctx_.runs.resume_auto_triage(key, c.user_id);
  ctx_.audit(c.user_id, "auto_triage.resumed", "", key);
  const std::string text = resumed ? ":arrow_forward: Automatic triage with `" + key + "` resumed."
                                   : "Automatic triage with `" + key + "` was not paused.";
  co_await reply(c, text);
}

Task<> SlashCommandHandler::runbook(const slack::SlashCommand& c) {
  const auto parsed = parse_runbook(c.text);
  const auto* cmd = std::get_if<ParsedCommand>(&parsed);
  if (!cmd) {
    co_return;
  }
  if (cmd->verb == "help") {
    co_await reply(c, runbook_usage());
  } else if (cmd->verb == "list") {
    std::string text = "*Runbooks*";
    for (const auto* s : ctx_.catalog.all()) {
      text += "\n• `" + s->id + "` " + slack::blocks::escape(s->title);
      if (!ctx_.catalog.is_available(*s)) {
        text += " — _" + ctx_.catalog.availability(*s) + "_";
      }
    }
    if (ctx_.catalog.size() == 0) {
      text = "No runbooks are loaded.";
    }
    co_await reply(c, text);
  } else if (cmd->verb == "show") {
    const auto* s = ctx_.catalog.find(cmd->argument);
    if (!s) {
      const std::string no_such_runbook_note = "There is no runbook `" +
                                               slack::blocks::escape(cmd->argument.substr(0, 64)) +
                                               "`; `/runbook list` shows them.";
      co_await reply(c, no_such_runbook_note);
      co_return;
    }
    std::string text = "*" + slack::blocks::escape(s->title) + "* (`" + s->id + "`)\n" +
                       slack::blocks::escape(s->description) + "\n*Parameters*";
    for (const auto& p : s->parameters) {
      text += "\n• `" + p.name + "`" + (p.required ? " (required)" : "") +
              (p.from_incident.empty() ? "" : " from the incident's " + p.from_incident) +
              (p.description.empty() ? "" : ": " + slack::blocks::escape(p.description));
    }
    text += "\n*Steps*";
    for (const auto& st : s->steps) {
      text += "\n• `" + st.id + "` " + slack::blocks::escape(st.title.empty() ? st.id : st.title) +
              (st.is_gated() ? " — :lock: needs approval (" + std::string(skills::to_string(st.risk)) + " risk)" : "");
    }
    if (!ctx_.catalog.is_available(*s)) {
      text += "\n_" + ctx_.catalog.availability(*s) + "_";
    }
    co_await reply(c, text);
  } else if (cmd->verb == "run") {
    co_await run_runbook(c, *cmd);
  }
}

Task<> SlashCommandHandler::run_runbook(const slack::SlashCommand& c, const ParsedCommand& cmd) {
  const auto* s = ctx_.catalog.find(cmd.argument);
  if (!s) {
    const std::string no_such_runbook_note =
        "There is no runbook `" + slack::blocks::escape(cmd.argument.substr(0, 64)) + "`.";
    co_await reply(c, no_such_runbook_note);
    co_return;
  }
  // Every parameter is checked before anything starts: a mistake gets the usage at once and no run.
  const std::map<std::string, std::string> no_incident;
  const auto check = skills::validate_parameters(*s, cmd.params, no_incident);
  if (!check.ok()) {
    ctx_.audit(c.user_id, "run.refused", "", "/runbook run " + s->id + ": " + check.problems.front().message);
    const auto usage = runbook_run_usage(*s, check);
    co_await reply(c, usage);
    co_return;
  }
  RunTrigger t;
  t.kind = "runbook";
  t.key = "slack:command:" + (c.trigger_id.empty() ? c.channel_id + ":" + c.text : c.trigger_id);
  t.requester = c.user_id;
  t.text = "/runbook run " + s->id;
  t.channel = c.channel_id;
  t.skill = s->id;
  t.params = cmd.params;
  t.incident.title = s->title;
  t.event = {{"type", "slash_command"}, {"command", c.command}, {"text", c.text}, {"user", c.user_id}};
  ctx_.audit(c.user_id, "run.requested", "", "/runbook run " + s->id);
  const auto binding = co_await ctx_.channels.find(c.channel_id);
  t.cluster = binding ? binding->cluster : "";
  StartAsk ask{{StartKind::Runbook, "runbook", binding, s},
               c.user_id,
               c.channel_id,
               c.response_url,
               t.key,
               "/runbook run " + s->id};
  const bool may = co_await may_start(ctx_, std::move(ask));
  if (!may) {
    co_return;
  }
  const auto started = ctx_.runs.start(std::move(t));
  const std::string text = started ? ":rocket: Running `" + s->id + "` as run `" + short_id(started->run_id) +
                                         "`; steps that change something will ask for approval."
                                   : ":warning: " + slack::blocks::escape(started.error().detail);
  co_await reply(c, text);
}

}  // namespace vigil::handlers
