#pragma once

#include <deque>
#include <set>
#include <string>

#include "bot/core/alert_intake.h"
#include "handlers/handler_context.h"
#include "integrations/alerting/alert_message_parser.h"
#include "integrations/alertmanager/alertmanager_api.h"
#include "integrations/slack/events.h"

namespace vigil::handlers {

/// Messages: alert bots' messages in incident channels, and their edits in place (grouped into
/// incidents and runs), `@vigil …` mentions anywhere Vigil is invited (a run), and replies in a
/// run's thread (follow-up questions). Everything else is ignored on purpose, with the reason in
/// the log.
class IncidentMessageHandler {
 public:
  /// `alertmanager`: Alertmanager's API (alertmanager.url), to read the labels of an alert whose
  /// message showed only their values; null when not configured.
  IncidentMessageHandler(HandlerContext& ctx, AlertIntake& intake, std::string bot_user_id,
                         alertmanager::AlertmanagerApi* alertmanager = nullptr)
      : ctx_(ctx), intake_(intake), bot_user_id_(std::move(bot_user_id)), alertmanager_(alertmanager) {}

  Task<> handle(slack::MessageEvent message);

 private:
  Task<> alert(const slack::MessageEvent& m);
  /// Fills the labels of an alert whose message named only their values, from Alertmanager's API;
  /// otherwise returns what the thread should say about the missing labels and how to fix it.
  Task<std::string> recover_labels(alerting::AlertNotification& alert);
  Task<> mention(const slack::MessageEvent& m);
  Task<> thread_reply(const slack::MessageEvent& m);
  /// app_mention and message.channels both deliver a mention: handle (channel, ts) once.
  bool first_time(const slack::MessageEvent& m);
  std::string without_mention(const std::string& text) const;

  HandlerContext& ctx_;
  AlertIntake& intake_;
  std::string bot_user_id_;
  alertmanager::AlertmanagerApi* alertmanager_;
  std::set<std::string> seen_;
  std::deque<std::string> seen_order_;
};

}  // namespace vigil::handlers
