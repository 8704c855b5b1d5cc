#include "skills/findings.h"

#include <algorithm>

#include "skills/condition_values.h"
#include "skills/skill_regex.h"

namespace vigil::skills {
namespace {

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) {
    ++b;
  }
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

// At most `limit` bytes, cut on a UTF-8 boundary, control characters turned into spaces.
std::string bounded(std::string_view s, std::size_t limit) {
  std::string out;
  for (const char c : s) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (out.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.resize(cut);
    out += "…";
  }
  return out;
}

bool condition_holds(const Condition& c, const FindingInputs& in, std::vector<std::string>* problems) {
  const auto it = in.steps.find(c.step);
  if (it == in.steps.end()) {
    return false;  // not run (yet)
  }
  const auto& step = it->second;
  if (!c.status.empty() && c.status != step.status) {
    return false;
  }
  if (!c.output_contains.empty() && step.output.find(c.output_contains) == std::string::npos) {
    return false;
  }
  if (!c.output_not_contains.empty() && step.output.find(c.output_not_contains) != std::string::npos) {
    return false;
  }
  if (!extra_conditions_hold(c, step.output, in.values.captures)) {
    return false;
  }
  if (!c.output_matches.empty()) {
    const auto found = regex_search(c.output_matches, step.output, RegexLines::Each);
    if (!found) {
      if (problems) {
        problems->push_back("when " + c.step + ".output_matches: " + found.error().detail);
      }
      return false;
    }
    return *found;
  }
  return true;
}

std::string capture_value(const FindingCapture& c, const FindingInputs& in, std::vector<std::string>* problems) {
  const auto it = in.steps.find(c.step);
  if (it == in.steps.end()) {
    return c.default_value;
  }
  const auto match =
      c.last ? regex_capture_last(c.regex, it->second.output) : regex_capture(c.regex, it->second.output);
  if (!match) {
    if (problems) {
      problems->push_back("capture " + c.name + ": " + match.error().detail);
    }
    return c.default_value;
  }
  if (!*match) {
    return c.default_value;
  }
  auto value = trim(**match);
  if (value.empty()) {
    return c.default_value;
  }
  return bounded(value, kMaxFindingValueBytes);
}

std::string lookup(const std::string& name, const std::map<std::string, std::string>& found,
                   const TemplateValues& values) {
  const auto dot = name.find('.');
  const auto kind = name.substr(0, dot);
  const auto rest = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  const auto from = [&](const std::map<std::string, std::string>& m) {
    const auto it = m.find(rest);
    return it == m.end() ? std::string("unknown") : bounded(it->second, kMaxFindingValueBytes);
  };
  if (kind == "findings") {
    return from(found);
  }
  if (kind == "params") {
    return from(values.params);
  }
  if (kind == "incident") {
    return from(values.incident);
  }
  if (kind == "steps") {
    const auto d2 = rest.find('.');
    if (d2 != std::string::npos) {
      const auto s = values.captures.find(rest.substr(0, d2));
      if (s != values.captures.end()) {
        const auto v = s->second.find(rest.substr(d2 + 1));
        if (v != s->second.end()) {
          return bounded(v->second, kMaxFindingValueBytes);
        }
      }
    }
  }
  return "unknown";
}

// The sentence with its placeholders filled; values are inserted once, never scanned again.
std::string render(const std::string& say, const std::map<std::string, std::string>& found,
                   const TemplateValues& values) {
  std::string out;
  std::size_t pos = 0;
  while (pos < say.size()) {
    const auto open = say.find("{{", pos);
    if (open == std::string::npos) {
      out += say.substr(pos);
      break;
    }
    const auto close = say.find("}}", open + 2);
    if (close == std::string::npos) {
      out += say.substr(pos);
      break;
    }
    out += say.substr(pos, open - pos);
    out += lookup(trim(std::string_view(say).substr(open + 2, close - open - 2)), found, values);
    pos = close + 2;
  }
  return bounded(out, kMaxFindingTextBytes);
}

}  // namespace

Result<std::vector<std::string>> finding_placeholders(const std::string& say) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (true) {
    const auto open = say.find("{{", pos);
    if (open == std::string::npos) {
      return names;
    }
    const auto close = say.find("}}", open + 2);
    if (close == std::string::npos) {
      return make_error(Errc::InvalidInput, "a {{ is not closed with }}");
    }
    const auto name = trim(std::string_view(say).substr(open + 2, close - open - 2));
    const auto dot = name.find('.');
    const auto kind = name.substr(0, dot == std::string::npos ? name.size() : dot);
    const bool two_parts = dot != std::string::npos && dot + 1 < name.size();
    const bool ok = two_parts && (kind == "findings" || kind == "params" || kind == "incident" ||
                                  (kind == "steps" && name.find('.', dot + 1) != std::string::npos));
    if (!ok) {
      return make_error(Errc::InvalidInput, "{{ " + name +
                                                " }}: expected findings.<capture>, params.<name>, "
                                                "steps.<step>.<capture> or incident.<key>");
    }
    names.push_back(name);
    pos = close + 2;
  }
}

std::vector<FindingResult> evaluate_findings(const std::vector<Finding>& findings, const FindingInputs& inputs,
                                             std::vector<std::string>* problems) {
  std::vector<FindingResult> out;
  for (const auto& f : findings) {
    const bool holds = !f.when.empty() && std::all_of(f.when.begin(), f.when.end(), [&](const Condition& c) {
      return condition_holds(c, inputs, problems);
    });
    if (!holds) {
      continue;
    }
    std::map<std::string, std::string> found;
    for (const auto& c : f.captures) {
      found[c.name] = capture_value(c, inputs, problems);
    }
    FindingResult r;
    r.id = f.id;
    r.step = f.when.front().step;
    r.text = render(f.say, found, inputs.values);
    for (const auto& e : f.evidence) {
      if (r.evidence.size() >= kMaxEvidenceLines) {
        break;
      }
      const auto step = inputs.steps.find(e.step);
      if (step == inputs.steps.end()) {
        continue;
      }
      const auto lines = regex_matching_lines(e.regex, step->second.output, kMaxEvidenceLines);
      if (!lines) {
        if (problems) {
          problems->push_back("evidence " + e.step + ": " + lines.error().detail);
        }
        continue;
      }
      for (const auto& l : *lines) {
        auto line = bounded(trim(l), kMaxEvidenceLineBytes);
        if (!line.empty() && r.evidence.size() < kMaxEvidenceLines &&
            std::find(r.evidence.begin(), r.evidence.end(), line) == r.evidence.end()) {
          r.evidence.push_back(std::move(line));
        }
      }
    }
    const bool repeated = std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.text == r.text; });
    if (!repeated) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string describe_finding(const FindingResult& f) {
  std::string out = f.text;
  for (const auto& e : f.evidence) {
    out += "\n  > " + e;
  }
  return out;
}

}  // namespace vigil::skills
