#include "handlers/parameters_handler.h"

#include "bot/core/parameter_need.h"
#include "bot/core/run_trigger.h"
#include "bot/slack/parameter_ask.h"
#include "handlers/replies.h"
#include "handlers/start_check.h"
#include "integrations/slack/blocks.h"

namespace vigil::handlers {
namespace {

/// The modal's private_metadata is "<run id> <skill id>" (parameters_modal).
std::string modal_run_id(const std::string& metadata) {
  return metadata.substr(0, metadata.find(' '));
}
std::string modal_skill(const std::string& metadata) {
  const auto space = metadata.find(' ');
  return space == std::string::npos ? std::string() : metadata.substr(space + 1, 128);
}

}  // namespace

Task<> ParametersHandler::open(const slack::BlockAction& a) {
  const auto asking = waiting_for_parameters(ctx_.store, ctx_.catalog, a.value);
  if (!asking) {
    ctx_.audit(a.user_id, "params.refused", "", "no run waiting for parameters: " + a.value.substr(0, 64));
    const std::string note = "That run is not waiting for parameters; nothing was done.";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, note);
    co_return;
  }
  // The button is in the run's own thread: a click from anywhere else is a forged value.
  if (!a.channel_id.empty() && a.channel_id != asking->run.channel) {
    ctx_.audit(a.user_id, "params.refused", asking->run.id, "button clicked outside the run's channel");
    const std::string note = "That button belongs to another channel; nothing was done.";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, note);
    co_return;
  }
  if (!ctx_.catalog.is_available(*asking->skill)) {
    const std::string note = "`" + asking->skill->id + "` is " + ctx_.catalog.availability(*asking->skill) + ".";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, note);
    co_return;
  }
  auto view = parameters_modal(asking->run.id, *asking->skill, asking->need);
  std::string trigger = a.trigger_id;
  auto opened = co_await ctx_.web.views_open(std::move(trigger), std::move(view));
  if (!opened) {
    ctx_.log->info("user={} run={}: parameters modal not opened ({})", a.user_id, asking->run.id,
                   opened.error().message());
    const std::string note =
        "Could not open the form (" + opened.error().message() + "); use `" + skills::usage_line(*asking->skill) + "`.";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, note);
  }
}

Task<> ParametersHandler::submit(const slack::ViewSubmission& v) {
  const auto asking = waiting_for_parameters(ctx_.store, ctx_.catalog, modal_run_id(v.private_metadata));
  if (!asking || v.user_id.empty()) {
    ctx_.audit(v.user_id.empty() ? "unknown" : v.user_id, "params.refused", "",
               "parameters for a run not waiting for them: " + v.private_metadata.substr(0, 64));
    co_return;
  }
  const auto& parent = asking->run;
  const auto& parent_trigger = asking->trigger;
  const auto submission = read_parameter_submission(*asking->skill, v.values, parent_trigger.incident.values());
  if (!submission.ok()) {
    co_return;  // the ack showed the messages under the inputs; the modal is still open
  }
  RunTrigger t;
  t.kind = "runbook";
  t.key = "slack:view:" + v.view_id + ":" + v.hash;
  t.requester = v.user_id;
  t.text = "/runbook run " + asking->skill->id;
  for (const auto& [k, value] : submission.values) {
    t.text += " " + k + "=" + value;
  }
  t.channel = parent.channel;
  t.thread_ts = parent.thread_ts;
  t.skill = asking->skill->id;
  t.params = submission.values;
  t.cluster = parent_trigger.cluster;
  t.incident = parent_trigger.incident;
  t.incident_id = parent_trigger.incident_id;
  t.event = {{"type", "view_submission"}, {"callback_id", v.callback_id}, {"user", v.user_id}, {"run", parent.id}};
  ctx_.audit(v.user_id, "run.requested", parent.id, t.text);
  const std::string no_response_url;
  const auto binding = co_await ctx_.channels.find(parent.channel);
  StartAsk ask{{StartKind::Runbook, "runbook", binding, asking->skill},
               v.user_id,
               parent.channel,
               no_response_url,
               t.key,
               t.text};
  const bool may = co_await may_start(ctx_, std::move(ask));
  if (!may) {
    co_return;
  }
  const auto started = ctx_.runs.start(std::move(t));
  if (!started) {
    const std::string note = ":warning: Could not start a run: " + slack::blocks::escape(started.error().detail);
    co_await reply_privately(ctx_.web, ctx_.log, no_response_url, parent.channel, v.user_id, note);
  }
}

std::optional<nlohmann::json> ParametersHandler::submission_ack(const skills::SkillCatalog& catalog,
                                                                const slack::Envelope& envelope) {
  if (envelope.type != slack::EnvelopeType::Interactive || !envelope.payload.is_object() ||
      envelope.payload.value("type", std::string()) != "view_submission") {
    return std::nullopt;
  }
  const auto normalized = slack::normalize(envelope, {});
  const auto* input = std::get_if<slack::InboundEvent>(&normalized);
  const auto* v = input ? std::get_if<slack::ViewSubmission>(&input->body) : nullptr;
  if (!v || v->callback_id != kParametersCallback) {
    return std::nullopt;
  }
  // Decided without the Store (the ack is written from the socket's read loop): the skill named in
  // our own modal's metadata checks the values; the handler looks everything up again from the run.
  const auto* skill = catalog.find(modal_skill(v->private_metadata));
  if (!skill) {
    return std::nullopt;
  }
  const std::map<std::string, std::string> no_incident;
  const auto submission = read_parameter_submission(*skill, v->values, no_incident);
  if (submission.ok()) {
    return std::nullopt;
  }
  return submission_errors_ack(submission);
}

}  // namespace vigil::handlers
