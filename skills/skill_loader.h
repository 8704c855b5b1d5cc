#pragma once

#include <string>
#include <vector>

#include "skills/skill.h"

namespace vigil::skills {

/// One problem in a skill file, as `file:line:col: message`.
struct SkillDiagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;
};

struct SkillLoad {
  std::vector<Skill> skills;
  std::vector<SkillDiagnostic> errors;
  std::vector<SkillDiagnostic> warnings;
  bool ok() const { return errors.empty(); }
};

/// Reads skill YAML (DESIGN.md §4, skills/README.md). Every problem is reported, not only the
/// first: unknown keys, duplicate ids, template variables that are not defined, a parameter used in
/// argv with neither pattern nor enum, bad regular expressions, durations and enums. A mutating step
/// without requires_approval is gated anyway, with a warning. A skill with errors is not returned.
class SkillLoader {
 public:
  /// One file (one skill per file).
  static SkillLoad load_file(const std::string& path);
  /// YAML text; `file` names it in diagnostics.
  static SkillLoad load_text(const std::string& yaml, const std::string& file);
  /// Every *.yaml / *.yml in `dir` (sorted, not recursive); duplicate skill ids across files are
  /// errors. A missing directory is an error.
  static SkillLoad load_dir(const std::string& dir);
};

}  // namespace vigil::skills
