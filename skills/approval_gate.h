#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/task.h"
#include "skills/findings.h"
#include "skills/skill.h"

namespace vigil::skills {

enum class GateOutcome { Approved, Denied, Expired, Cancelled };
std::string_view to_string(GateOutcome o);

/// Everything an approver must see, and what the decision binds to.
struct GateRequest {
  std::string run_id;
  std::int64_t step_id = 0;  // the persisted step row; a gate finds its earlier request by it
  std::string skill;
  std::string step;
  /// The step's name in the run ("<id>", "rollback.<id>"), as its row and the audit log name it.
  std::string step_key;
  std::string title;
  std::vector<std::string> argv;  // exactly what will run
  std::string argv_hash;          // argv_hash(argv)
  std::string dry_run_output;     // empty when the step has no dry_run
  bool dry_run_ok = true;
  Risk risk = Risk::Low;
  std::vector<std::string> approvers;  // empty: the configured approvers
  bool allow_self_approval = false;
  std::string requester;
  bool is_rollback = false;  // offered after a failed step or a failed verification
  /// Why this fix: the skill's findings that hold over the steps run so far (the first is the
  /// diagnosis), with the lines of output behind them. Empty: no finding matched.
  std::vector<FindingResult> findings = {};
  /// The cluster the step runs against, when several are configured (the card names it).
  std::string cluster = {};
};

struct GateDecision {
  GateOutcome outcome = GateOutcome::Denied;
  std::string argv_hash;  // the hash the approver saw; must equal the request's
  std::string decided_by;
  std::string reason;
};

/// Asks someone whether a gated step may run. The Slack gate posts an approval card; the terminal
/// gate asks on a terminal. The executor runs the step only when the outcome is Approved and the
/// decision's argv_hash equals the hash of the argv about to run.
/// A gate is the one writer of the approval.* rows of the audit log: what it was asked, what was
/// decided, and what was refused.
class ApprovalGate {
 public:
  virtual ~ApprovalGate() = default;
  /// Completes when decided, expired or cancelled (cancellation of the awaiting coroutine ends
  /// it with Cancelled).
  virtual Task<GateDecision> request(GateRequest request) = 0;
  /// Told when the executor refuses an approved `decision` because it does not bind to the argv
  /// about to run (its hash differs from the request's): the gate records the refusal. Nothing ran.
  virtual void refused(const GateRequest& request, const GateDecision& decision) {
    (void)request;
    (void)decision;
  }
};

/// The audit detail of a refused binding: "<step key> approved <decision hash> but argv is <hash>".
std::string binding_refusal_detail(const GateRequest& request, const GateDecision& decision);

}  // namespace vigil::skills
