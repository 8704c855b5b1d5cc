#pragma once

#include <string>
#include <vector>

#include "integrations/kubernetes/kubectl_access.h"
#include "skills/skill.h"

namespace vigil::skills {

/// Whose credentials a kubectl step of a skill runs with (integrations/kubernetes/kubectl.h).
enum class StepIdentity {
  ReadOnly,     // diagnostic and verification steps, dry runs that are not server-side
  DryRun,       // server-side dry runs on approval cards (kubernetes.dry_run_kubeconfig, else remediation)
  Remediation,  // approved mutating steps and rollbacks
};
std::string_view to_string(StepIdentity identity);

/// What one kubectl step (or its dry run) of a skill asks of the API server, and as whom.
struct StepAccess {
  std::string skill;
  std::string step;  // the step id, "<id> (dry run)" for its dry run
  StepIdentity identity = StepIdentity::ReadOnly;
  std::vector<kubernetes::KubeAccess> needs;
  std::string error;  // a command whose permissions are not known
};

/// Every kubectl step of `skill` (steps, verification, rollback, and their dry runs), in order.
std::vector<StepAccess> skill_access(const Skill& skill);

}  // namespace vigil::skills
