#include "bot/core/config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <boost/regex.hpp>
#include <yaml-cpp/yaml.h>

extern char** environ;

namespace vigil {

Environment current_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  return env;
}

std::string ConfigDiagnostic::to_string() const {
  std::ostringstream out;
  out << (file.empty() ? "<config>" : file);
  if (line > 0) {
    out << ':' << line << ':' << column;
  }
  out << ": ";
  if (!key.empty()) {
    out << key << ": ";
  }
  out << message;
  return out.str();
}

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t pos = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (value < 0) {
    return std::nullopt;
  }
  const std::string unit = text.substr(pos);
  if (unit.empty() || unit == "s") {
    return std::chrono::seconds(value);
  }
  if (unit == "m") {
    return std::chrono::seconds(value * 60);
  }
  if (unit == "h") {
    return std::chrono::seconds(value * 3600);
  }
  if (unit == "d") {
    return std::chrono::seconds(value * 86400);
  }
  return std::nullopt;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = 3;  // suggest only close names
  for (const auto& k : known) {
    const auto d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

// Its letters, and what the kind is called in messages.
struct SlackIdShape {
  const char* letters;
  const char* name;
  const char* example;
};

SlackIdShape shape_of(SlackIdKind kind) {
  switch (kind) {
    case SlackIdKind::Channel:
      return {"CG", "a Slack channel id (C… or G…)", "C0123ABCD"};
    case SlackIdKind::User:
      return {"UW", "a Slack user id (U… or W…)", "U0123ABCD"};
    case SlackIdKind::UserGroup:
      return {"S", "a Slack user group id (S…)", "S0123ABCD"};
    case SlackIdKind::Bot:
      return {"B", "a Slack bot id (B…)", "B0123ABCD"};
  }
  return {"", "", ""};
}

bool has_id_shape(const std::string& value, const char* letters) {
  return value.size() >= 3 && std::strchr(letters, value[0]) != nullptr &&
         std::all_of(value.begin() + 1, value.end(),
                     [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
}

// A relative path read from a configuration file is relative to the file's folder.
std::string relative_to(const std::filesystem::path& folder, const std::string& path) {
  if (path.empty() || folder.empty() || std::filesystem::path(path).is_absolute()) {
    return path;
  }
  return (folder / path).lexically_normal().string();
}

// "15" is read as 15 seconds, which is rarely what someone who meant minutes wrote: say so.
// Empty for a duration with a unit, and for 0.
std::string unitless_duration_hint(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      text.find_first_not_of('0') == std::string::npos) {
    return {};
  }
  return "a number without a unit is read as seconds; write " + text + "s (or m, h, d) to say which";
}

// Walks the YAML tree, converting values and collecting every problem with its mark.
class ConfigReader {
 public:
  ConfigReader(std::string file, ConfigLoad& out) : file_(std::move(file)), out_(out) {}

  void error(const YAML::Node& node, const std::string& key, const std::string& message) {
    out_.errors.push_back(make(node, key, message));
  }
  void warning(const YAML::Node& node, const std::string& key, const std::string& message) {
    out_.warnings.push_back(make(node, key, message));
  }

  // Checks `node` is a map and warns on keys not in `known`.
  bool check_map(const YAML::Node& node, const std::string& path,
                 const std::vector<std::string>& known) {
    if (!node.IsMap()) {
      error(node, path, "expected a mapping");
      return false;
    }
    for (const auto& kv : node) {
      const auto key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        const auto near = suggest(key, known);
        warning(kv.first, join(path, key),
                "unknown key" + (near.empty() ? std::string() : ", did you mean '" + near + "'?"));
      }
    }
    return true;
  }

  void read_string(const YAML::Node& map, const std::string& path, const char* key,
                   std::string& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    if (!node.IsScalar()) {
      error(node, join(path, key), "expected a string");
      return;
    }
    out = node.Scalar();
  }

  void read_int(const YAML::Node& map, const std::string& path, const char* key, long long min,
                long long max, long long& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    long long value = 0;
    if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value)) {
      error(node, join(path, key), "expected an integer");
      return;
    }
    if (value < min || value > max) {
      error(node, join(path, key),
            "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return;
    }
    out = value;
  }

  void read_int(const YAML::Node& map, const std::string& path, const char* key, long long min,
                long long max, int& out) {
    long long v = out;
    read_int(map, path, key, min, max, v);
    out = static_cast<int>(v);
  }

  void read_bool(const YAML::Node& map, const std::string& path, const char* key, bool& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      error(node, join(path, key), "expected true or false");
      return;
    }
    out = value;
  }

  void read_duration(const YAML::Node& map, const std::string& path, const char* key,
                     std::chrono::seconds min, std::chrono::seconds& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    std::optional<std::chrono::seconds> value;
    if (node.IsScalar()) {
      value = parse_duration(node.Scalar());
    }
    if (!value) {
      error(node, join(path, key), "expected a duration such as 30s, 5m, 2h or 7d");
      return;
    }
    if (*value < min) {
      error(node, join(path, key), "must be at least " + std::to_string(min.count()) + "s");
      return;
    }
    if (const auto unitless = unitless_duration_hint(node.Scalar()); !unitless.empty()) {
      warning(node, join(path, key), unitless);
    }
    out = *value;
  }

  void read_list(const YAML::Node& map, const std::string& path, const char* key,
                 std::vector<std::string>& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    if (node.IsNull()) {
      out.clear();
      return;
    }
    if (!node.IsSequence()) {
      error(node, join(path, key), "expected a list");
      return;
    }
    std::vector<std::string> values;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        error(item, join(path, key), "expected a list of strings");
        return;
      }
      values.push_back(item.Scalar());
    }
    out = std::move(values);
  }

  void read_enum(const YAML::Node& map, const std::string& path, const char* key,
                 const std::vector<std::string>& allowed, std::string& out) {
    const auto node = map[key];
    if (!node) {
      return;
    }
    if (!node.IsScalar() ||
        std::find(allowed.begin(), allowed.end(), node.Scalar()) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) {
        list += (list.empty() ? "" : ", ") + a;
      }
      error(node, join(path, key), "must be one of: " + list);
      return;
    }
    out = node.Scalar();
  }

  // A secret may not be written inline: it comes from the environment or a file named here.
  void refuse_inline_secret(const YAML::Node& map, const std::string& path, const char* key,
                            const std::string& env_name, const std::string& file_key) {
    const auto node = map[key];
    if (node) {
      error(node, join(path, key),
            "secrets are not read from the configuration file; set " + env_name + " or " +
                file_key);
    }
  }

  // Reads the secret file named under `key` (if any) into `value`.
  void read_secret_file(const YAML::Node& map, const std::string& path, const char* key,
                        std::string& file_out, std::string& value) {
    read_string(map, path, key, file_out);
    if (file_out.empty()) {
      return;
    }
    file_out = relative_to(std::filesystem::path(file_).parent_path(), file_out);
    std::ifstream in(file_out);
    if (!in) {
      error(map[key], join(path, key), "cannot read secret file " + file_out);
      return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    value = ss.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
      value.pop_back();
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  const std::string& file() const { return file_; }

 private:
  ConfigDiagnostic make(const YAML::Node& node, const std::string& key,
                        const std::string& message) const {
    ConfigDiagnostic d;
    d.file = file_;
    const auto mark = node.Mark();
    if (!mark.is_null()) {
      d.line = mark.line + 1;
      d.column = mark.column + 1;
    }
    d.key = key;
    d.message = message;
    return d;
  }

  std::string file_;
  ConfigLoad& out_;
};

const std::vector<std::string> kBackends = {"runbook", "claude-code", "codex", "gemini", "command"};
const std::vector<std::string> kRisks = {"low", "medium", "high"};

bool valid_listen_address(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= addr.size()) {
    return false;
  }
  try {
    const auto port = std::stoi(addr.substr(colon + 1));
    return port >= 0 && port <= 65535;
  } catch (...) {
    return false;
  }
}

// Where the keys are whose checks depend on the environment (a token may come from there), so
// those errors still point at the file after the environment was applied.
struct DeferredMarks {
  std::map<std::string, YAML::Mark> at;  // dotted key → mark

  void keep(const YAML::Node& node, const std::string& key) {
    if (node) {
      at[key] = node.Mark();
    }
  }
  const YAML::Mark* find(const std::string& key) const {
    const auto it = at.find(key);
    return it == at.end() ? nullptr : &it->second;
  }
  /// A diagnostic at `mark_key`'s place in `file` (no line when the key was not written there).
  ConfigDiagnostic diagnostic(const std::string& file, const std::string& mark_key, const std::string& key,
                              const std::string& message) const {
    ConfigDiagnostic d;
    d.file = file;
    if (const auto* m = find(mark_key); m && !m->is_null()) {
      d.line = m->line + 1;
      d.column = m->column + 1;
    }
    d.key = key;
    d.message = message;
    return d;
  }
};

bool is_http_url(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

void read_oncall(const YAML::Node& o, ConfigReader& r, OnCallConfig& oc, DeferredMarks& marks) {
  const std::string path = "approvals.oncall";
  if (o.IsNull()) {
    return;
  }
  if (!r.check_map(o, path, {"pagerduty_schedule", "opsgenie_schedule", "cache", "max_stale"})) {
    return;
  }
  r.read_string(o, path, "pagerduty_schedule", oc.pagerduty_schedule);
  r.read_string(o, path, "opsgenie_schedule", oc.opsgenie_schedule);
  r.read_duration(o, path, "cache", std::chrono::seconds(0), oc.cache);
  r.read_duration(o, path, "max_stale", std::chrono::seconds(0), oc.max_stale);
  marks.keep(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule");
  marks.keep(o["opsgenie_schedule"], "approvals.oncall.opsgenie_schedule");
  marks.keep(o, "approvals.oncall");
  if (!oc.pagerduty_schedule.empty() && !oc.opsgenie_schedule.empty()) {
    r.error(o["opsgenie_schedule"], "approvals.oncall",
            "set pagerduty_schedule or opsgenie_schedule, not both");
  }
  if (o["pagerduty_schedule"] && oc.pagerduty_schedule.empty()) {
    r.error(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule", "must not be empty");
  }
  if (o["opsgenie_schedule"] && oc.opsgenie_schedule.empty()) {
    r.error(o["opsgenie_schedule"], "approvals.oncall.opsgenie_schedule", "must not be empty");
  }
  if (!oc.pagerduty_schedule.empty() &&
      !std::all_of(oc.pagerduty_schedule.begin(), oc.pagerduty_schedule.end(),
                   [](unsigned char ch) { return std::isalnum(ch) != 0; })) {
    r.error(o["pagerduty_schedule"], "approvals.oncall.pagerduty_schedule",
            "a PagerDuty schedule id is letters and digits (e.g. PXXXXXX, from the schedule's URL)");
  }
}

void read_pagerduty(const YAML::Node& p, ConfigReader& r, PagerDutyConfig& pd, DeferredMarks& marks) {
  if (!r.check_map(p, "pagerduty", {"api_url", "api_token_file", "notes", "from_email", "api_token"})) {
    return;
  }
  r.refuse_inline_secret(p, "pagerduty", "api_token", "VIGIL_PAGERDUTY_API_TOKEN", "pagerduty.api_token_file");
  r.read_secret_file(p, "pagerduty", "api_token_file", pd.api_token_file, pd.api_token);
  r.read_string(p, "pagerduty", "api_url", pd.api_url);
  r.read_bool(p, "pagerduty", "notes", pd.notes);
  r.read_string(p, "pagerduty", "from_email", pd.from_email);
  if (p["api_url"] && !is_http_url(pd.api_url)) {
    r.error(p["api_url"], "pagerduty.api_url", "must start with https:// or http://");
  }
  if (!pd.from_email.empty() && pd.from_email.find('@') == std::string::npos) {
    r.error(p["from_email"], "pagerduty.from_email", "expected the e-mail address of a PagerDuty user");
  }
  marks.keep(p["notes"], "pagerduty.notes");
  marks.keep(p, "pagerduty");
}

void read_opsgenie(const YAML::Node& g, ConfigReader& r, OpsGenieConfig& og, DeferredMarks& marks) {
  if (!r.check_map(g, "opsgenie", {"api_url", "api_key_file", "notes", "api_key"})) {
    return;
  }
  r.refuse_inline_secret(g, "opsgenie", "api_key", "VIGIL_OPSGENIE_API_KEY", "opsgenie.api_key_file");
  r.read_secret_file(g, "opsgenie", "api_key_file", og.api_key_file, og.api_key);
  r.read_string(g, "opsgenie", "api_url", og.api_url);
  r.read_bool(g, "opsgenie", "notes", og.notes);
  if (g["api_url"] && !is_http_url(og.api_url)) {
    r.error(g["api_url"], "opsgenie.api_url", "must start with https:// or http://");
  }
  marks.keep(g["notes"], "opsgenie.notes");
  marks.keep(g, "opsgenie");
}

void read_alertmanager(const YAML::Node& a, ConfigReader& r, AlertmanagerConfig& am) {
  if (!r.check_map(a, "alertmanager", {"url", "api_token_file", "api_token"})) {
    return;
  }
  r.refuse_inline_secret(a, "alertmanager", "api_token", "VIGIL_ALERTMANAGER_API_TOKEN",
                         "alertmanager.api_token_file");
  r.read_secret_file(a, "alertmanager", "api_token_file", am.api_token_file, am.api_token);
  r.read_string(a, "alertmanager", "url", am.url);
  if (!am.url.empty() && !is_http_url(am.url)) {
    r.error(a["url"], "alertmanager.url", "must start with https:// or http:// (Alertmanager's own address, e.g. http://alertmanager:9093)");
  }
}

void read_document(const YAML::Node& root, ConfigReader& r, Config& c, DeferredMarks& marks) {
  if (!root || root.IsNull()) {
    return;
  }
  if (!r.check_map(root, "", {"slack", "channels", "approvals", "agent", "kubernetes", "http",
                              "pagerduty", "opsgenie", "alertmanager", "redaction", "storage",
                              "logging", "skills", "incidents"})) {
    return;
  }
  if (const auto s = root["slack"]) {
    if (r.check_map(s, "slack", {"app_token_file", "bot_token_file", "api_url", "connections",
                                 "pong_timeout", "app_token", "bot_token"})) {
      r.refuse_inline_secret(s, "slack", "app_token", "SLACK_APP_TOKEN", "slack.app_token_file");
      r.refuse_inline_secret(s, "slack", "bot_token", "SLACK_BOT_TOKEN", "slack.bot_token_file");
      r.read_secret_file(s, "slack", "app_token_file", c.slack.app_token_file, c.slack.app_token);
      r.read_secret_file(s, "slack", "bot_token_file", c.slack.bot_token_file, c.slack.bot_token);
      r.read_string(s, "slack", "api_url", c.slack.api_url);
      r.read_int(s, "slack", "connections", 1, 10, c.slack.connections);
      r.read_duration(s, "slack", "pong_timeout", std::chrono::seconds(1), c.slack.pong_timeout);
      const auto api = s["api_url"];
      if (api && api.IsScalar() && api.Scalar().rfind("https://", 0) != 0 &&
          api.Scalar().rfind("http://", 0) != 0) {
        r.error(api, "slack.api_url", "must start with https:// or http://");
      }
    }
  }
  if (const auto list = root["channels"]) {
    if (!list.IsSequence()) {
      r.error(list, "channels", "expected a list of channel bindings");
    } else {
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto ch = list[i];
        const std::string path = "channels[" + std::to_string(i) + "]";
        if (!r.check_map(ch, path, {"id", "name_pattern", "backend", "auto_triage", "alert_bots"})) {
          continue;
        }
        ChannelBinding b;
        r.read_string(ch, path, "id", b.id);
        r.read_string(ch, path, "name_pattern", b.name_pattern);
        r.read_enum(ch, path, "backend", kBackends, b.backend);
        r.read_bool(ch, path, "auto_triage", b.auto_triage);
        r.read_list(ch, path, "alert_bots", b.alert_bots);
        if (b.id.empty() && b.name_pattern.empty()) {
          r.error(ch, path, "needs an id (C…) or a name_pattern");
        }
        if (!b.id.empty() && (b.id.size() < 2 || (b.id[0] != 'C' && b.id[0] != 'G'))) {
          r.error(ch["id"], path + ".id", "a channel id starts with C or G (e.g. C0123ABCD)");
        } else if (const auto problem = slack_id_problem(b.id, SlackIdKind::Channel);
                   !b.id.empty() && !problem.empty()) {
          r.warning(ch["id"], path + ".id", problem);
        }
        for (std::size_t j = 0; j < b.alert_bots.size(); ++j) {
          if (const auto problem = slack_id_problem(b.alert_bots[j], SlackIdKind::Bot); !problem.empty()) {
            r.warning(ch["alert_bots"][j], path + ".alert_bots",
                      problem + "; alert_bots names the bot_id of the messages that are alerts");
          }
        }
        if (!b.name_pattern.empty()) {
          try {
            boost::regex re(b.name_pattern);
          } catch (const boost::regex_error& e) {
            r.error(ch["name_pattern"], path + ".name_pattern",
                    std::string("invalid regular expression: ") + e.what());
          }
        }
        c.channels.push_back(std::move(b));
      }
    }
  }
  if (const auto a = root["approvals"]) {
    if (r.check_map(a, "approvals", {"users", "groups", "oncall", "expiry", "allow_self_approval",
                                     "two_approvers_for"})) {
      if (const auto o = a["oncall"]) {
        read_oncall(o, r, c.approvals.oncall, marks);
      }
      r.read_list(a, "approvals", "users", c.approvals.users);
      r.read_list(a, "approvals", "groups", c.approvals.groups);
      r.read_duration(a, "approvals", "expiry", std::chrono::seconds(60), c.approvals.expiry);
      r.read_bool(a, "approvals", "allow_self_approval", c.approvals.allow_self_approval);
      r.read_list(a, "approvals", "two_approvers_for", c.approvals.two_approvers_for);
      for (std::size_t i = 0; i < c.approvals.users.size(); ++i) {
        if (const auto problem = slack_id_problem(c.approvals.users[i], SlackIdKind::User); !problem.empty()) {
          r.error(a["users"][i], "approvals.users", problem);
        }
      }
      for (std::size_t i = 0; i < c.approvals.groups.size(); ++i) {
        if (const auto problem = slack_id_problem(c.approvals.groups[i], SlackIdKind::UserGroup);
            !problem.empty()) {
          r.error(a["groups"][i], "approvals.groups", problem);
        }
      }
      for (std::size_t i = 0; i < c.approvals.two_approvers_for.size(); ++i) {
        const auto& risk = c.approvals.two_approvers_for[i];
        if (std::find(kRisks.begin(), kRisks.end(), risk) == kRisks.end()) {
          r.error(a["two_approvers_for"][i], "approvals.two_approvers_for",
                  "'" + risk + "' is not a risk level (low, medium, high)");
        }
      }
    }
  }
  if (const auto g = root["agent"]) {
    if (r.check_map(g, "agent", {"backend", "command", "timeout", "grace", "max_concurrent",
                                 "workspace_root", "retention", "env_allowlist", "knowledge_dirs",
                                 "failure_threshold", "pause_for", "step_output_max_bytes"})) {
      r.read_enum(g, "agent", "backend", kBackends, c.agent.backend);
      r.read_list(g, "agent", "command", c.agent.command);
      r.read_duration(g, "agent", "timeout", std::chrono::seconds(1), c.agent.timeout);
      r.read_duration(g, "agent", "grace", std::chrono::seconds(0), c.agent.grace);
      r.read_int(g, "agent", "max_concurrent", 1, 256, c.agent.max_concurrent);
      r.read_string(g, "agent", "workspace_root", c.agent.workspace_root);
      r.read_int(g, "agent", "step_output_max_bytes", 1024, 1LL << 30, c.agent.step_output_max_bytes);
      r.read_list(g, "agent", "env_allowlist", c.agent.env_allowlist);
      r.read_list(g, "agent", "knowledge_dirs", c.agent.knowledge_dirs);
      if (const auto kd = g["knowledge_dirs"]; kd && kd.IsSequence()) {
        for (std::size_t i = 0; i < kd.size(); ++i) {
          marks.keep(kd[i], "agent.knowledge_dirs[" + std::to_string(i) + "]");
        }
      }
      r.read_int(g, "agent", "failure_threshold", 1, 100, c.agent.failure_threshold);
      r.read_duration(g, "agent", "pause_for", std::chrono::seconds(0), c.agent.pause_for);
      if (c.agent.backend == "command" && c.agent.command.empty()) {
        r.error(g["backend"], "agent.command", "the command backend needs agent.command (an argv list)");
      }
      if (c.agent.workspace_root.empty() || c.agent.workspace_root[0] != '/') {
        r.error(g["workspace_root"] ? g["workspace_root"] : g, "agent.workspace_root",
                "must be an absolute path");
      }
      if (const auto ret = g["retention"]) {
        if (r.check_map(ret, "agent.retention", {"succeeded_days", "failed_days", "max_total_bytes"})) {
          r.read_int(ret, "agent.retention", "succeeded_days", 0, 3650, c.agent.retention.succeeded_days);
          r.read_int(ret, "agent.retention", "failed_days", 0, 3650, c.agent.retention.failed_days);
          r.read_int(ret, "agent.retention", "max_total_bytes", 0, 1LL << 50,
                     c.agent.retention.max_total_bytes);
        }
      }
    }
  }
  if (const auto k = root["kubernetes"]) {
    if (r.check_map(k, "kubernetes", {"enabled", "kubectl", "read_only_kubeconfig",
                                      "remediation_kubeconfig", "cluster"})) {
      r.read_bool(k, "kubernetes", "enabled", c.kubernetes.enabled);
      r.read_string(k, "kubernetes", "kubectl", c.kubernetes.kubectl);
      r.read_string(k, "kubernetes", "read_only_kubeconfig", c.kubernetes.read_only_kubeconfig);
      r.read_string(k, "kubernetes", "remediation_kubeconfig", c.kubernetes.remediation_kubeconfig);
      marks.keep(k["read_only_kubeconfig"], "kubernetes.read_only_kubeconfig");
      marks.keep(k["remediation_kubeconfig"], "kubernetes.remediation_kubeconfig");
      marks.keep(k["enabled"] ? k["enabled"] : k, "kubernetes.enabled");
      r.read_string(k, "kubernetes", "cluster", c.kubernetes.cluster);
      if (c.kubernetes.enabled && !c.kubernetes.read_only_kubeconfig.empty() &&
          c.kubernetes.read_only_kubeconfig == c.kubernetes.remediation_kubeconfig) {
        r.error(k["remediation_kubeconfig"], "kubernetes.remediation_kubeconfig",
                "must differ from read_only_kubeconfig: investigation never gets write credentials");
      }
    }
  }
  if (const auto h = root["http"]) {
    if (r.check_map(h, "http", {"listen", "alertmanager_token_file", "pagerduty_secrets_file",
                                "opsgenie_token_file", "grafana_token_file", "alert_channel",
                                "max_body_bytes", "alertmanager_token", "pagerduty_secrets",
                                "opsgenie_token", "grafana_token"})) {
      r.read_string(h, "http", "listen", c.http.listen);
      if (h["listen"] && !valid_listen_address(c.http.listen)) {
        r.error(h["listen"], "http.listen", "expected host:port, e.g. 127.0.0.1:9090");
      }
      r.refuse_inline_secret(h, "http", "alertmanager_token", "VIGIL_ALERTMANAGER_TOKEN",
                             "http.alertmanager_token_file");
      r.refuse_inline_secret(h, "http", "pagerduty_secrets", "VIGIL_PAGERDUTY_WEBHOOK_SECRETS",
                             "http.pagerduty_secrets_file");
      r.refuse_inline_secret(h, "http", "opsgenie_token", "VIGIL_OPSGENIE_TOKEN",
                             "http.opsgenie_token_file");
      r.refuse_inline_secret(h, "http", "grafana_token", "VIGIL_GRAFANA_TOKEN",
                             "http.grafana_token_file");
      r.read_secret_file(h, "http", "alertmanager_token_file", c.http.alertmanager_token_file,
                         c.http.alertmanager_token);
      std::string pd;
      r.read_secret_file(h, "http", "pagerduty_secrets_file", c.http.pagerduty_secrets_file, pd);
      if (!pd.empty()) {
        std::istringstream lines(pd);
        std::string line;
        while (std::getline(lines, line)) {
          if (!line.empty()) {
            c.http.pagerduty_secrets.push_back(line);
          }
        }
      }
      r.read_secret_file(h, "http", "opsgenie_token_file", c.http.opsgenie_token_file,
                         c.http.opsgenie_token);
      r.read_secret_file(h, "http", "grafana_token_file", c.http.grafana_token_file,
                         c.http.grafana_token);
      r.read_string(h, "http", "alert_channel", c.http.alert_channel);
      if (const auto problem = slack_id_problem(c.http.alert_channel, SlackIdKind::Channel);
          !c.http.alert_channel.empty() && !problem.empty()) {
        r.warning(h["alert_channel"], "http.alert_channel",
                  problem + "; webhook alerts are posted there, and Slack's API takes the id");
      }
      marks.keep(h["alert_channel"] ? h["alert_channel"] : h, "http.alert_channel");
      r.read_int(h, "http", "max_body_bytes", 1024, 64LL * 1024 * 1024, c.http.max_body_bytes);
    }
  }
  if (const auto p = root["pagerduty"]) {
    read_pagerduty(p, r, c.pagerduty, marks);
  }
  if (const auto g = root["opsgenie"]) {
    read_opsgenie(g, r, c.opsgenie, marks);
  }
  if (const auto a = root["alertmanager"]) {
    read_alertmanager(a, r, c.alertmanager);
  }
  if (const auto red = root["redaction"]) {
    if (r.check_map(red, "redaction", {"patterns"})) {
      r.read_list(red, "redaction", "patterns", c.redaction.patterns);
      for (std::size_t i = 0; i < c.redaction.patterns.size(); ++i) {
        try {
          boost::regex re(c.redaction.patterns[i], boost::regex::perl);
        } catch (const boost::regex_error& e) {
          r.error(red["patterns"][i], "redaction.patterns",
                  std::string("invalid regular expression: ") + e.what());
        }
      }
    }
  }
  if (const auto st = root["storage"]) {
    if (r.check_map(st, "storage", {"database", "processed_event_ttl"})) {
      r.read_string(st, "storage", "database", c.storage.database);
      r.read_duration(st, "storage", "processed_event_ttl", std::chrono::seconds(600),
                      c.storage.processed_event_ttl);
      if (c.storage.database.empty()) {
        r.error(st["database"] ? st["database"] : st, "storage.database", "must not be empty");
      }
    }
  }
  if (const auto lg = root["logging"]) {
    if (r.check_map(lg, "logging", {"level", "format"})) {
      r.read_enum(lg, "logging", "level",
                  {"trace", "debug", "info", "warn", "error", "critical", "off"}, c.logging.level);
      r.read_enum(lg, "logging", "format", {"text", "json"}, c.logging.format);
    }
  }
  // A `skills:` with every key commented out (as in the example) leaves the default.
  if (const auto sk = root["skills"]; sk && !sk.IsNull()) {
    if (r.check_map(sk, "skills", {"dirs"})) {
      if (sk["dirs"]) {
        c.skills.shipped = false;
        r.read_list(sk, "skills", "dirs", c.skills.dirs);
        if (const auto dirs = sk["dirs"]; dirs.IsSequence()) {
          for (std::size_t i = 0; i < dirs.size(); ++i) {
            marks.keep(dirs[i], "skills.dirs[" + std::to_string(i) + "]");
          }
        }
      }
    }
  }
  if (const auto in = root["incidents"]) {
    if (r.check_map(in, "incidents", {"create_channel", "channel_prefix"})) {
      r.read_bool(in, "incidents", "create_channel", c.incidents.create_channel);
      r.read_string(in, "incidents", "channel_prefix", c.incidents.channel_prefix);
      // Slack channel names: lower case letters, digits, - and _; the date and slug follow.
      static const boost::regex kPrefix("[a-z0-9][a-z0-9_-]{0,19}");
      if (!boost::regex_match(c.incidents.channel_prefix, kPrefix)) {
        r.error(in["channel_prefix"] ? in["channel_prefix"] : in, "incidents.channel_prefix",
                "must be 1-20 lower-case letters, digits, - or _ (Slack channel name rules)");
      }
    }
  }
}

std::vector<std::string> split_comma(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    while (!item.empty() && item.front() == ' ') {
      item.erase(item.begin());
    }
    while (!item.empty() && item.back() == ' ') {
      item.pop_back();
    }
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

// Relative paths in the file, and the relative default database, are relative to the file's folder
// (the working directory without a file); the environment's are relative to the working directory.
// Without skills.dirs in the file, the skills shipped with Vigil.
void resolve_paths(const std::filesystem::path& folder, Config& c) {
  if (c.storage.database != ":memory:") {
    c.storage.database = relative_to(folder, c.storage.database);
  }
  for (auto& dir : c.agent.knowledge_dirs) {
    dir = relative_to(folder, dir);
  }
  c.kubernetes.read_only_kubeconfig = relative_to(folder, c.kubernetes.read_only_kubeconfig);
  c.kubernetes.remediation_kubeconfig = relative_to(folder, c.kubernetes.remediation_kubeconfig);
  if (!c.skills.shipped) {
    for (auto& dir : c.skills.dirs) {
      dir = relative_to(folder, dir);
    }
    return;
  }
  c.skills.dirs.clear();
  for (const auto& candidate : shipped_skill_dirs()) {
    std::error_code ec;
    if (std::filesystem::is_directory(candidate, ec)) {
      c.skills.dirs.push_back(candidate);
      return;
    }
  }
}

void apply_environment(const Environment& env, ConfigLoad& load) {
  auto& c = load.config;
  auto get = [&](const char* name) -> const std::string* {
    const auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const auto* v = get("SLACK_APP_TOKEN")) c.slack.app_token = *v;
  if (const auto* v = get("SLACK_BOT_TOKEN")) c.slack.bot_token = *v;
  if (const auto* v = get("SLACK_API_URL")) c.slack.api_url = *v;
  if (const auto* v = get("VIGIL_DB")) c.storage.database = *v;
  if (const auto* v = get("VIGIL_HTTP_ADDR")) {
    if (valid_listen_address(*v)) {
      c.http.listen = *v;
    } else {
      load.errors.push_back({"", 0, 0, "VIGIL_HTTP_ADDR", "expected host:port, got '" + *v + "'"});
    }
  }
  if (const auto* v = get("VIGIL_LOG_LEVEL")) c.logging.level = *v;
  if (const auto* v = get("VIGIL_ALERTMANAGER_TOKEN")) c.http.alertmanager_token = *v;
  if (const auto* v = get("VIGIL_PAGERDUTY_WEBHOOK_SECRETS")) c.http.pagerduty_secrets = split_comma(*v);
  if (const auto* v = get("VIGIL_OPSGENIE_TOKEN")) c.http.opsgenie_token = *v;
  if (const auto* v = get("VIGIL_GRAFANA_TOKEN")) c.http.grafana_token = *v;
  if (const auto* v = get("VIGIL_WORKSPACE_ROOT")) c.agent.workspace_root = *v;
  if (const auto* v = get("VIGIL_PAGERDUTY_API_TOKEN")) c.pagerduty.api_token = *v;
  if (const auto* v = get("VIGIL_OPSGENIE_API_KEY")) c.opsgenie.api_key = *v;
  if (const auto* v = get("VIGIL_ALERTMANAGER_URL")) {
    if (is_http_url(*v)) {
      c.alertmanager.url = *v;
    } else {
      load.errors.push_back({"", 0, 0, "VIGIL_ALERTMANAGER_URL", "must start with https:// or http://, got '" + *v + "'"});
    }
  }
  if (const auto* v = get("VIGIL_ALERTMANAGER_API_TOKEN")) c.alertmanager.api_token = *v;
  if (!c.slack.app_token.empty() && c.slack.app_token.rfind("xapp-", 0) != 0) {
    load.errors.push_back({"", 0, 0, "SLACK_APP_TOKEN",
                           "an app-level token starts with xapp- (Basic Information → App-Level Tokens)"});
  }
  if (!c.slack.bot_token.empty() && c.slack.bot_token.rfind("xoxb-", 0) != 0) {
    load.errors.push_back({"", 0, 0, "SLACK_BOT_TOKEN",
                           "a bot token starts with xoxb- (OAuth & Permissions)"});
  }
  if (c.slack.api_url.empty() || c.slack.api_url.back() != '/') {
    c.slack.api_url += '/';
  }
}

// Checks that need the environment applied first (a token may come from there); the errors point
// at the key in the file that needs the token.
void check_paging(const DeferredMarks& marks, const std::string& file, ConfigLoad& load) {
  const auto& c = load.config;
  auto report = [&](const std::string& mark_key, const std::string& key, const std::string& message) {
    load.errors.push_back(marks.diagnostic(file, mark_key, key, message));
  };
  const auto& oc = c.approvals.oncall;
  if (!oc.pagerduty_schedule.empty() && c.pagerduty.api_token.empty()) {
    report("approvals.oncall.pagerduty_schedule", "approvals.oncall.pagerduty_schedule",
           "needs a PagerDuty API token: set VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
  }
  if (!oc.opsgenie_schedule.empty() && c.opsgenie.api_key.empty()) {
    report("approvals.oncall.opsgenie_schedule", "approvals.oncall.opsgenie_schedule",
           "needs an OpsGenie API key: set VIGIL_OPSGENIE_API_KEY or opsgenie.api_key_file");
  }
  if (c.pagerduty.notes && c.pagerduty.api_token.empty()) {
    report("pagerduty.notes", "pagerduty.notes",
           "notes need a PagerDuty API token: set VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
  }
  if (c.pagerduty.notes && c.pagerduty.from_email.empty()) {
    report("pagerduty.notes", "pagerduty.from_email",
           "notes need pagerduty.from_email (PagerDuty requires a From header naming one of its users)");
  }
  if (c.opsgenie.notes && c.opsgenie.api_key.empty()) {
    report("opsgenie.notes", "opsgenie.notes",
           "notes need an OpsGenie API key: set VIGIL_OPSGENIE_API_KEY or opsgenie.api_key_file");
  }
  if (oc.enabled() && c.approvals.users.empty() && c.approvals.groups.empty()) {
    load.warnings.push_back(marks.diagnostic(
        file, "approvals.oncall", "approvals.oncall",
        "no approvals.users or approvals.groups: while the on-call lookup fails, nobody can approve"));
  }
}

// Files and folders the configuration names that are not there, and settings whose feature cannot
// work as configured: warnings (Vigil starts; `config check` says what will not work), each at the
// key in the file when there is one.
void check_references(const DeferredMarks& marks, const std::string& file, ConfigLoad& load) {
  const auto& c = load.config;
  auto warn = [&](const std::string& mark_key, const std::string& key, const std::string& message) {
    load.warnings.push_back(marks.diagnostic(file, mark_key, key, message));
  };
  std::error_code ec;
  if (c.kubernetes.enabled) {
    for (const auto& [key, path] : {std::pair<std::string, std::string>{"kubernetes.read_only_kubeconfig",
                                                                        c.kubernetes.read_only_kubeconfig},
                                    {"kubernetes.remediation_kubeconfig", c.kubernetes.remediation_kubeconfig}}) {
      if (path.empty()) {
        warn("kubernetes.enabled", key, "not set: kubectl steps cannot run without it");
      } else if (!std::filesystem::is_regular_file(path, ec)) {
        warn(key, key, "no file at " + path);
      }
    }
  }
  if (!c.skills.shipped) {
    for (std::size_t i = 0; i < c.skills.dirs.size(); ++i) {
      if (!std::filesystem::is_directory(c.skills.dirs[i], ec)) {
        const auto key = "skills.dirs[" + std::to_string(i) + "]";
        warn(key, "skills.dirs", "no folder at " + c.skills.dirs[i]);
      }
    }
  }
  for (std::size_t i = 0; i < c.agent.knowledge_dirs.size(); ++i) {
    if (!std::filesystem::is_directory(c.agent.knowledge_dirs[i], ec)) {
      const auto key = "agent.knowledge_dirs[" + std::to_string(i) + "]";
      warn(key, "agent.knowledge_dirs", "no folder at " + c.agent.knowledge_dirs[i]);
    }
  }
  if (const auto message = webhook_channel_warning(c); !message.empty()) {
    warn("http.alert_channel", "http.alert_channel", message);
  }
}

}  // namespace

std::string slack_id_problem(const std::string& value, SlackIdKind kind) {
  const auto want = shape_of(kind);
  if (has_id_shape(value, want.letters)) {
    return {};
  }
  const std::string quoted = "'" + value + "'";
  if (!value.empty() && value[0] == '#' && kind == SlackIdKind::Channel) {
    return quoted + " is a channel name, not " + want.name +
           ": the id is at the bottom of the channel's details (e.g. " + want.example + ")";
  }
  if (!value.empty() && value[0] == '@') {
    return quoted + " is a name, not " + want.name + " (e.g. " + want.example + ")";
  }
  for (const auto other : {SlackIdKind::Channel, SlackIdKind::User, SlackIdKind::UserGroup, SlackIdKind::Bot}) {
    if (other != kind && has_id_shape(value, shape_of(other).letters)) {
      return quoted + " is " + shape_of(other).name + ", not " + want.name;
    }
  }
  return quoted + " is not " + want.name;
}

std::string webhook_channel_warning(const Config& c) {
  if (!c.http.alert_channel.empty()) {
    return {};
  }
  std::vector<std::string> sources;
  if (!c.http.alertmanager_token.empty()) sources.emplace_back("alertmanager");
  if (!c.http.pagerduty_secrets.empty()) sources.emplace_back("pagerduty");
  if (!c.http.opsgenie_token.empty()) sources.emplace_back("opsgenie");
  if (!c.http.grafana_token.empty()) sources.emplace_back("grafana");
  if (sources.empty()) {
    return {};
  }
  std::string list;
  for (const auto& s : sources) {
    list += (list.empty() ? "/webhooks/" : ", /webhooks/") + s;
  }
  return "not set, so " + list + " answer every alert with 503 (no alert channel): set it to the channel id "
         "(C…) where webhook alerts are posted";
}

std::string missing_skills_warning(const Config& config) {
  const auto& skills = config.skills;
  if (!skills.shipped && skills.dirs.empty()) {
    return {};
  }
  const std::string where =
      config.source_file.empty() ? std::string("a configuration file (--config)") : config.source_file;
  auto join = [](const std::vector<std::string>& dirs) {
    std::string text;
    for (const auto& dir : dirs) {
      text += (text.empty() ? "" : ", ") + dir;
    }
    return text;
  };
  if (skills.shipped && skills.dirs.empty()) {
    return "no skills: the skills shipped with Vigil are not in " + join(shipped_skill_dirs()) +
           "; set skills.dirs in " + where;
  }
  return "no skills in " + join(skills.dirs) + "; check skills.dirs in " + where;
}

std::vector<std::string> Config::secret_values() const {
  std::vector<std::string> out;
  for (const auto* s : {&slack.app_token, &slack.bot_token, &http.alertmanager_token,
                        &http.opsgenie_token, &http.grafana_token, &pagerduty.api_token,
                        &opsgenie.api_key, &alertmanager.api_token}) {
    if (!s->empty()) {
      out.push_back(*s);
    }
  }
  out.insert(out.end(), http.pagerduty_secrets.begin(), http.pagerduty_secrets.end());
  return out;
}

ConfigLoad load_config_text(const std::string& yaml, const std::string& file_name,
                            const Environment& env) {
  ConfigLoad load;
  load.config.source_file = file_name;
  ConfigReader reader(file_name, load);
  DeferredMarks marks;
  try {
    const auto docs = YAML::LoadAll(yaml);
    if (docs.size() > 1) {
      load.errors.push_back({file_name, 0, 0, "", "expected one YAML document, found " +
                                                       std::to_string(docs.size())});
    } else if (docs.size() == 1) {
      read_document(docs.front(), reader, load.config, marks);
    }
  } catch (const YAML::Exception& e) {
    ConfigDiagnostic d;
    d.file = file_name;
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    d.message = "YAML syntax error: " + e.msg;
    load.errors.push_back(std::move(d));
    return load;
  }
  resolve_paths(std::filesystem::path(file_name).parent_path(), load.config);
  apply_environment(env, load);
  check_paging(marks, file_name, load);
  check_references(marks, file_name, load);
  return load;
}

ConfigLoad load_config(const std::string& path, const Environment& env) {
  if (path.empty()) {
    return load_config_text("", "", env);
  }
  std::ifstream in(path);
  if (!in) {
    ConfigLoad load;
    load.errors.push_back({path, 0, 0, "", "cannot open the configuration file"});
    return load;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path, env);
}

std::string render_config(const Config& c) {
  auto secret = [](const std::string& v) { return v.empty() ? std::string() : std::string("***"); };
  auto seq = [](YAML::Emitter& out, const std::vector<std::string>& v) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : v) {
      out << s;
    }
    out << YAML::EndSeq;
  };
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "slack" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app_token" << YAML::Value << secret(c.slack.app_token);
  out << YAML::Key << "bot_token" << YAML::Value << secret(c.slack.bot_token);
  out << YAML::Key << "app_token_file" << YAML::Value << c.slack.app_token_file;
  out << YAML::Key << "bot_token_file" << YAML::Value << c.slack.bot_token_file;
  out << YAML::Key << "api_url" << YAML::Value << c.slack.api_url;
  out << YAML::Key << "connections" << YAML::Value << c.slack.connections;
  out << YAML::Key << "pong_timeout" << YAML::Value << (std::to_string(c.slack.pong_timeout.count()) + "s");
  out << YAML::EndMap;
  out << YAML::Key << "channels" << YAML::Value << YAML::BeginSeq;
  for (const auto& b : c.channels) {
    out << YAML::BeginMap;
    if (!b.id.empty()) out << YAML::Key << "id" << YAML::Value << b.id;
    if (!b.name_pattern.empty()) out << YAML::Key << "name_pattern" << YAML::Value << b.name_pattern;
    out << YAML::Key << "backend" << YAML::Value << (b.backend.empty() ? c.agent.backend : b.backend);
    out << YAML::Key << "auto_triage" << YAML::Value << b.auto_triage;
    out << YAML::Key << "alert_bots" << YAML::Value;
    seq(out, b.alert_bots);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "approvals" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "users" << YAML::Value;
  seq(out, c.approvals.users);
  out << YAML::Key << "groups" << YAML::Value;
  seq(out, c.approvals.groups);
  if (c.approvals.oncall.enabled()) {
    out << YAML::Key << "oncall" << YAML::Value << YAML::BeginMap;
    if (!c.approvals.oncall.pagerduty_schedule.empty()) {
      out << YAML::Key << "pagerduty_schedule" << YAML::Value << c.approvals.oncall.pagerduty_schedule;
    }
    if (!c.approvals.oncall.opsgenie_schedule.empty()) {
      out << YAML::Key << "opsgenie_schedule" << YAML::Value << c.approvals.oncall.opsgenie_schedule;
    }
    out << YAML::Key << "cache" << YAML::Value << (std::to_string(c.approvals.oncall.cache.count()) + "s");
    out << YAML::Key << "max_stale" << YAML::Value
        << (std::to_string(c.approvals.oncall.max_stale.count()) + "s");
    out << YAML::EndMap;
  }
  out << YAML::Key << "expiry" << YAML::Value << (std::to_string(c.approvals.expiry.count()) + "s");
  out << YAML::Key << "allow_self_approval" << YAML::Value << c.approvals.allow_self_approval;
  out << YAML::Key << "two_approvers_for" << YAML::Value;
  seq(out, c.approvals.two_approvers_for);
  out << YAML::EndMap;
  out << YAML::Key << "agent" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "backend" << YAML::Value << c.agent.backend;
  out << YAML::Key << "command" << YAML::Value;
  seq(out, c.agent.command);
  out << YAML::Key << "timeout" << YAML::Value << (std::to_string(c.agent.timeout.count()) + "s");
  out << YAML::Key << "grace" << YAML::Value << (std::to_string(c.agent.grace.count()) + "s");
  out << YAML::Key << "max_concurrent" << YAML::Value << c.agent.max_concurrent;
  out << YAML::Key << "workspace_root" << YAML::Value << c.agent.workspace_root;
  out << YAML::Key << "step_output_max_bytes" << YAML::Value << c.agent.step_output_max_bytes;
  out << YAML::Key << "retention" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "succeeded_days" << YAML::Value << c.agent.retention.succeeded_days;
  out << YAML::Key << "failed_days" << YAML::Value << c.agent.retention.failed_days;
  out << YAML::Key << "max_total_bytes" << YAML::Value << c.agent.retention.max_total_bytes;
  out << YAML::EndMap;
  out << YAML::Key << "env_allowlist" << YAML::Value;
  seq(out, c.agent.env_allowlist);
  out << YAML::Key << "knowledge_dirs" << YAML::Value;
  seq(out, c.agent.knowledge_dirs);
  out << YAML::Key << "failure_threshold" << YAML::Value << c.agent.failure_threshold;
  out << YAML::Key << "pause_for" << YAML::Value << (std::to_string(c.agent.pause_for.count()) + "s");
  out << YAML::EndMap;
  out << YAML::Key << "kubernetes" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << c.kubernetes.enabled;
  out << YAML::Key << "kubectl" << YAML::Value << c.kubernetes.kubectl;
  out << YAML::Key << "read_only_kubeconfig" << YAML::Value << c.kubernetes.read_only_kubeconfig;
  out << YAML::Key << "remediation_kubeconfig" << YAML::Value << c.kubernetes.remediation_kubeconfig;
  out << YAML::Key << "cluster" << YAML::Value << c.kubernetes.cluster;
  out << YAML::EndMap;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << c.http.listen;
  out << YAML::Key << "alertmanager_token" << YAML::Value << secret(c.http.alertmanager_token);
  out << YAML::Key << "pagerduty_secrets" << YAML::Value
      << (c.http.pagerduty_secrets.empty() ? std::string()
                                           : std::to_string(c.http.pagerduty_secrets.size()) + " × ***");
  out << YAML::Key << "opsgenie_token" << YAML::Value << secret(c.http.opsgenie_token);
  out << YAML::Key << "grafana_token" << YAML::Value << secret(c.http.grafana_token);
  out << YAML::Key << "alert_channel" << YAML::Value << c.http.alert_channel;
  out << YAML::Key << "max_body_bytes" << YAML::Value << c.http.max_body_bytes;
  out << YAML::EndMap;
  out << YAML::Key << "pagerduty" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "api_url" << YAML::Value << c.pagerduty.api_url;
  out << YAML::Key << "api_token" << YAML::Value << secret(c.pagerduty.api_token);
  out << YAML::Key << "api_token_file" << YAML::Value << c.pagerduty.api_token_file;
  out << YAML::Key << "notes" << YAML::Value << c.pagerduty.notes;
  out << YAML::Key << "from_email" << YAML::Value << c.pagerduty.from_email;
  out << YAML::EndMap;
  out << YAML::Key << "opsgenie" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "api_url" << YAML::Value << c.opsgenie.api_url;
  out << YAML::Key << "api_key" << YAML::Value << secret(c.opsgenie.api_key);
  out << YAML::Key << "api_key_file" << YAML::Value << c.opsgenie.api_key_file;
  out << YAML::Key << "notes" << YAML::Value << c.opsgenie.notes;
  out << YAML::EndMap;
  out << YAML::Key << "alertmanager" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << c.alertmanager.url;
  out << YAML::Key << "api_token" << YAML::Value << secret(c.alertmanager.api_token);
  out << YAML::Key << "api_token_file" << YAML::Value << c.alertmanager.api_token_file;
  out << YAML::EndMap;
  out << YAML::Key << "redaction" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "patterns" << YAML::Value;
  seq(out, c.redaction.patterns);
  out << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "database" << YAML::Value << c.storage.database;
  out << YAML::Key << "processed_event_ttl" << YAML::Value
      << (std::to_string(c.storage.processed_event_ttl.count()) + "s");
  out << YAML::EndMap;
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << c.logging.level;
  out << YAML::Key << "format" << YAML::Value << c.logging.format;
  out << YAML::EndMap;
  out << YAML::Key << "skills" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dirs" << YAML::Value;
  seq(out, c.skills.dirs);
  out << YAML::EndMap;
  out << YAML::Key << "incidents" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "create_channel" << YAML::Value << c.incidents.create_channel;
  out << YAML::Key << "channel_prefix" << YAML::Value << c.incidents.channel_prefix;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace vigil
