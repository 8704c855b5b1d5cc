#pragma once

#include <string>

#include "bot/core/start_policy.h"
#include "handlers/handler_context.h"

namespace vigil::handlers {

/// One person's request to start a run, as the start check needs it.
struct StartAsk {
  StartRequest request;
  std::string user;
  std::string channel;
  std::string response_url;  // empty: chat.postEphemeral
  std::string trigger_key;   // the run's; a request that already started its run is not checked again
  std::string what;          // the request in words, for the audit row ("/triage checkout 5xx")
};

/// The backend a triage in a channel bound with `binding` runs on.
std::string triage_backend(const Config& config, const std::optional<ChannelBinding>& binding);

/// Whether the person may start it now: who may (start rules, user groups looked up through the
/// approver directory, failing closed), then the rate limits. A refusal is a private reply saying who
/// may or when to try again, and an audit row (run.start_refused, run.rate_limited); false then, and
/// nothing may start. Always co_await it directly.
Task<bool> may_start(HandlerContext& ctx, StartAsk ask);

}  // namespace vigil::handlers
