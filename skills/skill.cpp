#include "skills/skill.h"

namespace vigil::skills {

std::string_view to_string(Risk r) {
  switch (r) {
    case Risk::Low:
      return "low";
    case Risk::Medium:
      return "medium";
    case Risk::High:
      return "high";
  }
  return "low";
}

std::string_view to_string(OnFailure f) {
  switch (f) {
    case OnFailure::Stop:
      return "stop";
    case OnFailure::Continue:
      return "continue";
    case OnFailure::Rollback:
      return "rollback";
  }
  return "stop";
}

std::string Parameter::effective_pattern() const {
  if (!pattern.empty()) {
    return pattern;
  }
  if (type == "integer") {
    return "[0-9]{1,9}";
  }
  if (type == "boolean") {
    return "true|false";
  }
  return {};
}

const Parameter* Skill::find_parameter(std::string_view name) const {
  for (const auto& p : parameters) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

const Step* Skill::find_step(std::string_view step_id) const {
  for (const auto& s : steps) {
    if (s.id == step_id) {
      return &s;
    }
  }
  return nullptr;
}

bool Skill::has_remediation() const {
  for (const auto& s : steps) {
    if (s.is_gated()) {
      return true;
    }
  }
  return false;
}

}  // namespace vigil::skills
