#include "skills/approval_gate.h"

namespace vigil::skills {

std::string_view to_string(GateOutcome o) {
  switch (o) {
    case GateOutcome::Approved:
      return "approved";
    case GateOutcome::Denied:
      return "denied";
    case GateOutcome::Expired:
      return "expired";
    case GateOutcome::Cancelled:
      return "cancelled";
  }
  return "denied";
}

std::string binding_refusal_detail(const GateRequest& request, const GateDecision& decision) {
  return request.step_key + " approved " + decision.argv_hash + " but argv is " + request.argv_hash;
}

}  // namespace vigil::skills
