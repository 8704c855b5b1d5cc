#pragma once

#include "handlers/handler_context.h"
#include "handlers/parameters_handler.h"
#include "integrations/slack/events.h"

namespace vigil::handlers {

/// Button clicks and modal submissions: Approve / Deny (with an optional reason in a modal) on
/// approval cards, Cancel on a run's root, Full output under a step's cut output, and the alert
/// buttons (Acknowledge, Silence, Snooze, Resolve, the source link) on the root of a run started by
/// an alert. Every click is checked and audited; a refused click gets
/// a private reason and changes nothing; unknown actions and forged tokens only leave an audit row.
class InteractionHandler {
 public:
  explicit InteractionHandler(HandlerContext& ctx) : ctx_(ctx), parameters_(ctx) {}

  Task<> handle(slack::BlockAction action);
  Task<> handle(slack::ViewSubmission submission);

  static constexpr const char* kDenyReasonCallback = "approval.deny_reason";

 private:
  Task<> decide(const slack::BlockAction& a, Decision decision, const std::string& reason);
  Task<> cancel_run(const slack::BlockAction& a);
  Task<> alert_click(const slack::BlockAction& a, AlertAction action);
  Task<> share_full_output(const slack::BlockAction& a);

  HandlerContext& ctx_;
  ParametersHandler parameters_;  // Give parameters (button and modal)
};

}  // namespace vigil::handlers
