#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "skills/skill.h"

namespace vigil::skills {

/// One `{{ … }}` in an argv template.
struct Placeholder {
  enum class Kind { Param, Capture, Incident };
  Kind kind = Kind::Param;
  std::string name;          // parameter name, capture name, or incident key ("alertname", "labels.app")
  std::string step;          // Capture: the step that captured it
  int column = 0;            // 0-based offset of "{{" in its argv element
  std::string text() const;  // "params.x", "steps.s.x", "incident.x"
};

/// Values a template may use. Captures are keyed by step id then capture name; incident values by
/// their key ("title", "labels.namespace").
struct TemplateValues {
  std::map<std::string, std::string> params;
  std::map<std::string, std::map<std::string, std::string>> captures;
  std::map<std::string, std::string> incident;
};

/// An argv template: each element is literal text and placeholders. Only `{{ params.x }}`,
/// `{{ steps.<id>.<capture> }}` and `{{ incident.x }}` exist. A placeholder fills exactly one argv
/// element or a part of one; the value is inserted as it is and never scanned again, so a value
/// that looks like a placeholder, an option or a shell command stays inert text (and is refused
/// before that by its pattern).
class Template {
 public:
  /// Parses every element; the error detail says which element and column.
  static Result<Template> parse(const std::vector<std::string>& argv);

  const std::vector<Placeholder>& placeholders() const { return placeholders_; }
  /// Renders; every value is checked first (see check_value). No value is ever re-expanded.
  Result<std::vector<std::string>> render(const TemplateValues& values) const;

  /// Where each placeholder sits: element index per placeholder (same order as placeholders()).
  const std::vector<std::size_t>& elements() const { return elements_; }

 private:
  struct Part {
    bool is_literal = true;
    std::string text;
    std::size_t placeholder = 0;
  };
  std::vector<std::vector<Part>> argv_;
  std::vector<Placeholder> placeholders_;
  std::vector<std::size_t> elements_;
};

/// Checks that apply to every substituted value whatever its source: no control characters
/// (newline, NUL, …), no "{{", at most 4096 bytes.
Result<void> check_value_shape(std::string_view value);
/// A full match of `pattern`.
bool full_match(const std::string& pattern, const std::string& value);
/// A parameter value: shape, then its pattern (full match) and/or enum.
Result<void> check_parameter_value(const Parameter& p, const std::string& value);

/// Where one parameter's value comes from: the given value, else the incident's `from_incident`
/// value (when not empty), else the default; none when nothing supplies one. Not checked.
std::optional<std::string> parameter_value(const Parameter& p, const std::map<std::string, std::string>& given,
                                           const std::map<std::string, std::string>& incident);

/// The parameter values of a run: given values, then `from_incident`, then defaults; every one
/// checked; unknown names, missing required values and refused values are errors (all listed).
Result<std::map<std::string, std::string>> resolve_parameters(const Skill& skill,
                                                              const std::map<std::string, std::string>& given,
                                                              const std::map<std::string, std::string>& incident);

}  // namespace vigil::skills
