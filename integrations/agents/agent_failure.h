#pragma once

#include <string>
#include <string_view>

#include "integrations/agents/agent_cli.h"

namespace vigil::agents {

/// What an error of the model's API, in a CLI's words, was.
enum class ApiErrorKind {
  Network,      // the request never got an answer: connection refused or reset, DNS, a dropped stream
  ServerError,  // the API answered 5xx, or "overloaded" (Anthropic's 529)
  Auth,         // 401/403, a missing or invalid key, a billing stop: trying again cannot help
  Other,        // anything else (a bad request, a rate limit, a tool's failure)
};

/// Reads one error text ("API Error: 529 {…overloaded_error…}", "server_error: …",
/// "stream disconnected before completion: error sending request", "401 Unauthorized", …).
/// Auth wins over the others when a text says both.
ApiErrorKind classify_api_error(std::string_view text);

/// Whether a failed turn is run once more, and why (for the timeline: "retried once after …").
struct RetryDecision {
  bool retry = false;
  std::string reason;  // retry: what failed ("a server error from the model's API (529 overloaded)")
};

/// A transient failure is retried once: the turn failed (a non-zero exit, not a timeout, a
/// cancellation or a kill), the stream showed a network error or a 5xx/overloaded answer of the
/// model's API, no authentication failure, and the agent left no output (output/summary.md or
/// proposals) that a second run would throw away. `already_retried`: never a second retry.
RetryDecision decide_retry(const AgentTurnResult& turn, bool left_output, bool already_retried);

}  // namespace vigil::agents
