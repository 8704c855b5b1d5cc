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
  std::string app_token;  // xapp-…
  std::string bot_token;  // xoxb-…
  std::vector<std::string> channels;  // C…/G… ids, or regular expressions on channel names
  bool kubernetes_enabled = false;
  std::string read_only_kubeconfig;    // absolute paths
  std::string remediation_kubeconfig;
  std::vector<std::string> alert_sources;  // alertmanager, pagerduty, opsgenie, grafana
  std::string pagerduty_secret;            // PagerDuty v3 signing secret
  std::vector<std::string> approvers;      // U…/W… user ids, S… user-group ids
};

/// The interactive set-up behind `vigil init`: reads answers from `in`, writes prompts to `out`,
/// validates every answer and asks again with the reason. Run on existing files it offers their
/// values as defaults (`[current]`), and Enter keeps them.
class InitWizard {
 public:
  InitWizard(std::istream& in, std::ostream& out);

  /// Asks every question with `current` as the defaults. Fails only when the input ends early.
  Result<InitAnswers> ask(const InitAnswers& current);

  /// The answers already in `config_path` and `env_path` (missing files: nothing yet).
  static Result<InitAnswers> load(const std::filesystem::path& config_path,
                                  const std::filesystem::path& env_path);

  /// Writes the YAML (keeping every key the wizard does not ask about) and the env file (mode
  /// 0600, other lines kept), then checks the YAML loads without errors.
  static Result<void> write(const InitAnswers& answers, const std::filesystem::path& config_path,
                            const std::filesystem::path& env_path);

  /// load, ask, write, and say what to do next.
  Result<void> run(const std::filesystem::path& config_path, const std::filesystem::path& env_path);

 private:
  // Returns the problem with an answer, or an empty string when it is acceptable.
  using Check = std::function<std::string(const std::string&)>;

  // Asks until `check` accepts; an empty answer means `current` (shown as `shown`).
  Result<std::string> ask_value(const std::string& question, const std::string& current,
                                const std::string& shown, const Check& check);
  Result<bool> ask_yes_no(const std::string& question, bool current);

  std::istream& in_;
  std::ostream& out_;
};

}  // namespace vigil
