#include "skills/parameter_input.h"

#include <algorithm>

#include "skills/template.h"

namespace vigil::skills {
namespace {

constexpr std::string_view kDnsLabel = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
constexpr std::string_view kDnsSubdomain = "[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?";

bool is_kubernetes_name(const Parameter& p) {
  return p.pattern == kDnsLabel || p.pattern == kDnsSubdomain;
}

/// The value as quoted in a message: cut, control characters shown as '?'.
std::string quoted(const std::string& value) {
  std::string v = value.substr(0, 64);
  for (auto& c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = '?';
    }
  }
  return "'" + v + (value.size() > 64 ? "…'" : "'");
}

std::string refusal(const Parameter& p, const std::string& value) {
  if (!check_value_shape(value)) {
    return p.name + ": the value has a line break, a control character or '{{' (or is longer than 4096)";
  }
  const auto form = expected_form(p);
  if (!p.enum_values.empty()) {
    return p.name + ": " + quoted(value) + " is not " + form;
  }
  const std::string what = is_kubernetes_name(p) ? "a " + p.name + " name" : "a valid " + p.name;
  return p.name + ": " + quoted(value) + " is not " + what + (form.empty() ? "" : " (" + form + ")");
}

}  // namespace

std::vector<std::string> ParameterCheck::missing() const {
  std::vector<std::string> out;
  for (const auto& p : problems) {
    if (p.missing) {
      out.push_back(p.name);
    }
  }
  return out;
}

ParameterCheck validate_parameters(const Skill& skill, const std::map<std::string, std::string>& given,
                                   const std::map<std::string, std::string>& incident) {
  ParameterCheck check;
  for (const auto& [name, value] : given) {
    if (!skill.find_parameter(name)) {
      std::string known;
      for (const auto& p : skill.parameters) {
        known += (known.empty() ? "" : ", ") + p.name;
      }
      check.problems.push_back({name.substr(0, 64),
                                "'" + name.substr(0, 64) + "' is not a parameter of " + skill.id +
                                    (known.empty() ? " (it takes none)" : " (it takes " + known + ")"),
                                false});
    }
  }
  // A field left empty (in the modal, or `key=`) is not given: the incident or the default fills it.
  std::map<std::string, std::string> non_empty;
  for (const auto& [name, value] : given) {
    if (!value.empty()) {
      non_empty.emplace(name, value);
    }
  }
  for (const auto& p : skill.parameters) {
    const auto value = parameter_value(p, non_empty, incident);
    if (!value) {
      if (p.required) {
        check.problems.push_back(
            {p.name, p.name + " is required" + (p.description.empty() ? "" : " (" + p.description + ")"), true});
      }
      continue;
    }
    if (!check_parameter_value(p, *value)) {
      check.problems.push_back({p.name, refusal(p, *value), false});
      continue;
    }
    check.values[p.name] = *value;
  }
  return check;
}

std::string expected_form(const Parameter& p) {
  if (!p.enum_values.empty()) {
    std::string list;
    for (std::size_t i = 0; i < p.enum_values.size(); ++i) {
      list += (i == 0 ? "" : (i + 1 == p.enum_values.size() ? " or " : ", ")) + p.enum_values[i];
    }
    return "one of " + list;
  }
  if (p.pattern == kDnsLabel) {
    return "lowercase letters, digits and '-', at most 63 characters";
  }
  if (p.pattern == kDnsSubdomain) {
    return "lowercase letters, digits, '-' and '.'";
  }
  if (p.type == "boolean") {
    return "true or false";
  }
  if (p.type == "integer") {
    if (p.pattern == "[1-9][0-9]?") {
      return "a whole number from 1 to 99";
    }
    if (p.pattern == "[1-9]|1[0-9]|20") {
      return "a whole number from 1 to 20";
    }
    return "a whole number";
  }
  return {};
}

std::string example_value(const Parameter& p) {
  if (p.default_value) {
    return *p.default_value;
  }
  if (!p.enum_values.empty()) {
    return p.enum_values.front();
  }
  if (p.type == "boolean") {
    return "true";
  }
  if (p.type == "integer") {
    return "3";
  }
  static const std::map<std::string, std::string> kTypical = {
      {"namespace", "payments"}, {"pod", "api-7d4b9c6f5-x2x9k"},
      {"deployment", "api"},     {"node", "ip-10-0-1-23.ec2.internal"},
      {"container", "api"},      {"service", "api"}};
  if (const auto it = kTypical.find(p.name); it != kTypical.end()) {
    return it->second;
  }
  return {};
}

std::string usage_line(const Skill& skill) {
  std::string line = "/runbook run " + skill.id;
  for (const auto& p : skill.parameters) {
    const std::string arg = p.name + "=<" + p.name + ">";
    line += " " + (p.required && !p.default_value ? arg : "[" + arg + "]");
  }
  return line;
}

std::string usage_text(const Skill& skill) {
  std::string text = "`" + usage_line(skill) + "`";
  for (const auto& p : skill.parameters) {
    text += "\n• `" + p.name + "`";
    if (p.required && !p.default_value) {
      text += " (required";
      if (!p.from_incident.empty()) {
        text += "; an alert's " + p.from_incident + " fills it";
      }
      text += ")";
    } else if (p.default_value) {
      text += " (optional, default " + *p.default_value + ")";
    } else {
      text += " (optional)";
    }
    if (!p.description.empty()) {
      text += ": " + p.description;
    }
    const auto form = expected_form(p);
    if (!form.empty()) {
      text += (p.description.empty() ? ": " : "; ") + form;
    }
    const auto example = example_value(p);
    if (!example.empty()) {
      text += ", e.g. `" + p.name + "=" + example + "`";
    }
  }
  return text;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += i + 1 == words.size() ? " and " : ", ";
    }
    out += words[i];
  }
  return out;
}

}  // namespace vigil::skills
