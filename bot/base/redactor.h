#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"

namespace vigil {

/// A half-open byte range [begin, end) of a text.
struct TextSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// The one filter every outgoing text passes through: Slack posts, log lines, an agent's context.
/// It removes Slack/AWS/GCP/GitHub tokens, bearer and basic credentials, PEM private keys,
/// passwords in URLs and key=value pairs, JWTs, Kubernetes Secret data values, the exact values of
/// configured secrets, and any configured extra pattern.
///
/// Tokens (and configured secrets) are found wherever they start, also glued to a word, and also
/// once the text is unescaped: percent-encoded (`%2D`), JSON- or C-escaped (`\u002d`, `\x2d`),
/// or wrapped over lines (raw or escaped line breaks are ignored inside a token). What is replaced
/// is the token's span in the text as given, escapes and line breaks included.
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
  bool tokens_may_match(const std::string& text) const;
  void find_tokens(const std::string& text, std::vector<TextSpan>& spans) const;
  std::string redact_tokens(const std::string& text) const;
  std::string redact_in_context(std::string text) const;

  std::vector<Rule> rules_;
  std::vector<std::string> secrets_;
};

}  // namespace vigil
