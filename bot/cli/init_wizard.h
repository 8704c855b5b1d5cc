#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil {

/// What `vigil init` asks for. The secrets (tokens, the PagerDuty signing secret, generated webhook
/// tokens) go only to the env file; the YAML never holds one.
struct InitAnswers {
  std::string app_token;              // xapp-…
  std::string bot_token;              // xoxb-…
  std::vector<std::string> channels;  // C…/G… ids, or regular expressions on channel names
  bool kubernetes_enabled = false;
  std::string read_only_kubeconfig;  // absolute paths
  std::string remediation_kubeconfig;
  std::vector<std::string> alert_sources;  // alertmanager, pagerduty, opsgenie, grafana
  std::string pagerduty_secret;            // PagerDuty v3 signing secret
  std::vector<std::string> approvers;      // U…/W… user ids, S… user-group ids
  std::string alert_channel;               // http.alert_channel (C…/G…): asked when a source is chosen
};

/// Where the wizard's answers come from.
struct InitTerminal {
  /// A person types the answers (stdin is a terminal): before a value already in the env file is
  /// replaced or removed, the wizard asks. Otherwise (answers piped in) such values are kept, and the
  /// wizard says which.
  bool interactive = false;
  /// Turns the terminal's echo off (false) and back on (true) around a secret answer; empty when
  /// stdin is not a terminal (the line is read as it comes).
  std::function<void(bool)> echo;
};

/// The env file's KEY=VALUE pairs the wizard manages, in the order written.
using EnvValues = std::vector<std::pair<std::string, std::string>>;

/// The interactive set-up behind `vigil init`: reads answers from `in`, writes prompts to `out`,
/// validates every answer and asks again with the reason. Run on existing files it offers their
/// values as defaults (`[current]`), and Enter keeps them. An existing env file is merged, never
/// overwritten: its other lines and values stay, new keys are added, and a value is replaced or
/// removed only when the person says yes (interactive) — piped answers keep what is there. It
/// creates no folder: the folders of the files it writes must exist.
class InitWizard {
 public:
  InitWizard(std::istream& in, std::ostream& out, InitTerminal terminal = {});

  /// Asks every question with `current` as the defaults. Fails only when the input ends early.
  Result<InitAnswers> ask(const InitAnswers& current);

  /// The answers already in `config_path` and `env_path` (missing files: nothing yet).
  static Result<InitAnswers> load(const std::filesystem::path& config_path, const std::filesystem::path& env_path);

  /// The env file's values for `answers`: the Slack tokens and each chosen source's secret (the one
  /// already in `env_path` kept, else a generated one; PagerDuty's as answered).
  static EnvValues env_values(const InitAnswers& answers, const std::filesystem::path& env_path);

  /// Writes the YAML (keeping every key the wizard does not ask about) and the env file (mode 0600:
  /// `values` replace their keys in place or are appended, the managed keys in `removed` are dropped,
  /// every other line is kept), after checking the YAML loads without errors with those values.
  static Result<void> write(const InitAnswers& answers, const EnvValues& values,
                            const std::vector<std::string>& removed, const std::filesystem::path& config_path,
                            const std::filesystem::path& env_path);

  /// load, ask, write, and say what to do next.
  Result<void> run(const std::filesystem::path& config_path, const std::filesystem::path& env_path);

 private:
  // Returns the problem with an answer, or an empty string when it is acceptable.
  using Check = std::function<std::string(const std::string&)>;

  // Asks until `check` accepts; an empty answer means `current` (shown as `shown`). A `secret`
  // answer is typed with the terminal's echo off.
  Result<std::string> ask_value(const std::string& question, const std::string& current, const std::string& shown,
                                const Check& check, bool secret = false);
  Result<bool> ask_yes_no(const std::string& question, bool current);

  // The steps of ask(), in the order they are asked; each fills its part of `a`.
  Result<void> ask_slack_tokens(const InitAnswers& current, InitAnswers& a);
  Result<void> ask_channels(const InitAnswers& current, InitAnswers& a);
  Result<void> ask_kubernetes(const InitAnswers& current, InitAnswers& a);
  // The alert sources, then what the chosen ones need: PagerDuty's signing secret, the alert channel.
  Result<void> ask_alert_sources(const InitAnswers& current, InitAnswers& a);
  Result<void> ask_approvers(const InitAnswers& current, InitAnswers& a);

  // The env file's values after asking (interactive) or keeping (piped) each value already there
  // that the answers would replace; `removed` gets the keys to drop.
  Result<EnvValues> merge_env(const EnvValues& wanted, const std::filesystem::path& env_path,
                              std::vector<std::string>& removed);

  std::istream& in_;
  std::ostream& out_;
  InitTerminal terminal_;
};

}  // namespace vigil
