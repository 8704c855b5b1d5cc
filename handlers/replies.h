#pragma once

#include <string>

#include "bot/base/task.h"

#include "integrations/slack/blocks.h"

namespace vigil::slack {
class WebApi;
}

namespace vigil::handlers {

/// Answers one person privately (`text` is Slack mrkdwn; escape what came from outside): through the interaction's
/// response_url when there is one (works even where the bot is not a member), else with chat.postEphemeral. Failures
/// are logged, never thrown: a lost ephemeral must not break the handler. Always co_await it directly (the references
/// must outlive it).
Task<> reply_privately(slack::WebApi& web, const Logger& log, const std::string& response_url,
                       const std::string& channel, const std::string& user, const std::string& text);

/// Posts a document (a timeline) where the channel sees it: in `thread_ts` of `channel` when given,
/// else as a new message. Where the bot cannot post (not a member), the person gets it privately
/// through `response_url`. Failures are logged, never thrown; co_await it directly.
Task<> post_document(slack::WebApi& web, const Logger& log, const std::string& response_url, const std::string& channel,
                     const std::string& thread_ts, const slack::blocks::Message& document);

}  // namespace vigil::handlers
