#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/agents/agent_stream_parser.h"
#include "integrations/agents/workspace.h"

namespace vigil::agents {

struct AgentCliOptions;

/// One turn of an agent: the first investigation or a follow-up question.
struct AgentTurn {
  std::string run_id;
  std::string question;    // empty for the first turn; a follow-up otherwise
  std::string session_id;  // the CLI's session from an earlier turn (resume), may be empty
};

/// How a turn ended.
struct AgentTurnResult {
  enum class Status { Succeeded, Failed, TimedOut, Cancelled, Killed };
  Status status = Status::Failed;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string session_id;
  std::string final_text;  // the CLI's result text, if it gave one
  std::string error;       // why it failed, for people
  int malformed_lines = 0;
  std::chrono::milliseconds duration{0};
  AgentUsage usage;                     // tokens and cost, where the stream reported them
  std::vector<std::string> api_errors;  // errors of the model's API seen in the stream
};

std::string_view to_string(AgentTurnResult::Status s);

/// The port through which the run manager runs an agent's turn: a CLI child process on this host
/// (AgentCli) or a Pod of its own in the cluster (kubernetes::KubernetesAgentRunner). Either way
/// the turn reads its inputs from the workspace and leaves output/summary.md and
/// output/proposals.json there; the stream arrives as AgentEvents while it runs.
class AgentRunner {
 public:
  using EventSink = std::function<void(const AgentEvent&)>;
  virtual ~AgentRunner() = default;
  /// Runs one turn to its end; cancel through the awaiting coroutine's cancellation slot.
  virtual Task<Result<AgentTurnResult>> run_turn(const Workspace& workspace, AgentTurn turn, EventSink sink) = 0;
};

/// Makes the runner for one run (the options carry the run's backend).
using AgentRunnerFactory = std::function<std::unique_ptr<AgentRunner>(const AgentCliOptions& options)>;

}  // namespace vigil::agents
