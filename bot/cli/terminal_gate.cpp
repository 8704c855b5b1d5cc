#include "bot/cli/terminal_gate.h"

#include <istream>
#include <ostream>

#include "bot/store/store.h"

namespace vigil::skills {

TerminalGate::TerminalGate(std::istream& in, std::ostream& out, bool auto_approve, std::string user, Store& store,
                           Clock& clock)
    : in_(in), out_(out), auto_approve_(auto_approve), user_(std::move(user)), store_(store), clock_(clock) {}

void TerminalGate::audit(const std::string& actor, const std::string& action, const std::string& run_id,
                         const std::string& detail) {
  AuditEntry entry;
  entry.at_ms = to_unix_ms(clock_.now());
  entry.actor = actor.empty() ? "system" : actor;
  entry.action = action;
  entry.run_id = run_id;
  entry.detail = detail;
  store_.append_audit(entry);
}

Task<GateDecision> TerminalGate::request(GateRequest request) {
  audit(request.requester, "approval.requested", request.run_id, request.step_key + " " + request.argv_hash);
  show(request);
  const GateDecision d = ask(request);
  audit(d.decided_by, "approval." + std::string(to_string(d.outcome)), request.run_id,
        request.step_key + " " + d.argv_hash + (d.reason.empty() ? "" : " " + d.reason));
  co_return d;
}

void TerminalGate::refused(const GateRequest& request, const GateDecision& decision) {
  audit("system", "approval.refused", request.run_id, binding_refusal_detail(request, decision));
}

void TerminalGate::show(const GateRequest& request) {
  out_ << "\n== approval needed" << (request.is_rollback ? " (rollback)" : "") << ": " << request.skill << " / "
       << request.step << " (risk " << to_string(request.risk) << ")\n";
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
}

GateDecision TerminalGate::ask(const GateRequest& request) {
  GateDecision d;
  d.argv_hash = request.argv_hash;
  d.decided_by = user_;
  if (auto_approve_) {
    out_ << "   approved (--yes)\n";
    d.outcome = GateOutcome::Approved;
    d.reason = "--yes";
    return d;
  }
  out_ << "   run it? type yes to approve: " << std::flush;
  std::string answer;
  if (!std::getline(in_, answer)) {
    d.outcome = GateOutcome::Cancelled;
    d.reason = "no answer (end of input)";
    return d;
  }
  d.outcome = answer == "yes" || answer == "y" ? GateOutcome::Approved : GateOutcome::Denied;
  return d;
}

}  // namespace vigil::skills
