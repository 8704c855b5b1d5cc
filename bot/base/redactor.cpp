#include "bot/base/redactor.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <boost/regex.hpp>

namespace vigil {

struct Redactor::Rule {
  boost::regex re;
  std::string replacement;  // boost format string: $1 keeps a prefix
  // A match needs one of these in the text (lower case when `icase`); empty: always run the regex.
  // Most text has none of them, and a substring search is far cheaper than the regex.
  std::vector<std::string> needs_one_of;
  bool icase = false;
};

namespace {

constexpr const char* kMaskFmt = "[REDACTED]";

// Kubernetes Secret objects: every value under data:/stringData: is replaced, in YAML and JSON.
std::string redact_secret_objects(const std::string& text) {
  const bool yaml_secret = text.find("kind: Secret") != std::string::npos;
  const bool json_secret =
      text.find("\"kind\": \"Secret\"") != std::string::npos || text.find("\"kind\":\"Secret\"") != std::string::npos;
  std::string out = text;
  if (json_secret) {
    static const boost::regex json_data(R"re(("(?:data|stringData)"\s*:\s*\{)([^{}]*)(\}))re");
    static const boost::regex json_value(R"re(("[^"\\]*"\s*:\s*)"(?:[^"\\]|\\.)*")re");
    std::string result;
    auto begin = out.cbegin();
    boost::smatch m;
    try {
      while (boost::regex_search(begin, out.cend(), m, json_data)) {
        result.append(begin, m[0].first);
        result += m[1].str();
        result += boost::regex_replace(m[2].str(), json_value, std::string("$1\"") + kMaskFmt + "\"");
        result += m[3].str();
        begin = m[0].second;
      }
    } catch (const std::runtime_error&) {
      return kMaskFmt;  // the matcher gave up on a pathological input: fail closed
    }
    result.append(begin, out.cend());
    out = std::move(result);
  }
  if (yaml_secret) {
    std::istringstream in(out);
    std::string line;
    std::string result;
    int block_indent = -1;  // indentation of the data:/stringData: key while inside its block
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(' ');
      const int indent = first == std::string::npos ? -1 : static_cast<int>(first);
      if (block_indent >= 0) {
        if (indent > block_indent) {
          const auto colon = line.find(':', first);
          if (colon != std::string::npos && colon + 1 < line.size()) {
            line = line.substr(0, colon + 1) + " " + kMaskFmt;
          }
          result += line + "\n";
          continue;
        }
        if (indent >= 0) {
          block_indent = -1;
        }
      }
      if (indent >= 0) {
        const std::string_view rest = std::string_view(line).substr(first);
        if (rest == "data:" || rest == "stringData:") {
          block_indent = indent;
        }
      }
      result += line + "\n";
    }
    if (!out.empty() && out.back() != '\n' && !result.empty()) {
      result.pop_back();
    }
    out = std::move(result);
  }
  return out;
}

}  // namespace

Redactor::Redactor() {
  const auto flags = boost::regex::perl;
  const auto icase = boost::regex::perl | boost::regex::icase;
  auto add = [&](const char* re, const char* replacement, boost::regex::flag_type f,
                 std::vector<std::string> needs_one_of) {
    const bool icase = (f & boost::regex::icase) != 0;
    rules_.push_back(Rule{boost::regex(re, f), replacement, std::move(needs_one_of), icase});
  };
  // PEM private keys (also a truncated one without its END line).
  add(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*\z))", kMaskFmt,
      flags | boost::regex::mod_s, {"-----BEGIN "});
  // Slack tokens and webhook URLs.
  add(R"(\bxox[abeoprs]-[A-Za-z0-9-]{6,})", kMaskFmt, flags, {"xox"});
  add(R"(\bxapp-[0-9]+-[A-Za-z0-9-]{6,})", kMaskFmt, flags, {"xapp-"});
  add(R"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+)", kMaskFmt, flags,
      {"https://hooks.slack.com/"});
  // AWS access key ids and secret keys written as key=value.
  add(R"(\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b)", kMaskFmt, flags, {"AKIA", "ASIA", "AROA", "AIDA"});
  add(R"((aws_secret_access_key|aws_session_token|secretaccesskey)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,})",
      "$1$2[REDACTED]", icase, {"aws_secret_access_key", "aws_session_token", "secretaccesskey"});
  // GCP API keys and OAuth access tokens; service-account private keys are PEM (above).
  add(R"(\bAIza[0-9A-Za-z_-]{35}\b)", kMaskFmt, flags, {"AIza"});
  add(R"(\bya29\.[0-9A-Za-z_-]{20,})", kMaskFmt, flags, {"ya29."});
  // GitHub tokens.
  add(R"(\bgh[pousr]_[A-Za-z0-9]{30,})", kMaskFmt, flags, {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"});
  add(R"(\bgithub_pat_[A-Za-z0-9_]{20,})", kMaskFmt, flags, {"github_pat_"});
  // Anthropic / OpenAI style API keys.
  add(R"(\bsk-(?:ant-)?[A-Za-z0-9_-]{20,})", kMaskFmt, flags, {"sk-"});
  // JWTs (Kubernetes service-account tokens among them).
  add(R"(\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", kMaskFmt, flags, {"eyJ"});
  // Authorization headers.
  add(R"(\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,})", "$1[REDACTED]", icase, {"bearer"});
  add(R"(\b(basic\s+)[A-Za-z0-9+/=]{8,})", "$1[REDACTED]", icase, {"basic"});
  // user:password@ in URLs.
  add(R"(\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@)", "$1[REDACTED]@", icase, {"://"});
  // password=..., token: ..., "api_key": "..."
  add(R"re(((?:password|passwd|pwd|secret|client_secret|token|api[_-]?key|access[_-]?key|private[_-]?key)["']?\s*[:=]\s*["']?)(?!\[REDACTED\])[^\s"',;&]{4,})re",
      "$1[REDACTED]", icase, {"password", "passwd", "pwd", "secret", "token", "api", "access", "private"});
}

Redactor::~Redactor() = default;
Redactor::Redactor(const Redactor&) = default;
Redactor& Redactor::operator=(const Redactor&) = default;

Result<void> Redactor::add_pattern(const std::string& pattern) {
  try {
    rules_.push_back(Rule{boost::regex(pattern, boost::regex::perl), kMaskFmt, {}, false});
  } catch (const boost::regex_error& e) {
    return make_error(Errc::InvalidConfig, "invalid redaction pattern '" + pattern + "': " + e.what());
  }
  return {};
}

void Redactor::add_secret(std::string value) {
  if (value.size() < 6) {
    return;
  }
  if (std::find(secrets_.begin(), secrets_.end(), value) == secrets_.end()) {
    secrets_.push_back(std::move(value));
  }
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::string lower;  // `out` in lower case, for the icase rules' literals; refreshed after a change
  bool lower_current = false;
  auto may_match = [&](const Rule& rule) {
    if (rule.needs_one_of.empty()) {
      return true;
    }
    if (rule.icase && !lower_current) {
      lower = out;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      lower_current = true;
    }
    const auto& haystack = rule.icase ? lower : out;
    return std::any_of(rule.needs_one_of.begin(), rule.needs_one_of.end(),
                       [&](const std::string& literal) { return haystack.find(literal) != std::string::npos; });
  };
  for (const auto& secret : secrets_) {
    std::string::size_type pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  for (const auto& rule : rules_) {
    if (!may_match(rule)) {
      continue;
    }
    try {
      auto replaced = boost::regex_replace(out, rule.re, rule.replacement);
      if (replaced != out) {
        out = std::move(replaced);
        lower_current = false;
      }
    } catch (const std::runtime_error&) {
      // A pathological input made the matcher give up (boost's complexity limit). Fail closed.
      return std::string(kMask);
    }
  }
  return redact_secret_objects(out);
}

}  // namespace vigil
