#pragma once

#include <deque>
#include <set>
#include <string>

#include "bot/alert_intake.h"
#include "handlers/handler_context.h"
#include "integrations/slack/events.h"

namespace vigil::handlers {

/// Messages: alert bots' messages in incident channels (grouped into incidents and runs),
/// `@vigil …` mentions anywhere Vigil is invited (a run), and replies in a run's thread
/// (follow-up questions). Everything else is ignored on purpose, with the reason at debug level.
class IncidentMessageHandler {
 public:
  IncidentMessageHandler(HandlerContext& ctx, AlertIntake& intake, std::string bot_user_id)
      : ctx_(ctx), intake_(intake), bot_user_id_(std::move(bot_user_id)) {}

  Task<> handle(slack::MessageEvent message);

 private:
  Task<> alert(const slack::MessageEvent& m);
  Task<> mention(const slack::MessageEvent& m);
  Task<> thread_reply(const slack::MessageEvent& m);
  /// app_mention and message.channels both deliver a mention: handle (channel, ts) once.
  bool first_time(const slack::MessageEvent& m);
  std::string without_mention(const std::string& text) const;

  HandlerContext& ctx_;
  AlertIntake& intake_;
  std::string bot_user_id_;
  std::set<std::string> seen_;
  std::deque<std::string> seen_order_;
};

}  // namespace vigil::handlers
