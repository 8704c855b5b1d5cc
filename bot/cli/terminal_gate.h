#pragma once

#include <iosfwd>
#include <string>

#include "bot/base/clock.h"
#include "skills/approval_gate.h"

namespace vigil {
class Store;
}  // namespace vigil

namespace vigil::skills {

/// Asks on a terminal: prints the exact argv, its hash, the dry-run output and the risk, then reads
/// "yes" (anything else denies). With `auto_approve` (--yes) it approves without asking.
/// Reading blocks the thread; it is meant for the terminal commands (`vigil skills run`, `vigil triage
/// --local`, through LocalRun), where nothing else is running.
/// The request, its decision and a refused binding are rows of `store`'s audit log (approval.*).
class TerminalGate final : public ApprovalGate {
 public:
  TerminalGate(std::istream& in, std::ostream& out, bool auto_approve, std::string user, Store& store, Clock& clock);

  Task<GateDecision> request(GateRequest request) override;
  void refused(const GateRequest& request, const GateDecision& decision) override;

 private:
  /// Prints what the approver must see: the step, why, the exact argv, its hash, the dry run.
  void show(const GateRequest& request);
  /// Reads the answer (or approves for --yes).
  GateDecision ask(const GateRequest& request);
  void audit(const std::string& actor, const std::string& action, const std::string& run_id, const std::string& detail);

  std::istream& in_;
  std::ostream& out_;
  bool auto_approve_;
  std::string user_;
  Store& store_;
  Clock& clock_;
};

}  // namespace vigil::skills
