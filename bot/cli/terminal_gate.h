#pragma once

#include <iosfwd>
#include <string>

#include "skills/approval_gate.h"

namespace vigil::skills {

/// Asks on a terminal: prints the exact argv, its hash, the dry-run output and the risk, then reads
/// "yes" (anything else denies). With `auto_approve` (--yes) it approves without asking.
/// Reading blocks the thread; it is meant for the terminal commands (`vigil skills run`, `vigil triage
/// --local`, through LocalRun), where nothing else is running.
class TerminalGate final : public ApprovalGate {
 public:
  TerminalGate(std::istream& in, std::ostream& out, bool auto_approve, std::string user);

  Task<GateDecision> request(GateRequest request) override;

 private:
  std::istream& in_;
  std::ostream& out_;
  bool auto_approve_;
  std::string user_;
};

}  // namespace vigil::skills
