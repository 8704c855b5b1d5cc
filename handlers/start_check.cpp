#include "handlers/start_check.h"

#include "handlers/replies.h"

namespace vigil::handlers {
namespace {

// Who is in each group the decision needs; nullopt for a lookup that failed.
Task<GroupAnswers> look_up_groups(HandlerContext& ctx, std::vector<std::string> groups, std::string user) {
  GroupAnswers answers;
  for (const auto& g : groups) {
    auto member = co_await ctx.directory.is_member(g, user);
    if (member) {
      answers[g] = *member;
    } else {
      ctx.log->warn("user={}: membership of {} not known ({}); the start is refused", user, g,
                    member.error().message());
      answers[g] = std::nullopt;
    }
  }
  co_return answers;
}

}  // namespace

std::string triage_backend(const Config& config, const std::optional<ChannelBinding>& binding) {
  return binding && !binding->backend.empty() ? binding->backend : config.agent.backend;
}

Task<bool> may_start(HandlerContext& ctx, StartAsk ask) {
  if (!ask.trigger_key.empty() && ctx.store.find_run_by_trigger(ask.trigger_key)) {
    co_return true;  // delivered again: the run manager answers with the run it already started
  }
  const auto rules = start_rules(ctx.config.start, ask.request);
  auto groups = groups_to_check(rules, ask.user);
  const auto answers = co_await look_up_groups(ctx, std::move(groups), ask.user);
  const auto decision = decide_start(rules, ask.user, answers);
  if (!decision.allowed) {
    ctx.audit(ask.user, "run.start_refused", "", decision.audit_detail + ": " + ask.what);
    co_await reply_privately(ctx.web, ctx.log, ask.response_url, ask.channel, ask.user, decision.reply);
    co_return false;
  }
  const auto run = is_agent_backend(ask.request.backend) ? LimitedRun::Agent : LimitedRun::Runbook;
  const auto now = ctx.clock.now();
  const auto limited = ctx.start_limits.take(run, ask.user, ask.channel, now);
  if (!limited.allowed) {
    const auto& limits = ctx.start_limits.limits(run);
    const auto& limit = limited.by_channel ? limits.per_channel : limits.per_user;
    const auto text = rate_limited_text(limited, run, limit, now);
    ctx.audit(ask.user, "run.rate_limited", "",
              std::string(limited.by_channel ? "channel" : "user") + " limit: " + ask.what);
    co_await reply_privately(ctx.web, ctx.log, ask.response_url, ask.channel, ask.user, text);
    co_return false;
  }
  co_return true;
}

}  // namespace vigil::handlers
