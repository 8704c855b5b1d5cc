#include "skills/template.h"

#include <algorithm>

#include "skills/skill_regex.h"

namespace vigil::skills {
namespace {

constexpr std::size_t kMaxValue = 4096;

bool is_name(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_label_key(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '/';
  });
}

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) {
    ++b;
  }
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

const std::vector<std::string_view> kIncidentFields = {"id", "title", "alertname", "severity", "source", "fingerprint"};

Result<Placeholder> parse_placeholder(const std::string& expr) {
  Placeholder p;
  const auto dot = expr.find('.');
  if (dot == std::string::npos) {
    return make_error(Errc::InvalidInput,
                      "unknown template variable '" + expr + "' (use params.x, steps.<id>.<capture> or incident.x)");
  }
  const std::string root = expr.substr(0, dot);
  const std::string rest = expr.substr(dot + 1);
  if (root == "params") {
    if (!is_name(rest)) {
      return make_error(Errc::InvalidInput, "bad parameter name in '" + expr + "'");
    }
    p.kind = Placeholder::Kind::Param;
    p.name = rest;
    return p;
  }
  if (root == "steps") {
    const auto d2 = rest.find('.');
    if (d2 == std::string::npos || !is_name(rest.substr(0, d2)) || !is_name(rest.substr(d2 + 1))) {
      return make_error(Errc::InvalidInput, "bad capture reference '" + expr + "' (use steps.<step id>.<capture>)");
    }
    p.kind = Placeholder::Kind::Capture;
    p.step = rest.substr(0, d2);
    p.name = rest.substr(d2 + 1);
    return p;
  }
  if (root == "incident") {
    p.kind = Placeholder::Kind::Incident;
    if (rest.rfind("labels.", 0) == 0 && is_label_key(rest.substr(7))) {
      p.name = rest;
      return p;
    }
    if (std::find(kIncidentFields.begin(), kIncidentFields.end(), rest) != kIncidentFields.end()) {
      p.name = rest;
      return p;
    }
    return make_error(Errc::InvalidInput, "unknown incident field '" + rest +
                                              "' (id, title, alertname, severity, source, fingerprint, labels.<key>)");
  }
  return make_error(Errc::InvalidInput,
                    "unknown template variable '" + expr + "' (use params.x, steps.<id>.<capture> or incident.x)");
}

}  // namespace

std::string Placeholder::text() const {
  switch (kind) {
    case Kind::Param:
      return "params." + name;
    case Kind::Capture:
      return "steps." + step + "." + name;
    case Kind::Incident:
      return "incident." + name;
  }
  return name;
}

Result<Template> Template::parse(const std::vector<std::string>& argv) {
  Template t;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    std::vector<Part> parts;
    std::size_t pos = 0;
    while (pos < s.size()) {
      const auto open = s.find("{{", pos);
      if (open == std::string::npos) {
        parts.push_back({true, s.substr(pos), 0});
        break;
      }
      if (open > pos) {
        parts.push_back({true, s.substr(pos, open - pos), 0});
      }
      const auto close = s.find("}}", open + 2);
      if (close == std::string::npos) {
        return make_error(Errc::InvalidInput, "argv element " + std::to_string(i) + ", column " +
                                                  std::to_string(open + 1) + ": '{{' without a closing '}}'");
      }
      auto ph = parse_placeholder(trim(std::string_view(s).substr(open + 2, close - open - 2)));
      if (!ph) {
        return make_error(Errc::InvalidInput, "argv element " + std::to_string(i) + ", column " +
                                                  std::to_string(open + 1) + ": " + ph.error().detail);
      }
      ph->column = static_cast<int>(open);
      parts.push_back({false, {}, t.placeholders_.size()});
      t.placeholders_.push_back(std::move(*ph));
      t.elements_.push_back(i);
      pos = close + 2;
    }
    if (s.empty()) {
      parts.push_back({true, {}, 0});
    }
    t.argv_.push_back(std::move(parts));
  }
  return t;
}

Result<std::vector<std::string>> Template::render(const TemplateValues& values) const {
  std::vector<std::string> out;
  out.reserve(argv_.size());
  for (const auto& parts : argv_) {
    std::string arg;
    for (const auto& part : parts) {
      if (part.is_literal) {
        arg += part.text;
        continue;
      }
      const Placeholder& ph = placeholders_[part.placeholder];
      const std::string* value = nullptr;
      switch (ph.kind) {
        case Placeholder::Kind::Param:
          if (auto it = values.params.find(ph.name); it != values.params.end()) {
            value = &it->second;
          }
          break;
        case Placeholder::Kind::Capture:
          if (auto s = values.captures.find(ph.step); s != values.captures.end()) {
            if (auto it = s->second.find(ph.name); it != s->second.end()) {
              value = &it->second;
            }
          }
          break;
        case Placeholder::Kind::Incident:
          if (auto it = values.incident.find(ph.name); it != values.incident.end()) {
            value = &it->second;
          }
          break;
      }
      if (!value) {
        return make_error(Errc::InvalidInput, "no value for {{ " + ph.text() + " }}");
      }
      if (auto shape = check_value_shape(*value); !shape) {
        return make_error(Errc::InvalidInput, ph.text() + ": " + shape.error().detail);
      }
      // Whatever its pattern said: a value that would begin an argument with "-" is an option to
      // the program, not a name (kubectl would read "-shttp://…" as --server).
      if (arg.empty() && !value->empty() && value->front() == '-') {
        return make_error(Errc::InvalidInput,
                          ph.text() + ": value refused (starts with '-', which " + "would be read as an option)");
      }
      // Parameters were checked against their own pattern when resolved; captured and incident
      // values are untrusted text and must look like a plain name.
      if (ph.kind != Placeholder::Kind::Param && !full_match(std::string(kSafeValuePattern), *value)) {
        return make_error(Errc::InvalidInput, ph.text() + ": value refused (not a plain name, path or number)");
      }
      arg += *value;
    }
    out.push_back(std::move(arg));
  }
  return out;
}

Result<void> check_value_shape(std::string_view value) {
  if (value.size() > kMaxValue) {
    return make_error(Errc::InvalidInput, "value is longer than 4096 bytes");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return make_error(Errc::InvalidInput, "value contains a control character (newline, NUL, …)");
    }
  }
  if (value.find("{{") != std::string_view::npos || value.find("}}") != std::string_view::npos) {
    return make_error(Errc::InvalidInput, "value contains a template marker");
  }
  return {};
}

bool full_match(const std::string& pattern, const std::string& value) {
  const auto matched = regex_full_match(pattern, value);
  return matched && *matched;
}

Result<void> check_parameter_value(const Parameter& p, const std::string& value) {
  if (auto shape = check_value_shape(value); !shape) {
    return make_error(Errc::InvalidInput, "parameter " + p.name + ": " + shape.error().detail);
  }
  if (!p.enum_values.empty() && std::find(p.enum_values.begin(), p.enum_values.end(), value) == p.enum_values.end()) {
    std::string allowed;
    for (const auto& e : p.enum_values) {
      allowed += (allowed.empty() ? "" : ", ") + e;
    }
    return make_error(Errc::InvalidInput, "parameter " + p.name + ": '" + value + "' is not one of " + allowed);
  }
  const auto pattern = p.effective_pattern();
  if (!pattern.empty() && !full_match(pattern, value)) {
    return make_error(Errc::InvalidInput, "parameter " + p.name + ": value refused (must match " + pattern + ")");
  }
  return {};
}

std::optional<std::string> parameter_value(const Parameter& p, const std::map<std::string, std::string>& given,
                                           const std::map<std::string, std::string>& incident) {
  if (auto it = given.find(p.name); it != given.end()) {
    return it->second;
  }
  if (!p.from_incident.empty()) {
    if (auto inc = incident.find(p.from_incident); inc != incident.end() && !inc->second.empty()) {
      return inc->second;
    }
  }
  return p.default_value;
}

Result<std::map<std::string, std::string>> resolve_parameters(const Skill& skill,
                                                              const std::map<std::string, std::string>& given,
                                                              const std::map<std::string, std::string>& incident) {
  std::map<std::string, std::string> out;
  std::vector<std::string> problems;
  for (const auto& [name, value] : given) {
    if (!skill.find_parameter(name)) {
      problems.push_back("unknown parameter '" + name + "'");
    }
  }
  for (const auto& p : skill.parameters) {
    const auto value = parameter_value(p, given, incident);
    if (!value) {
      if (p.required) {
        problems.push_back("parameter " + p.name + " is required");
      }
      continue;
    }
    if (auto ok = check_parameter_value(p, *value); !ok) {
      problems.push_back(ok.error().detail);
      continue;
    }
    out[p.name] = *value;
  }
  if (!problems.empty()) {
    std::string detail;
    for (const auto& pr : problems) {
      detail += (detail.empty() ? "" : "; ") + pr;
    }
    return make_error(Errc::InvalidInput, detail);
  }
  return out;
}

}  // namespace vigil::skills
