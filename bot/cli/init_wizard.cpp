#include "bot/cli/init_wizard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <cctype>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

#include <boost/regex.hpp>
#include <yaml-cpp/yaml.h>

#include "bot/base/ids.h"
#include "bot/core/config.h"

// yaml-cpp outside bot/core/config*.cpp: the wizard edits the file in place (keeping the keys it does
// not ask about), which the typed Config cannot do; every read still goes through load_config.

namespace vigil {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kAlertSources = {"alertmanager", "pagerduty", "opsgenie", "grafana"};

// The env variable holding each source's webhook secret (see apply_environment in bot/core/config_environment.cpp).
std::string source_env_key(const std::string& source) {
  if (source == "alertmanager")
    return "VIGIL_ALERTMANAGER_TOKEN";
  if (source == "pagerduty")
    return "VIGIL_PAGERDUTY_WEBHOOK_SECRETS";
  if (source == "opsgenie")
    return "VIGIL_OPSGENIE_TOKEN";
  return "VIGIL_GRAFANA_TOKEN";
}

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// "a, b c" → {a, b, c}.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (const char ch : text + ",") {
    if (ch == ',' || std::isspace(static_cast<unsigned char>(ch))) {
      if (!item.empty()) {
        out.push_back(item);
      }
      item.clear();
    } else {
      item += ch;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ", ") + i;
  }
  return out;
}

// Enough of a secret to recognise it, never enough to use it.
std::string mask(const std::string& secret) {
  if (secret.empty()) {
    return {};
  }
  if (secret.size() < 16) {
    return "***";
  }
  const auto dash = secret.find('-');
  const auto head = dash != std::string::npos && dash < 6 ? secret.substr(0, dash + 1) : "";
  return head + "***" + secret.substr(secret.size() - 4);
}

bool matches(const std::string& text, const char* pattern) {
  return boost::regex_match(text, boost::regex(pattern));
}

std::string token_problem(const std::string& value, const std::string& prefix, const std::string& other_prefix,
                          const std::string& where) {
  if (value.empty()) {
    return "a token is required (" + where + ")";
  }
  if (value.rfind(other_prefix, 0) == 0) {
    return "that is a " + other_prefix + " token; this one starts with " + prefix + " (" + where + ")";
  }
  if (value.rfind(prefix, 0) != 0) {
    return "this token starts with " + prefix + " (" + where + ")";
  }
  if (!matches(value, "[A-Za-z0-9-]{15,}")) {
    return "a Slack token is letters, digits and dashes only, at least 15 characters";
  }
  return {};
}

bool is_channel_id(const std::string& s) {
  return matches(s, "[CG][A-Z0-9]{6,}");
}

// "#name" means exactly that channel name.
std::string normalise_channel(const std::string& entry) {
  if (entry.size() > 1 && entry[0] == '#') {
    return "^" + boost::regex_replace(entry.substr(1), boost::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\\$&)") + "$";
  }
  return entry;
}

std::string channels_problem(const std::string& value) {
  const auto entries = split_list(value);
  if (entries.empty()) {
    return "name at least one incident channel";
  }
  for (const auto& raw : entries) {
    const auto entry = normalise_channel(raw);
    if (is_channel_id(entry)) {
      continue;
    }
    try {
      boost::regex re(entry);
    } catch (const boost::regex_error& e) {
      return "'" + raw + "' is neither a channel id (C…/G…) nor a valid regular expression: " + e.what();
    }
  }
  return {};
}

std::string approvers_problem(const std::string& value) {
  const auto entries = split_list(value);
  if (entries.empty()) {
    return "name at least one approver, or nobody can approve a remediation";
  }
  for (const auto& e : entries) {
    if (!matches(e, "[UWS][A-Z0-9]{2,}")) {
      return "'" + e +
             "' is not a Slack user id (U…/W…) or user-group id (S…); in Slack: profile → ⋯ → "
             "Copy member ID";
    }
  }
  return {};
}

std::string sources_problem(const std::string& value) {
  for (const auto& s : split_list(value)) {
    if (s != "none" && std::find(kAlertSources.begin(), kAlertSources.end(), s) == kAlertSources.end()) {
      return "'" + s + "' is not one of: alertmanager, pagerduty, opsgenie, grafana (or none)";
    }
  }
  return {};
}

std::string kubeconfig_problem(const std::string& value) {
  if (value.empty()) {
    return "a kubeconfig path is required";
  }
  std::error_code ec;
  if (!fs::is_regular_file(value, ec)) {
    return "no file at " + value;
  }
  std::ifstream in(value);
  if (!in) {
    return "cannot read " + value;
  }
  return {};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  const auto abs = fs::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

// KEY=VALUE lines; `export ` and surrounding quotes are accepted, as shells write them.
using EnvLines = std::vector<std::string>;

std::optional<std::pair<std::string, std::string>> parse_env_line(std::string line) {
  line = trim(line);
  if (line.empty() || line[0] == '#') {
    return std::nullopt;
  }
  if (line.rfind("export ", 0) == 0) {
    line = trim(line.substr(7));
  }
  const auto eq = line.find('=');
  if (eq == std::string::npos || eq == 0) {
    return std::nullopt;
  }
  auto value = line.substr(eq + 1);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return std::make_pair(line.substr(0, eq), value);
}

EnvLines read_lines(const fs::path& path) {
  EnvLines lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

// Written to a temporary file with `mode` from the start, then renamed: never briefly readable.
// The folder must exist: the wizard creates no folder.
Result<void> write_private(const fs::path& path, const std::string& text, mode_t mode) {
  const auto tmp = path.string() + ".tmp-" + random_hex(4);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return make_error(Errc::Io, "cannot create " + tmp + ": " + std::strerror(errno));
  }
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    done += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(Errc::Io, "cannot write " + path.string() + ": " + reason);
  }
  return {};
}

YAML::Node string_seq(const std::vector<std::string>& items) {
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const auto& i : items) {
    seq.push_back(i);
  }
  return seq;
}

// The channel bindings for `entries`, keeping the other settings of bindings that stay.
YAML::Node channel_bindings(const YAML::Node& old, const std::vector<std::string>& entries) {
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const auto& entry : entries) {
    const char* key = is_channel_id(entry) ? "id" : "name_pattern";
    bool kept = false;
    if (old && old.IsSequence()) {
      for (const auto& b : old) {
        if (b.IsMap() && b[key] && b[key].IsScalar() && b[key].Scalar() == entry) {
          seq.push_back(YAML::Clone(b));
          kept = true;
          break;
        }
      }
    }
    if (!kept) {
      YAML::Node binding(YAML::NodeType::Map);
      binding[key] = entry;
      seq.push_back(binding);
    }
  }
  return seq;
}

YAML::Node map_at(YAML::Node root, const char* key) {
  if (!root[key] || !root[key].IsMap()) {
    root[key] = YAML::Node(YAML::NodeType::Map);
  }
  return root[key];
}

bool is_removed(const std::vector<std::string>& removed, const std::string& key) {
  return std::find(removed.begin(), removed.end(), key) != removed.end();
}

// The env file: our keys replaced in place, the removed ones dropped, every other line kept.
std::string updated_env_text(const EnvLines& old_lines, const EnvValues& values,
                             const std::vector<std::string>& removed) {
  std::string env_text;
  if (old_lines.empty()) {
    env_text =
        "# Vigil secrets, written by `vigil init` (mode 0600). Never commit this file.\n"
        "# systemd: EnvironmentFile=; a shell: set -a; . ./vigil.env; set +a\n";
  }
  std::vector<std::string> written;
  for (const auto& line : old_lines) {
    const auto kv = parse_env_line(line);
    if (kv && is_removed(removed, kv->first)) {
      continue;
    }
    const auto ours =
        kv ? std::find_if(values.begin(), values.end(), [&kv](const auto& value) { return value.first == kv->first; })
           : values.end();
    if (ours == values.end()) {
      env_text += line + "\n";
      continue;
    }
    if (std::find(written.begin(), written.end(), ours->first) == written.end()) {
      env_text += ours->first + "=" + ours->second + "\n";
      written.push_back(ours->first);
    }
  }
  for (const auto& [k, v] : values) {
    if (std::find(written.begin(), written.end(), k) == written.end()) {
      env_text += k + "=" + v + "\n";
    }
  }
  return env_text;
}

// The environment the written files give `vigil serve`: the env file's lines that stay, then ours.
Environment env_after(const EnvLines& old_lines, const EnvValues& values, const std::vector<std::string>& removed) {
  Environment env;
  for (const auto& line : old_lines) {
    if (const auto kv = parse_env_line(line); kv && !is_removed(removed, kv->first)) {
      env[kv->first] = kv->second;
    }
  }
  for (const auto& [k, v] : values) {
    env[k] = v;
  }
  return env;
}

// The YAML: only the keys the wizard asks about change.
Result<std::string> updated_yaml_text(const InitAnswers& a, const fs::path& config_path) {
  try {
    YAML::Node root(YAML::NodeType::Map);
    std::error_code ec;
    if (fs::exists(config_path, ec)) {
      root = YAML::LoadFile(config_path.string());
      if (!root.IsMap()) {
        root = YAML::Node(YAML::NodeType::Map);
      }
    }
    if (root["slack"] && root["slack"].IsMap()) {
      root["slack"].remove("app_token");  // never inline (config check refuses them anyway)
      root["slack"].remove("bot_token");
    }
    root["channels"] = channel_bindings(root["channels"], a.channels);
    std::vector<std::string> users, groups;
    for (const auto& id : a.approvers) {
      (id[0] == 'S' ? groups : users).push_back(id);
    }
    auto approvals = map_at(root, "approvals");
    approvals["users"] = string_seq(users);
    approvals["groups"] = string_seq(groups);
    if (!a.alert_sources.empty()) {
      map_at(root, "http")["alert_channel"] = a.alert_channel;
    }
    auto k8s = map_at(root, "kubernetes");
    k8s["enabled"] = a.kubernetes_enabled;
    if (a.kubernetes_enabled) {
      k8s["read_only_kubeconfig"] = a.read_only_kubeconfig;
      k8s["remediation_kubeconfig"] = a.remediation_kubeconfig;
    }
    YAML::Emitter emitter;
    emitter << root;
    return "# Vigil configuration, written by `vigil init`; every option is described in\n"
           "# deploy/config.example.yaml. No secrets here: they are in the env file beside it.\n" +
           std::string(emitter.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return make_error(Errc::InvalidConfig, "cannot update " + config_path.string() + ": " + e.msg);
  }
}

}  // namespace

InitWizard::InitWizard(std::istream& in, std::ostream& out, InitTerminal terminal)
    : in_(in), out_(out), terminal_(std::move(terminal)) {}

Result<std::string> InitWizard::ask_value(const std::string& question, const std::string& current,
                                          const std::string& shown, const Check& check, bool secret) {
  for (;;) {
    // Echo goes off before the prompt shows, so nothing typed after it is ever on the screen.
    const bool hidden = secret && terminal_.echo;
    if (hidden) {
      terminal_.echo(false);
    }
    out_ << question;
    if (!shown.empty()) {
      out_ << " [" << shown << "]";
    }
    out_ << (hidden ? " (typing is not shown)" : "") << ": " << std::flush;
    std::string line;
    const bool got = static_cast<bool>(std::getline(in_, line));
    if (hidden) {
      terminal_.echo(true);
      out_ << "\n";  // the Enter was not echoed either
    }
    if (!got) {
      out_ << "\n";
      return make_error(Errc::InvalidInput, "the input ended before every question was answered; nothing was written");
    }
    line = trim(line);
    const std::string value = line.empty() ? current : line;
    const auto problem = check(value);
    if (problem.empty()) {
      return value;
    }
    out_ << "  ! " << problem << "\n";
  }
}

Result<bool> InitWizard::ask_yes_no(const std::string& question, bool current) {
  const auto answer =
      ask_value(question + " (yes/no)", current ? "yes" : "no", current ? "yes" : "no", [](const std::string& v) {
        return v == "y" || v == "yes" || v == "n" || v == "no" ? std::string() : std::string("answer yes or no");
      });
  if (!answer) {
    return answer.error();
  }
  return *answer == "y" || *answer == "yes";
}

Result<void> InitWizard::ask_slack_tokens(const InitAnswers& current, InitAnswers& a) {
  auto app = ask_value(
      "Slack app-level token (xapp-…)", current.app_token, mask(current.app_token),
      [](const std::string& v) {
        return token_problem(v, "xapp-", "xoxb-", "Basic Information → App-Level Tokens, scope connections:write");
      },
      true);
  if (!app)
    return app.error();
  a.app_token = *app;

  auto bot = ask_value(
      "Slack bot token (xoxb-…)", current.bot_token, mask(current.bot_token),
      [](const std::string& v) {
        return token_problem(v, "xoxb-", "xapp-", "OAuth & Permissions → Bot User OAuth Token");
      },
      true);
  if (!bot)
    return bot.error();
  a.bot_token = *bot;
  return {};
}

Result<void> InitWizard::ask_channels(const InitAnswers& current, InitAnswers& a) {
  auto channels = ask_value("Incident channels: ids (C…/G…), #names or name patterns (regex), comma-separated",
                            join(current.channels), join(current.channels), channels_problem);
  if (!channels)
    return channels.error();
  a.channels.clear();
  for (const auto& c : split_list(*channels)) {
    a.channels.push_back(normalise_channel(c));
  }
  return {};
}

Result<void> InitWizard::ask_kubernetes(const InitAnswers& current, InitAnswers& a) {
  auto k8s = ask_yes_no("Use Kubernetes (kubectl) for diagnostics and remediation?", current.kubernetes_enabled);
  if (!k8s)
    return k8s.error();
  a.kubernetes_enabled = *k8s;
  if (!a.kubernetes_enabled) {
    return {};
  }
  auto ro = ask_value("Read-only kubeconfig (get/list/watch; every investigation uses it)",
                      current.read_only_kubeconfig, current.read_only_kubeconfig, kubeconfig_problem);
  if (!ro)
    return ro.error();
  a.read_only_kubeconfig = absolute(*ro);
  const auto read_only = a.read_only_kubeconfig;
  auto rem =
      ask_value("Remediation kubeconfig (used only for approved restart, rollback and scale)",
                current.remediation_kubeconfig, current.remediation_kubeconfig, [&read_only](const std::string& v) {
                  auto problem = kubeconfig_problem(v);
                  if (problem.empty() && same_file(v, read_only)) {
                    problem =
                        "must differ from the read-only kubeconfig: investigation never gets write "
                        "credentials";
                  }
                  return problem;
                });
  if (!rem)
    return rem.error();
  a.remediation_kubeconfig = absolute(*rem);
  return {};
}

Result<void> InitWizard::ask_alert_sources(const InitAnswers& current, InitAnswers& a) {
  const auto shown_sources = current.alert_sources.empty() ? "none" : join(current.alert_sources);
  auto sources = ask_value("Alert sources sending webhooks (alertmanager, pagerduty, opsgenie, grafana; or none)",
                           shown_sources, shown_sources, sources_problem);
  if (!sources)
    return sources.error();
  a.alert_sources.clear();
  for (const auto& s : kAlertSources) {  // canonical order, no duplicates
    const auto chosen = split_list(*sources);
    if (std::find(chosen.begin(), chosen.end(), s) != chosen.end()) {
      a.alert_sources.push_back(s);
    }
  }
  if (std::find(a.alert_sources.begin(), a.alert_sources.end(), "pagerduty") != a.alert_sources.end()) {
    auto pd = ask_value(
        "PagerDuty webhook signing secret (v3 webhook subscription)", current.pagerduty_secret,
        mask(current.pagerduty_secret),
        [](const std::string& v) {
          return matches(v, "[A-Za-z0-9+/=_-]{8,}") ? std::string()
                                                    : std::string(
                                                          "expected the signing secret PagerDuty shows "
                                                          "once when the subscription is created");
        },
        true);
    if (!pd)
      return pd.error();
    a.pagerduty_secret = *pd;
  }
  if (a.alert_sources.empty()) {
    return {};
  }
  // Without it every webhook is answered 503 (no alert channel).
  std::string suggested = current.alert_channel;
  for (const auto& c : a.channels) {
    if (suggested.empty() && is_channel_id(c)) {
      suggested = c;
    }
  }
  auto channel = ask_value("Channel where webhook alerts are posted (http.alert_channel): a channel id, C…/G…",
                           suggested, suggested, [](const std::string& v) {
                             return v.empty() ? std::string(
                                                    "webhook alerts need a channel; its id is at the "
                                                    "bottom of the channel's details (C…)")
                                              : slack_id_problem(v, SlackIdKind::Channel);
                           });
  if (!channel)
    return channel.error();
  a.alert_channel = *channel;
  return {};
}

Result<void> InitWizard::ask_approvers(const InitAnswers& current, InitAnswers& a) {
  auto approvers = ask_value("Approvers: Slack user ids (U…/W…) and user-group ids (S…), comma-separated",
                             join(current.approvers), join(current.approvers), approvers_problem);
  if (!approvers)
    return approvers.error();
  a.approvers = split_list(*approvers);
  return {};
}

Result<InitAnswers> InitWizard::ask(const InitAnswers& current) {
  InitAnswers a = current;
  out_ << "Press Enter to keep the value shown in [brackets].\n";
  for (const auto step : {&InitWizard::ask_slack_tokens, &InitWizard::ask_channels, &InitWizard::ask_kubernetes,
                          &InitWizard::ask_alert_sources, &InitWizard::ask_approvers}) {
    if (auto asked = (this->*step)(current, a); !asked) {
      return asked.error();
    }
  }
  return a;
}

Result<InitAnswers> InitWizard::load(const fs::path& config_path, const fs::path& env_path) {
  InitAnswers a;
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    try {
      (void)YAML::LoadFile(config_path.string());
    } catch (const YAML::Exception& e) {
      return make_error(Errc::InvalidConfig, config_path.string() + " is not valid YAML (" + e.msg +
                                                 "); fix or move it, then run init again");
    }
    // Typed values through the one config reader; problems are answered again, not fatal.
    const auto load = load_config(config_path.string(), Environment{});
    const auto& c = load.config;
    for (const auto& b : c.channels) {
      a.channels.push_back(b.id.empty() ? b.name_pattern : b.id);
    }
    a.kubernetes_enabled = c.kubernetes.enabled;
    a.read_only_kubeconfig = c.kubernetes.read_only_kubeconfig;
    a.remediation_kubeconfig = c.kubernetes.remediation_kubeconfig;
    a.approvers = c.approvals.users;
    a.approvers.insert(a.approvers.end(), c.approvals.groups.begin(), c.approvals.groups.end());
    a.app_token = c.slack.app_token;  // from slack.app_token_file, if one is named
    a.bot_token = c.slack.bot_token;
    a.alert_channel = c.http.alert_channel;
  }
  for (const auto& line : read_lines(env_path)) {
    const auto kv = parse_env_line(line);
    if (!kv || kv->second.empty()) {
      continue;
    }
    if (kv->first == "SLACK_APP_TOKEN")
      a.app_token = kv->second;
    if (kv->first == "SLACK_BOT_TOKEN")
      a.bot_token = kv->second;
    for (const auto& s : kAlertSources) {
      if (kv->first == source_env_key(s)) {
        a.alert_sources.push_back(s);
        if (s == "pagerduty")
          a.pagerduty_secret = kv->second;
      }
    }
  }
  std::vector<std::string> ordered;
  for (const auto& s : kAlertSources) {
    if (std::find(a.alert_sources.begin(), a.alert_sources.end(), s) != a.alert_sources.end()) {
      ordered.push_back(s);
    }
  }
  a.alert_sources = ordered;
  return a;
}

EnvValues InitWizard::env_values(const InitAnswers& a, const fs::path& env_path) {
  std::map<std::string, std::string> old_values;
  for (const auto& line : read_lines(env_path)) {
    if (const auto kv = parse_env_line(line)) {
      old_values[kv->first] = kv->second;
    }
  }
  EnvValues values = {{"SLACK_APP_TOKEN", a.app_token}, {"SLACK_BOT_TOKEN", a.bot_token}};
  for (const auto& s : a.alert_sources) {
    const auto key = source_env_key(s);
    std::string v = s == "pagerduty" ? a.pagerduty_secret : old_values[key];
    if (v.empty()) {
      v = random_hex(32);  // a shared secret we choose; the source is configured to send it
    }
    values.emplace_back(key, v);
  }
  return values;
}

Result<EnvValues> InitWizard::merge_env(const EnvValues& wanted, const fs::path& env_path,
                                        std::vector<std::string>& removed) {
  std::map<std::string, std::string> old_values;
  for (const auto& line : read_lines(env_path)) {
    if (const auto kv = parse_env_line(line); kv && !kv->second.empty()) {
      old_values[kv->first] = kv->second;
    }
  }
  const auto file = env_path.filename().string();
  const std::string piped = " (the answers do not come from a terminal, so nothing already in " + file +
                            " is replaced; edit the file to change it)";
  EnvValues merged;
  for (const auto& [key, value] : wanted) {
    const auto old = old_values.find(key);
    if (old == old_values.end() || old->second == value) {
      merged.emplace_back(key, value);
      continue;
    }
    bool replace = false;
    if (terminal_.interactive) {
      auto yes = ask_yes_no(
          "Replace " + key + " in " + file + " (" + mask(old->second) + ") with the new value (" + mask(value) + ")?",
          false);
      if (!yes)
        return yes.error();
      replace = *yes;
    } else {
      out_ << "  kept " << key << " as it is in " << file << piped << "\n";
    }
    merged.emplace_back(key, replace ? value : old->second);
  }
  for (const auto& s : kAlertSources) {
    const auto key = source_env_key(s);
    const bool still = std::any_of(wanted.begin(), wanted.end(), [&key](const auto& kv) { return kv.first == key; });
    if (still || old_values.count(key) == 0) {
      continue;
    }
    bool remove = false;
    if (terminal_.interactive) {
      auto yes =
          ask_yes_no("Remove " + key + " from " + file + "? While it is set, /webhooks/" + s + " takes alerts", false);
      if (!yes)
        return yes.error();
      remove = *yes;
    } else {
      out_ << "  kept " << key << " in " << file << ": /webhooks/" << s << " still takes alerts" << piped << "\n";
    }
    if (remove) {
      removed.push_back(key);
    }
  }
  return merged;
}

Result<void> InitWizard::write(const InitAnswers& a, const EnvValues& values, const std::vector<std::string>& removed,
                               const fs::path& config_path, const fs::path& env_path) {
  const auto old_lines = read_lines(env_path);
  const auto env_text = updated_env_text(old_lines, values, removed);
  auto yaml_text = updated_yaml_text(a, config_path);
  if (!yaml_text) {
    return yaml_text.error();
  }
  // Check before writing anything: the result must load as it will at `vigil serve`.
  const auto check = load_config_text(*yaml_text, config_path.string(), env_after(old_lines, values, removed));
  if (!check.ok()) {
    std::string detail;
    for (const auto& e : check.errors) {
      detail += "\n  " + e.to_string();
    }
    return make_error(Errc::InvalidConfig, "the generated configuration does not load:" + detail);
  }
  if (auto r = write_private(env_path, env_text, 0600); !r) {
    return r;
  }
  return write_private(config_path, *yaml_text, 0644);
}

Result<void> InitWizard::run(const fs::path& config_path, const fs::path& env_path) {
  // Only the two files it is given: a missing folder is the person's to create, not a typo to make.
  for (const auto& file : {config_path, env_path}) {
    const auto folder = file.parent_path();
    std::error_code ec;
    if (!folder.empty() && !fs::is_directory(folder, ec)) {
      return make_error(Errc::InvalidInput, "no folder " + folder.string() + " for " + file.filename().string() +
                                                ": vigil init creates no folders; create it first, or choose "
                                                "another path (--output, --env-file)");
    }
  }
  std::error_code ec;
  const bool existed = fs::exists(config_path, ec);
  const bool env_existed = fs::exists(env_path, ec);
  auto current = load(config_path, env_path);
  if (!current) {
    return current.error();
  }
  out_ << (existed ? "Updating " : "Creating ") << config_path.string() << " and "
       << (env_existed ? "merging into " : "") << env_path.string() << ".\n";
  if (env_existed) {
    out_ << env_path.string() << " exists: its lines and values are kept"
         << (terminal_.interactive ? "; you are asked before one is replaced or removed.\n"
                                   : "; answers that are not typed at a terminal never replace one.\n");
  }
  auto answers = ask(*current);
  if (!answers) {
    return answers.error();
  }
  std::vector<std::string> removed;
  auto values = merge_env(env_values(*answers, env_path), env_path, removed);
  if (!values) {
    return values.error();
  }
  if (auto r = write(*answers, *values, removed, config_path, env_path); !r) {
    return r;
  }
  out_ << "\nWrote " << config_path.string() << " (no secrets) and " << env_path.string()
       << " (mode 0600: the tokens).\n";
  for (const auto& s : answers->alert_sources) {
    out_ << "  " << s << ": POST http://<vigil-host>:9090/webhooks/" << s << ", secret in " << source_env_key(s) << " ("
         << env_path.string() << "); alerts go to " << answers->alert_channel << "\n";
  }
  out_ << "Next: vigil config check " << config_path.string() << "\n"
       << "      set -a; . " << env_path.string() << "; set +a; vigil --config " << config_path.string() << " serve\n";
  return {};
}

}  // namespace vigil
