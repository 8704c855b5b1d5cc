#include "skills/skill_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "skills/findings.h"
#include "skills/skill_regex.h"
#include "skills/template.h"

namespace vigil::skills {
namespace {

SourceMark mark_of(const YAML::Node& n) {
  const auto m = n.Mark();
  if (m.line < 0) {
    return {};
  }
  return {m.line + 1, m.column + 1};
}

// Repetition counts ({n,m}) and back-references (\n) past what a pattern can use are refused
// before a regex compiler sees them (libstdc++'s, used here before skills/skill_regex.h, read them
// into a long without an overflow check; Boost.Regex refuses them too, this keeps the reason short).
constexpr std::size_t kMaxRegexNumberDigits = 6;

bool regex_numbers_fit(const std::string& r) {
  std::size_t digits = 0;
  bool counting = false;  // inside {n,m} or right after a backslash
  for (std::size_t i = 0; i < r.size(); ++i) {
    const char c = r[i];
    if (c >= '0' && c <= '9') {
      if (counting && ++digits > kMaxRegexNumberDigits) {
        return false;
      }
      continue;
    }
    digits = 0;
    if (c == '\\' && i + 1 < r.size() && !(r[i + 1] >= '0' && r[i + 1] <= '9')) {
      counting = false;
      ++i;  // an escaped character, never a count
      continue;
    }
    counting = c == '\\' || c == '{' || (c == ',' && counting);
  }
  return true;
}

bool valid_regex(const std::string& r, std::string& why) {
  if (!regex_numbers_fit(r)) {
    why = "a repetition count or back-reference is too large";
    return false;
  }
  auto compiled = check_regex(r);
  if (!compiled) {
    why = compiled.error().detail;
    return false;
  }
  return true;
}

bool is_id(const std::string& s) {
  if (s.empty() || s.size() > 64) {
    return false;
  }
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

std::optional<std::chrono::seconds> parse_seconds(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t i = 0;
  long long n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    n = n * 10 + (text[i] - '0');
    if (n > 10'000'000) {
      return std::nullopt;
    }
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  const std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") {
    return std::chrono::seconds(n);
  }
  if (unit == "m") {
    return std::chrono::seconds(n * 60);
  }
  if (unit == "h") {
    return std::chrono::seconds(n * 3600);
  }
  return std::nullopt;
}

// Where a step sits, for capture and `when` references.
enum class Section { Steps, Verify, Rollback };

class Parser {
 public:
  Parser(std::string file, SkillLoad& out) : file_(std::move(file)), out_(out) {}

  void error(const YAML::Node& n, const std::string& msg) { error(mark_of(n), msg); }
  void error(SourceMark m, const std::string& msg) {
    out_.errors.push_back({file_, m.line, m.column, msg});
    ++errors_;
  }
  void warning(const YAML::Node& n, const std::string& msg) {
    const auto m = mark_of(n);
    out_.warnings.push_back({file_, m.line, m.column, msg});
  }

  // Unknown keys are errors; returns false when `n` is not a map.
  bool check_map(const YAML::Node& n, const std::string& where, const std::set<std::string>& keys) {
    if (!n.IsMap()) {
      error(n, where + ": expected a mapping");
      return false;
    }
    for (const auto& kv : n) {
      const auto key = kv.first.Scalar();
      if (!keys.count(key)) {
        std::string known;
        for (const auto& k : keys) {
          known += (known.empty() ? "" : ", ") + k;
        }
        error(kv.first, where + ": unknown key '" + key + "' (known: " + known + ")");
      }
    }
    return true;
  }

  bool read_string(const YAML::Node& parent, const char* key, const std::string& where, std::string& out) {
    const auto n = parent[key];
    if (!n) {
      return false;
    }
    if (!n.IsScalar()) {
      error(n, where + "." + key + ": expected a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void read_bool(const YAML::Node& parent, const char* key, const std::string& where, bool& out) {
    const auto n = parent[key];
    if (!n) {
      return;
    }
    const std::string v = n.IsScalar() ? n.Scalar() : "";
    if (v == "true") {
      out = true;
    } else if (v == "false") {
      out = false;
    } else {
      error(n, where + "." + key + ": expected true or false");
    }
  }

  bool read_list(const YAML::Node& parent, const char* key, const std::string& where, std::vector<std::string>& out,
                 std::vector<YAML::Node>* nodes = nullptr) {
    const auto n = parent[key];
    if (!n) {
      return false;
    }
    if (!n.IsSequence()) {
      error(n, where + "." + key + ": expected a list of strings");
      return false;
    }
    bool ok = true;
    for (const auto& e : n) {
      if (!e.IsScalar()) {
        error(e, where + "." + key + ": expected a string");
        ok = false;
        continue;
      }
      out.push_back(e.Scalar());
      if (nodes) {
        nodes->push_back(e);
      }
    }
    return ok;
  }

  void read_duration(const YAML::Node& parent, const char* key, const std::string& where, std::chrono::seconds& out) {
    const auto n = parent[key];
    if (!n) {
      return;
    }
    const auto d = n.IsScalar() ? parse_seconds(n.Scalar()) : std::nullopt;
    if (!d || d->count() <= 0) {
      error(n, where + "." + key + ": expected a duration such as 30s, 5m or 1h");
      return;
    }
    out = *d;
  }

  void parse_triggers(const YAML::Node& n, Triggers& t) {
    if (!check_map(n, "triggers", {"alertnames", "labels", "text"})) {
      return;
    }
    read_list(n, "alertnames", "triggers", t.alertnames);
    if (const auto labels = n["labels"]) {
      if (!labels.IsMap()) {
        error(labels, "triggers.labels: expected a mapping of label to value");
      } else {
        for (const auto& kv : labels) {
          if (!kv.second.IsScalar()) {
            error(kv.second, "triggers.labels." + kv.first.Scalar() + ": expected a string");
            continue;
          }
          t.labels[kv.first.Scalar()] = kv.second.Scalar();
        }
      }
    }
    std::vector<YAML::Node> nodes;
    read_list(n, "text", "triggers", t.text, &nodes);
    for (std::size_t i = 0; i < t.text.size() && i < nodes.size(); ++i) {
      std::string why;
      if (!valid_regex(t.text[i], why)) {
        error(nodes[i], "triggers.text: bad regular expression: " + why);
      }
    }
  }

  void parse_parameters(const YAML::Node& n, Skill& skill) {
    if (!n.IsSequence()) {
      error(n, "parameters: expected a list");
      return;
    }
    for (const auto& pn : n) {
      Parameter p;
      p.mark = mark_of(pn);
      if (!check_map(pn, "parameter",
                     {"name", "type", "pattern", "enum", "default", "required", "description", "from_incident"})) {
        continue;
      }
      if (!read_string(pn, "name", "parameter", p.name) || !is_param_name(p.name)) {
        error(pn["name"] ? pn["name"] : pn, "parameter: name is required (letters, digits, _ and -)");
        continue;
      }
      const std::string where = "parameters." + p.name;
      if (skill.find_parameter(p.name)) {
        error(pn["name"], where + ": duplicate parameter name");
        continue;
      }
      read_string(pn, "type", where, p.type);
      if (p.type != "string" && p.type != "integer" && p.type != "boolean") {
        error(pn["type"], where + ".type: expected string, integer or boolean");
      }
      if (read_string(pn, "pattern", where, p.pattern)) {
        std::string why;
        if (!valid_regex(p.pattern, why)) {
          error(pn["pattern"], where + ".pattern: bad regular expression: " + why);
        } else if (const auto dash = option_like_match(p.pattern); dash && *dash) {
          error(pn["pattern"], where + ".pattern: matches '" + **dash +
                                   "', a value starting with '-' that a program would read as an option; "
                                   "start the pattern with a letter or digit");
        }
      }
      read_list(pn, "enum", where, p.enum_values);
      std::string def;
      if (read_string(pn, "default", where, def)) {
        p.default_value = def;
      }
      read_bool(pn, "required", where, p.required);
      read_string(pn, "description", where, p.description);
      if (read_string(pn, "from_incident", where, p.from_incident)) {
        const bool ok = p.from_incident.rfind("labels.", 0) == 0 || p.from_incident == "alertname" ||
                        p.from_incident == "title" || p.from_incident == "severity" || p.from_incident == "source" ||
                        p.from_incident == "id" || p.from_incident == "fingerprint";
        if (!ok) {
          error(pn["from_incident"], where +
                                         ".from_incident: expected labels.<key>, alertname, "
                                         "title, severity, source, id or fingerprint");
        }
      }
      if (p.default_value && (!p.effective_pattern().empty() || !p.enum_values.empty())) {
        if (auto ok = check_parameter_value(p, *p.default_value); !ok) {
          error(pn["default"], where + ".default: " + ok.error().detail);
        }
      }
      skill.parameters.push_back(std::move(p));
    }
  }

  static bool is_param_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
  }

  // "step.capture" naming a capture of a step parsed so far (at a finding: of any step).
  std::optional<CaptureRef> read_capture_ref(const YAML::Node& n, const std::string& where) {
    if (!n.IsScalar()) {
      error(n, where + ": expected step.capture");
      return std::nullopt;
    }
    const std::string text = n.Scalar();
    const auto dot = text.find('.');
    CaptureRef ref;
    if (dot != std::string::npos) {
      ref = CaptureRef{text.substr(0, dot), text.substr(dot + 1)};
    }
    const auto it = captures_.find(ref.step);
    if (dot == std::string::npos || it == captures_.end() || !it->second.count(ref.name)) {
      error(n, where + ": '" + text + "' is not step.capture of an earlier step");
      return std::nullopt;
    }
    return ref;
  }

  // began_within: {after: step.capture, at_most: 30m} and same_as: step.capture.
  void read_capture_conditions(const YAML::Node& n, const std::string& where, Condition& c) {
    if (const auto w = n["began_within"]) {
      const std::string at = where + ".began_within";
      if (check_map(w, at, {"after", "at_most"})) {
        TimeWindow window;
        read_duration(w, "at_most", at, window.at_most);
        if (!w["after"] || !w["at_most"]) {
          error(w, at + ": expected {after: step.capture, at_most: a duration}");
        } else if (const auto ref = read_capture_ref(w["after"], at + ".after"); ref && window.at_most.count() > 0) {
          window.after = *ref;
          c.began_within = window;
        }
      }
    }
    if (const auto v = n["same_as"]) {
      c.same_as = read_capture_ref(v, where + ".same_as");
    }
  }

  // `skill`: for output_below_param, whose parameter it names (null where that key is refused).
  void parse_condition(const YAML::Node& n, const std::string& where, Condition& c, bool needs_step,
                       const Skill* skill = nullptr) {
    std::set<std::string> keys{"status", "output_contains", "output_not_contains", "output_matches"};
    if (skill) {
      keys.insert("output_below_param");
    }
    if (needs_step) {
      keys.insert({"step", "began_within", "same_as"});
    }
    if (!check_map(n, where, keys)) {
      return;
    }
    c.mark = mark_of(n);
    if (needs_step && !read_string(n, "step", where, c.step)) {
      error(n, where + ": step is required");
    }
    if (read_string(n, "status", where, c.status) && c.status != "succeeded" && c.status != "failed" &&
        c.status != "skipped") {
      error(n["status"], where + ".status: expected succeeded, failed or skipped");
    }
    read_string(n, "output_contains", where, c.output_contains);
    read_string(n, "output_not_contains", where, c.output_not_contains);
    if (read_string(n, "output_matches", where, c.output_matches)) {
      std::string why;
      if (!valid_regex(c.output_matches, why)) {
        error(n["output_matches"], where + ".output_matches: bad regular expression: " + why);
      }
    }
    read_capture_conditions(n, where, c);
    if (read_string(n, "output_below_param", where, c.output_below_param)) {
      const Parameter* p = skill ? skill->find_parameter(c.output_below_param) : nullptr;
      if (!p || p->type != "integer") {
        error(n["output_below_param"],
              where + ".output_below_param: '" + c.output_below_param + "' is not an integer parameter of this skill");
      }
    }
  }

  // Checks an argv template against what is defined so far.
  void check_argv(const YAML::Node& list, const std::vector<std::string>& argv, const std::vector<YAML::Node>& nodes,
                  const std::string& where, const Skill& skill) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
      auto t = Template::parse({argv[i]});
      const YAML::Node& node = i < nodes.size() ? nodes[i] : list;
      if (!t) {
        error(node, where + ": " + t.error().detail.substr(t.error().detail.find(": ") + 2));
        continue;
      }
      for (const auto& ph : t->placeholders()) {
        switch (ph.kind) {
          case Placeholder::Kind::Param: {
            const Parameter* p = skill.find_parameter(ph.name);
            if (!p) {
              error(node, where + ": template variable {{ " + ph.text() + " }} is not defined");
            } else if (p->effective_pattern().empty() && p->enum_values.empty()) {
              error(node, where + ": parameter " + p->name +
                              " is substituted into argv but has neither a pattern nor an enum");
            }
            break;
          }
          case Placeholder::Kind::Capture: {
            const auto it = captures_.find(ph.step);
            if (it == captures_.end() || !it->second.count(ph.name)) {
              error(node,
                    where + ": template variable {{ " + ph.text() + " }} is not defined (no earlier step captures it)");
            }
            break;
          }
          case Placeholder::Kind::Incident:
            break;
        }
      }
      if (i == 0 && !t->placeholders().empty()) {
        error(node, where + ": the program (first argv element) cannot be a template");
      }
    }
  }

  // A step's `when`: one condition, or a list of them that must all hold.
  void read_step_when(const YAML::Node& w, const std::string& where, const Skill& skill, Step& s) {
    std::vector<YAML::Node> conds;
    if (w.IsSequence()) {
      for (const auto& c : w) {
        conds.push_back(c);
      }
      if (conds.empty()) {
        error(w, where + ": expected at least one condition");
      }
    } else {
      conds.push_back(w);
    }
    for (const auto& cn : conds) {
      Condition c;
      parse_condition(cn, where, c, true, &skill);
      if (!c.step.empty() && !captures_.count(c.step)) {
        error(cn["step"] ? cn["step"] : cn, where + ": step '" + c.step + "' is not an earlier step");
      }
      s.when.push_back(std::move(c));
    }
  }

  std::optional<Step> parse_step(const YAML::Node& n, Section section, const Skill& skill) {
    std::set<std::string> keys{"id",
                               "title",
                               "run",
                               "dry_run",
                               "timeout",
                               "mutating",
                               "requires_approval",
                               "risk",
                               "approvers",
                               "allow_self_approval",
                               "capture",
                               "when",
                               "on_failure"};
    if (section == Section::Verify) {
      keys.insert("expect");
    }
    if (!check_map(n, "step", keys)) {
      return std::nullopt;
    }
    Step s;
    s.mark = mark_of(n);
    if (!read_string(n, "id", "step", s.id) || !is_id(s.id)) {
      error(n["id"] ? n["id"] : n, "step: id is required (lower case letters, digits, - and _, at most 64)");
      return std::nullopt;
    }
    const std::string where = "step " + s.id;
    if (!step_ids_.insert(s.id).second) {
      error(n["id"], where + ": duplicate step id");
    }
    read_string(n, "title", where, s.title);
    if (!n["run"]) {
      error(n, where + ": run is required (an argv list)");
    } else {
      read_argv(n, "run", where, s.run, skill);
    }
    read_argv(n, "dry_run", where, s.dry_run, skill);
    read_duration(n, "timeout", where, s.timeout);
    read_gate(n, section, where, s);
    read_list(n, "approvers", where, s.approvers);
    read_bool(n, "allow_self_approval", where, s.allow_self_approval);
    read_on_failure(n, where, s);
    if (const auto w = n["when"]) {
      read_step_when(w, where + ".when", skill, s);
    }
    if (const auto e = n["expect"]) {
      parse_condition(e, where + ".expect", s.expect, false);
    }
    captures_[s.id] = read_step_captures(n, where, s);
    return s;
  }

  // run or dry_run: a non-empty argv list whose templates name what is defined so far.
  void read_argv(const YAML::Node& n, const char* key, const std::string& where, std::vector<std::string>& argv,
                 const Skill& skill) {
    std::vector<YAML::Node> nodes;
    if (read_list(n, key, where, argv, &nodes)) {
      if (argv.empty()) {
        error(n[key], where + "." + key + ": must not be empty");
      } else {
        check_argv(n[key], argv, nodes, where + "." + key, skill);
      }
    }
  }

  // Whether the step changes something, whether it needs approval, and its risk.
  void read_gate(const YAML::Node& n, Section section, const std::string& where, Step& s) {
    read_bool(n, "mutating", where, s.mutating);
    read_bool(n, "requires_approval", where, s.requires_approval);
    if (section == Section::Rollback && !n["mutating"]) {
      s.mutating = true;  // a rollback changes something by definition
    }
    if (s.mutating && !s.requires_approval) {
      s.requires_approval = true;
      warning(n["requires_approval"] ? n["requires_approval"] : n,
              where + ": mutating steps always require approval (requires_approval forced on)");
    }
    if (section == Section::Verify && s.is_gated()) {
      error(n, where + ": verify steps must be read-only (no mutating or requires_approval)");
    }
    std::string risk;
    if (read_string(n, "risk", where, risk)) {
      if (risk == "low") {
        s.risk = Risk::Low;
      } else if (risk == "medium") {
        s.risk = Risk::Medium;
      } else if (risk == "high") {
        s.risk = Risk::High;
      } else {
        error(n["risk"], where + ".risk: expected low, medium or high");
      }
    } else if (s.mutating) {
      s.risk = Risk::Medium;
    }
  }

  void read_on_failure(const YAML::Node& n, const std::string& where, Step& s) {
    std::string on_failure;
    if (read_string(n, "on_failure", where, on_failure)) {
      if (on_failure == "stop") {
        s.on_failure = OnFailure::Stop;
      } else if (on_failure == "continue") {
        s.on_failure = OnFailure::Continue;
      } else if (on_failure == "rollback") {
        s.on_failure = OnFailure::Rollback;
      } else {
        error(n["on_failure"], where + ".on_failure: expected stop, continue or rollback");
      }
    }
  }

  // capture: name → regex (or {regex, pattern}); returns the names later steps may use.
  std::set<std::string> read_step_captures(const YAML::Node& n, const std::string& where, Step& s) {
    std::set<std::string> names;
    const auto cap = n["capture"];
    if (!cap) {
      return names;
    }
    if (!cap.IsMap()) {
      error(cap, where + ".capture: expected a mapping of name to regex");
      return names;
    }
    for (const auto& kv : cap) {
      Capture c;
      c.name = kv.first.Scalar();
      c.mark = mark_of(kv.first);
      if (!is_param_name(c.name)) {
        error(kv.first, where + ".capture: bad capture name '" + c.name + "'");
        continue;
      }
      if (kv.second.IsScalar()) {
        c.regex = kv.second.Scalar();
      } else if (check_map(kv.second, where + ".capture." + c.name, {"regex", "pattern"})) {
        read_string(kv.second, "regex", where + ".capture." + c.name, c.regex);
        if (read_string(kv.second, "pattern", where + ".capture." + c.name, c.pattern)) {
          std::string why;
          if (!valid_regex(c.pattern, why)) {
            error(kv.second["pattern"], where + ".capture." + c.name + ".pattern: bad regular expression: " + why);
          } else if (const auto dash = option_like_match(c.pattern); dash && *dash) {
            error(kv.second["pattern"], where + ".capture." + c.name + ".pattern: matches '" + **dash +
                                            "', a value starting with '-' that a program would read as an option");
          }
        }
      } else {
        continue;
      }
      std::string why;
      if (c.regex.empty()) {
        error(kv.second, where + ".capture." + c.name + ": regex is required");
      } else if (!valid_regex(c.regex, why)) {
        error(kv.second, where + ".capture." + c.name + ": bad regular expression: " + why);
      }
      names.insert(c.name);
      s.captures.push_back(std::move(c));
    }
    return names;
  }

  void check_regex_at(const YAML::Node& n, const std::string& where, const std::string& regex) {
    std::string why;
    if (regex.empty()) {
      error(n, where + ": regex is required");
    } else if (!valid_regex(regex, why)) {
      error(n, where + ": bad regular expression: " + why);
    }
  }

  // findings: after every step, so a rule may read any step of the skill (main or verify).
  void parse_findings(const YAML::Node& n, Skill& skill, const std::set<std::string>& steps) {
    if (!n.IsSequence()) {
      error(n, "findings: expected a list");
      return;
    }
    std::set<std::string> ids;
    for (const auto& fn : n) {
      if (auto f = parse_finding(fn, skill, steps, ids)) {
        skill.findings.push_back(std::move(*f));
      }
    }
  }

  // One finding; none when it has no usable id. `ids` holds the ids seen so far.
  std::optional<Finding> parse_finding(const YAML::Node& fn, const Skill& skill, const std::set<std::string>& steps,
                                       std::set<std::string>& ids) {
    if (!check_map(fn, "finding", {"id", "when", "capture", "say", "evidence"})) {
      return std::nullopt;
    }
    Finding f;
    f.mark = mark_of(fn);
    if (!read_string(fn, "id", "finding", f.id) || !is_id(f.id)) {
      error(fn["id"] ? fn["id"] : fn, "finding: id is required (lower case letters, digits, - and _, at most 64)");
      return std::nullopt;
    }
    const std::string where = "finding " + f.id;
    if (!ids.insert(f.id).second) {
      error(fn["id"], where + ": duplicate finding id");
    }
    read_finding_when(fn, where, steps, f);
    const std::string first_step = f.when.empty() ? std::string() : f.when.front().step;
    const auto names = read_finding_captures(fn, where, steps, first_step, f);
    check_finding_say(fn, where, skill, names, f);
    read_finding_evidence(fn, where, steps, first_step, f);
    return f;
  }

  void check_finding_step(const std::set<std::string>& steps, const YAML::Node& at, const std::string& where,
                          const std::string& step) {
    if (!steps.count(step)) {
      error(at, where + ": step '" + step + "' is not a step of this skill");
    }
  }

  // when: a condition on a step's output, or a list of them.
  void read_finding_when(const YAML::Node& fn, const std::string& where, const std::set<std::string>& steps,
                         Finding& f) {
    const auto w = fn["when"];
    if (!w) {
      error(fn, where + ": when is required (a condition, or a list of them, on a step's output)");
      return;
    }
    std::vector<YAML::Node> conds;
    if (w.IsSequence()) {
      for (const auto& c : w) {
        conds.push_back(c);
      }
    } else {
      conds.push_back(w);
    }
    if (conds.empty()) {
      error(w, where + ".when: expected at least one condition");
    }
    for (const auto& cn : conds) {
      Condition c;
      parse_condition(cn, where + ".when", c, true);
      if (c.step.empty()) {
        continue;
      }
      check_finding_step(steps, cn["step"] ? cn["step"] : cn, where + ".when", c.step);
      if (!c.output_matches.empty()) {
        std::string why;
        if (!valid_regex(c.output_matches, why)) {
          continue;  // parse_condition said so
        }
      }
      f.when.push_back(std::move(c));
    }
  }

  // capture: name → regex (or {step, regex, last, default}), read from the first `when` step unless
  // it names another; returns the names `say` may use.
  std::set<std::string> read_finding_captures(const YAML::Node& fn, const std::string& where,
                                              const std::set<std::string>& steps, const std::string& first_step,
                                              Finding& f) {
    std::set<std::string> names;
    const auto cap = fn["capture"];
    if (!cap) {
      return names;
    }
    if (!cap.IsMap()) {
      error(cap, where + ".capture: expected a mapping of name to regex");
      return names;
    }
    for (const auto& kv : cap) {
      FindingCapture c;
      c.name = kv.first.Scalar();
      c.mark = mark_of(kv.first);
      c.step = first_step;
      const std::string cw = where + ".capture." + c.name;
      if (!is_param_name(c.name)) {
        error(kv.first, where + ".capture: bad capture name '" + c.name + "'");
        continue;
      }
      if (kv.second.IsScalar()) {
        c.regex = kv.second.Scalar();
      } else if (check_map(kv.second, cw, {"step", "regex", "last", "default"})) {
        read_string(kv.second, "step", cw, c.step);
        read_string(kv.second, "regex", cw, c.regex);
        read_bool(kv.second, "last", cw, c.last);
        read_string(kv.second, "default", cw, c.default_value);
        if (kv.second["step"]) {
          check_finding_step(steps, kv.second["step"], cw, c.step);
        }
      } else {
        continue;
      }
      check_regex_at(kv.second, cw, c.regex);
      names.insert(c.name);
      f.captures.push_back(std::move(c));
    }
    return names;
  }

  // say: required; its placeholders name this finding's captures, parameters or step captures.
  void check_finding_say(const YAML::Node& fn, const std::string& where, const Skill& skill,
                         const std::set<std::string>& names, Finding& f) {
    if (!read_string(fn, "say", where, f.say) || f.say.empty()) {
      error(fn["say"] ? fn["say"] : fn, where + ": say is required (the one-line diagnosis)");
      return;
    }
    const auto used = finding_placeholders(f.say);
    if (!used) {
      error(fn["say"], where + ".say: " + used.error().detail);
      return;
    }
    for (const auto& name : *used) {
      const auto dot = name.find('.');
      const auto kind = name.substr(0, dot);
      const auto rest = name.substr(dot + 1);
      if (kind == "findings" && !names.count(rest)) {
        error(fn["say"], where + ".say: {{ " + name + " }} is not a capture of this finding");
      } else if (kind == "params" && !skill.find_parameter(rest)) {
        error(fn["say"], where + ".say: {{ " + name + " }}: no parameter " + rest);
      } else if (kind == "steps") {
        const auto d2 = rest.find('.');
        const auto it = captures_.find(rest.substr(0, d2));
        if (it == captures_.end() || !it->second.count(rest.substr(d2 + 1))) {
          error(fn["say"], where + ".say: {{ " + name + " }}: no step captures it");
        }
      }
    }
  }

  // evidence: regexes (or {step, regex}) whose matching lines are quoted with the finding.
  void read_finding_evidence(const YAML::Node& fn, const std::string& where, const std::set<std::string>& steps,
                             const std::string& first_step, Finding& f) {
    const auto ev = fn["evidence"];
    if (!ev) {
      return;
    }
    if (!ev.IsSequence()) {
      error(ev, where + ".evidence: expected a list of regexes (or {step, regex})");
      return;
    }
    for (const auto& en : ev) {
      EvidencePattern e;
      e.mark = mark_of(en);
      e.step = first_step;
      if (en.IsScalar()) {
        e.regex = en.Scalar();
      } else if (check_map(en, where + ".evidence", {"step", "regex"})) {
        read_string(en, "step", where + ".evidence", e.step);
        read_string(en, "regex", where + ".evidence", e.regex);
        if (en["step"]) {
          check_finding_step(steps, en["step"], where + ".evidence", e.step);
        }
      } else {
        continue;
      }
      check_regex_at(en, where + ".evidence", e.regex);
      f.evidence.push_back(std::move(e));
    }
  }

  void parse_step_list(const YAML::Node& n, const std::string& where, Section section, Skill& skill,
                       std::vector<Step>& out) {
    if (!n.IsSequence()) {
      error(n, where + ": expected a list of steps");
      return;
    }
    for (const auto& sn : n) {
      if (auto s = parse_step(sn, section, skill)) {
        out.push_back(std::move(*s));
      }
    }
  }

  std::optional<Skill> parse(const YAML::Node& root) {
    if (!check_map(root, "skill",
                   {"id", "title", "description", "triggers", "parameters", "steps", "verify", "rollback", "findings",
                    "requires_kubernetes", "start"})) {
      return std::nullopt;
    }
    Skill skill;
    skill.file = file_;
    if (!read_string(root, "id", "skill", skill.id) || !is_id(skill.id)) {
      error(root["id"] ? root["id"] : root, "skill: id is required (lower case letters, digits, - and _, at most 64)");
    }
    read_string(root, "title", "skill", skill.title);
    read_string(root, "description", "skill", skill.description);
    if (skill.title.empty()) {
      error(root, "skill: title is required");
    }
    if (const auto t = root["triggers"]) {
      parse_triggers(t, skill.triggers);
    }
    if (const auto p = root["parameters"]) {
      parse_parameters(p, skill);
    }
    if (const auto s = root["steps"]) {
      parse_step_list(s, "steps", Section::Steps, skill, skill.steps);
    }
    if (skill.steps.empty()) {
      error(root["steps"] ? root["steps"] : root, "skill: at least one step is required");
    }
    const auto main_captures = captures_;
    if (const auto v = root["verify"]) {
      parse_verify(v, skill);
    }
    // Rollback steps see the main steps' captures, not the verification's.
    captures_ = main_captures;
    if (const auto r = root["rollback"]) {
      parse_step_list(r, "rollback", Section::Rollback, skill, skill.rollback);
    }
    if (const auto f = root["findings"]) {
      captures_ = main_captures;
      std::set<std::string> readable;
      for (const auto* list : {&skill.steps, &skill.verify.steps}) {
        for (const auto& s : *list) {
          readable.insert(s.id);
        }
      }
      parse_findings(f, skill, readable);
    }
    for (const auto& s : skill.steps) {
      if (s.on_failure == OnFailure::Rollback && skill.rollback.empty()) {
        error(s.mark, "step " + s.id + ".on_failure: rollback, but the skill has no rollback steps");
      }
    }
    read_requires_kubernetes(root, skill);
    if (const auto st = root["start"]) {
      read_start(st, skill.start);
    }
    return skill;
  }

  // `start: {users: [U…], groups: [S…]}`: who may start this skill; ids checked by their shape.
  void read_start(const YAML::Node& n, SkillStartRule& start) {
    if (!check_map(n, "start", {"users", "groups"})) {
      return;
    }
    std::vector<YAML::Node> user_nodes;
    std::vector<YAML::Node> group_nodes;
    read_list(n, "users", "start", start.users, &user_nodes);
    read_list(n, "groups", "start", start.groups, &group_nodes);
    for (std::size_t i = 0; i < start.users.size(); ++i) {
      if (!slack_id_shaped(start.users[i], "UW")) {
        error(user_nodes[i], "start.users: '" + start.users[i] + "' is not a Slack user id (U… or W…)");
      }
    }
    for (std::size_t i = 0; i < start.groups.size(); ++i) {
      if (!slack_id_shaped(start.groups[i], "S")) {
        error(group_nodes[i], "start.groups: '" + start.groups[i] + "' is not a Slack user group id (S…)");
      }
    }
  }

  // Its first letter one of `letters`, then upper-case letters and digits.
  static bool slack_id_shaped(const std::string& id, std::string_view letters) {
    if (id.size() < 2 || letters.find(id[0]) == std::string_view::npos) {
      return false;
    }
    return std::all_of(id.begin() + 1, id.end(),
                       [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); });
  }

  void parse_verify(const YAML::Node& v, Skill& skill) {
    skill.verify.mark = mark_of(v);
    if (!check_map(v, "verify", {"attempts", "interval", "steps"})) {
      return;
    }
    if (const auto a = v["attempts"]) {
      int attempts = 0;
      try {
        attempts = a.as<int>();
      } catch (const YAML::Exception&) {
        attempts = 0;
      }
      if (attempts < 1 || attempts > 1000) {
        error(a, "verify.attempts: expected a number from 1 to 1000");
      } else {
        skill.verify.attempts = attempts;
      }
    }
    read_duration(v, "interval", "verify", skill.verify.interval);
    if (const auto vs = v["steps"]) {
      parse_step_list(vs, "verify.steps", Section::Verify, skill, skill.verify.steps);
    } else {
      error(v, "verify: steps is required");
    }
  }

  // A skill whose steps run kubectl requires Kubernetes; the file may say so, never the opposite.
  void read_requires_kubernetes(const YAML::Node& root, Skill& skill) {
    bool kube = false;
    for (const auto* list : {&skill.steps, &skill.verify.steps, &skill.rollback}) {
      for (const auto& s : *list) {
        kube = kube || (!s.run.empty() && s.run[0] == "kubectl");
      }
    }
    skill.requires_kubernetes = kube;
    read_bool(root, "requires_kubernetes", "skill", skill.requires_kubernetes);
    if (kube && !skill.requires_kubernetes) {
      error(root["requires_kubernetes"], "skill: requires_kubernetes is false but steps run kubectl");
    }
  }

  int errors() const { return errors_; }

 private:
  std::string file_;
  SkillLoad& out_;
  int errors_ = 0;
  std::set<std::string> step_ids_;
  std::map<std::string, std::set<std::string>> captures_;  // earlier step id → capture names
};

}  // namespace

std::string SkillDiagnostic::to_string() const {
  std::ostringstream out;
  out << file << ":" << line << ":" << column << ": " << message;
  return out.str();
}

SkillLoad SkillLoader::load_text(const std::string& yaml, const std::string& file) {
  SkillLoad out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    out.errors.push_back({file, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg});
    return out;
  }
  Parser parser(file, out);
  auto skill = parser.parse(root);
  if (skill && parser.errors() == 0) {
    out.skills.push_back(std::move(*skill));
  }
  return out;
}

SkillLoad SkillLoader::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    SkillLoad out;
    out.errors.push_back({path, 0, 0, "cannot read the file"});
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path);
}

SkillLoad SkillLoader::load_dir(const std::string& dir) {
  SkillLoad out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    out.errors.push_back({dir, 0, 0, "not a directory"});
    return out;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> seen;  // id → file
  for (const auto& f : files) {
    auto one = load_file(f.string());
    for (auto& e : one.errors) {
      out.errors.push_back(std::move(e));
    }
    for (auto& w : one.warnings) {
      out.warnings.push_back(std::move(w));
    }
    for (auto& s : one.skills) {
      if (const auto it = seen.find(s.id); it != seen.end()) {
        out.errors.push_back({f.string(), 1, 1, "duplicate skill id '" + s.id + "' (also in " + it->second + ")"});
        continue;
      }
      seen[s.id] = f.string();
      out.skills.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace vigil::skills
