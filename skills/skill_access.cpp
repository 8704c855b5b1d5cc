#include "skills/skill_access.h"

#include "integrations/kubernetes/kubectl_args.h"

namespace vigil::skills {
namespace {

void add(const Skill& skill, const std::string& step, const std::vector<std::string>& argv, StepIdentity identity,
         std::vector<StepAccess>& out) {
  if (argv.empty() || argv.front() != "kubectl") {
    return;
  }
  StepAccess access{skill.id, step, identity, {}, {}};
  if (auto needs = kubernetes::required_access(argv)) {
    access.needs = std::move(*needs);
  } else {
    access.error = needs.error().detail;
  }
  out.push_back(std::move(access));
}

void add_step(const Skill& skill, const Step& step, bool writes, std::vector<StepAccess>& out) {
  add(skill, step.id, step.run, writes ? StepIdentity::Remediation : StepIdentity::ReadOnly, out);
  const bool server_dry_run = kubernetes::effective_dry_run(step.dry_run) == "server";
  add(skill, step.id + " (dry run)", step.dry_run, server_dry_run ? StepIdentity::DryRun : StepIdentity::ReadOnly, out);
}

}  // namespace

std::string_view to_string(StepIdentity identity) {
  switch (identity) {
    case StepIdentity::ReadOnly:
      return "read-only";
    case StepIdentity::DryRun:
      return "dry run";
    case StepIdentity::Remediation:
      return "remediation";
  }
  return "read-only";
}

std::vector<StepAccess> skill_access(const Skill& skill) {
  std::vector<StepAccess> out;
  for (const auto& step : skill.steps) {
    add_step(skill, step, step.mutating, out);
  }
  for (const auto& step : skill.verify.steps) {
    add_step(skill, step, false, out);
  }
  for (const auto& step : skill.rollback) {
    add_step(skill, step, true, out);
  }
  return out;
}

}  // namespace vigil::skills
