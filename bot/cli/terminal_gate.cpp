#include "bot/cli/terminal_gate.h"

#include <istream>
#include <ostream>

namespace vigil::skills {

TerminalGate::TerminalGate(std::istream& in, std::ostream& out, bool auto_approve, std::string user)
    : in_(in), out_(out), auto_approve_(auto_approve), user_(std::move(user)) {}

Task<GateDecision> TerminalGate::request(GateRequest request) {
  out_ << "\n== approval needed" << (request.is_rollback ? " (rollback)" : "") << ": "
       << request.skill << " / " << request.step << " (risk " << to_string(request.risk)
       << ")\n";
  if (!request.title.empty()) {
    out_ << "   " << request.title << "\n";
  }
  out_ << "   why this fix: ";
  if (request.findings.empty()) {
    out_ << "no finding of this runbook matched; read the step outputs above\n";
  } else {
    out_ << request.findings.front().text << "\n";
    for (const auto& line : request.findings.front().evidence) {
      out_ << "     > " << line << "\n";
    }
    for (std::size_t i = 1; i < request.findings.size(); ++i) {
      out_ << "   also: " << request.findings[i].text << "\n";
    }
  }
  out_ << "   argv:";
  for (const auto& a : request.argv) {
    out_ << " [" << a << "]";
  }
  out_ << "\n   hash: " << request.argv_hash << "\n";
  if (!request.dry_run_output.empty()) {
    out_ << "   dry run" << (request.dry_run_ok ? "" : " (FAILED)") << ":\n";
    std::size_t start = 0;
    while (start < request.dry_run_output.size()) {
      auto end = request.dry_run_output.find('\n', start);
      if (end == std::string::npos) {
        end = request.dry_run_output.size();
      }
      out_ << "     | " << request.dry_run_output.substr(start, end - start) << "\n";
      start = end + 1;
    }
  }
  GateDecision d;
  d.argv_hash = request.argv_hash;
  d.decided_by = user_;
  if (auto_approve_) {
    out_ << "   approved (--yes)\n";
    d.outcome = GateOutcome::Approved;
    d.reason = "--yes";
    co_return d;
  }
  out_ << "   run it? type yes to approve: " << std::flush;
  std::string answer;
  if (!std::getline(in_, answer)) {
    d.outcome = GateOutcome::Cancelled;
    d.reason = "no answer (end of input)";
    co_return d;
  }
  d.outcome = answer == "yes" || answer == "y" ? GateOutcome::Approved : GateOutcome::Denied;
  co_return d;
}

}  // namespace vigil::skills
