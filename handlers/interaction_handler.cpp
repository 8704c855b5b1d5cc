#include "handlers/interaction_handler.h"

#include "bot/slack/parameter_ask.h"
#include "handlers/replies.h"
#include "integrations/slack/blocks.h"

namespace vigil::handlers {

Task<> InteractionHandler::handle(slack::BlockAction a) {
  if (a.user_id.empty()) {
    ctx_.audit("unknown", "interaction.malformed", "", "block_actions without a user: " + a.action_id);
    co_return;
  }
  if (a.action_id == slack::blocks::kActionApprove) {
    const std::string no_reason;
    co_await decide(a, Decision::Approve, no_reason);
  } else if (a.action_id == slack::blocks::kActionDeny) {
    // Ask for an optional reason; the trigger_id is good for 3 seconds, so the modal opens first.
    bool opened = false;
    if (!a.trigger_id.empty() && a.value.size() == 32) {
      auto view = slack::blocks::deny_reason_modal(kDenyReasonCallback, a.value);
      std::string trigger = a.trigger_id;
      auto r = co_await ctx_.web.views_open(std::move(trigger), std::move(view));
      opened = static_cast<bool>(r);
      if (!r) {
        ctx_.log->info("user={}: deny-reason modal not opened ({}); denying without a reason", a.user_id,
                       r.error().message());
      }
    }
    if (!opened) {
      const std::string no_reason;
      co_await decide(a, Decision::Deny, no_reason);
    }
  } else if (a.action_id == slack::blocks::kActionCancelRun) {
    co_await cancel_run(a);
  } else if (a.action_id == kActionGiveParameters) {
    co_await parameters_.open(a);
  } else if (const auto action = parse_alert_action(a.action_id)) {
    co_await alert_click(a, *action);
  } else if (a.action_id.rfind(slack::blocks::kActionFullOutput, 0) == 0) {
    co_await share_full_output(a);
  } else {
    ctx_.audit(a.user_id, "interaction.unknown", "", "action_id " + a.action_id.substr(0, 255));
    ctx_.log->info("user={}: unknown action_id {}; nothing done", a.user_id, a.action_id.substr(0, 64));
  }
}

Task<> InteractionHandler::decide(const slack::BlockAction& a, Decision decision, const std::string& reason) {
  auto outcome = co_await ctx_.gate.click(a.value, a.user_id, decision, reason);
  if (outcome.kind != ClickOutcome::Kind::Decided) {
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, outcome.message);
  }
}

Task<> InteractionHandler::cancel_run(const slack::BlockAction& a) {
  const auto run = ctx_.store.get_run(a.value);
  if (!run) {
    ctx_.audit(a.user_id, "run.cancel_refused", "", "unknown run in a Cancel button: " + a.value.substr(0, 64));
    const std::string unknown_run_note = "That run is not known to Vigil; nothing was done.";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, unknown_run_note);
    co_return;
  }
  bool allowed = run->requester == a.user_id;
  if (!allowed) {
    allowed = co_await ctx_.is_approver(a.user_id);
  }
  if (!allowed) {
    ctx_.audit(a.user_id, "run.cancel_refused", run->id, "not the requester or an approver");
    const std::string not_allowed_note = "Only the person who started this run or an approver can cancel it.";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, not_allowed_note);
    co_return;
  }
  const auto cancelled = ctx_.runs.cancel(run->id, a.user_id);
  ctx_.audit(a.user_id, cancelled ? "run.cancelled" : "run.cancel_failed", run->id,
             cancelled ? "" : cancelled.error().detail);
  if (!cancelled) {
    const std::string nothing_to_cancel_note = "Nothing to cancel: " + cancelled.error().detail + ".";
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, nothing_to_cancel_note);
  }
}

Task<> InteractionHandler::alert_click(const slack::BlockAction& a, AlertAction action) {
  AlertClick click;
  click.action = action;
  click.run_id = a.value;
  click.user = a.user_id;
  click.user_name = a.user_name;
  click.channel = a.channel_id;
  if (action == AlertAction::Silence) {
    click.is_approver = co_await ctx_.is_approver(a.user_id);
  }
  const auto outcome = co_await ctx_.alerts.click(std::move(click));
  if (!outcome.done) {
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, outcome.message);
  }
  if (outcome.done && action != AlertAction::OpenSource) {
    ctx_.presenter.touch(outcome.run_id);  // the root shows who did what
  }
}

Task<> InteractionHandler::share_full_output(const slack::BlockAction& a) {
  const auto shared = co_await ctx_.full_output.share(a.value, a.user_id, a.channel_id);
  if (!shared.shared) {
    co_await reply_privately(ctx_.web, ctx_.log, a.response_url, a.channel_id, a.user_id, shared.message);
  }
}

Task<> InteractionHandler::handle(slack::ViewSubmission v) {
  if (v.callback_id == kParametersCallback) {
    co_await parameters_.submit(v);
    co_return;
  }
  if (v.callback_id != kDenyReasonCallback) {
    ctx_.audit(v.user_id.empty() ? "unknown" : v.user_id, "interaction.unknown", "",
               "view callback " + v.callback_id.substr(0, 255));
    co_return;
  }
  std::string reason;
  for (const auto& [key, value] : v.values) {
    if (key.find("reason") != std::string::npos) {
      reason = value.substr(0, 2000);
    }
  }
  slack::BlockAction as_click;
  as_click.user_id = v.user_id;
  as_click.value = v.private_metadata;
  co_await decide(as_click, Decision::Deny, reason);
}

}  // namespace vigil::handlers
