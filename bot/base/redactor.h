#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"

namespace vigil {

/// The one filter every outgoing text passes through: Slack posts, log lines, an agent's context.
/// It removes Slack/AWS/GCP/GitHub tokens, bearer and basic credentials, PEM private keys,
/// passwords in URLs and key=value pairs, JWTs, Kubernetes Secret data values, the exact values of
/// configured secrets, and any configured extra pattern.
class Redactor {
 public:
  Redactor();
  ~Redactor();
  Redactor(const Redactor&);
  Redactor& operator=(const Redactor&);

  /// Adds an extra regular expression (Perl syntax); every match is replaced.
  Result<void> add_pattern(const std::string& pattern);
  /// Adds a literal secret (a token from the environment, a webhook secret); every occurrence is
  /// replaced. Values shorter than 6 characters are ignored (they would redact ordinary words).
  void add_secret(std::string value);

  std::string redact(std::string_view text) const;

  static constexpr std::string_view kMask = "[REDACTED]";

 private:
  struct Rule;
  std::vector<Rule> rules_;
  std::vector<std::string> secrets_;
};

}  // namespace vigil
