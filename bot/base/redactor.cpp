#include "bot/base/redactor.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <sstream>

#include <boost/regex.hpp>

namespace vigil {

// A rule is either a token rule (`secret_group` >= 0: the shape of a credential, looked for in the
// decoded view of the text, and the span of that group in the ORIGINAL text is replaced) or a
// context rule (`secret_group` < 0: key=value and URL passwords, run on the text as it is, with
// `replacement` as a boost format string where $1 keeps a prefix).
struct Redactor::Rule {
  boost::regex re;
  std::string replacement;
  // A match needs one of these in the text (lower case when `icase`); empty: always run the regex.
  // Most text has none of them, and a substring search is far cheaper than the regex.
  std::vector<std::string> needs_one_of;
  bool icase = false;
  int secret_group = -1;
};

namespace {

constexpr const char* kMaskFmt = "[REDACTED]";

using Span = TextSpan;

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The value of `digits` hex digits at s[at], or -1.
long hex_at(std::string_view s, std::size_t at, std::size_t digits) {
  if (at + digits > s.size()) {
    return -1;
  }
  long v = 0;
  for (std::size_t k = 0; k < digits; ++k) {
    const int h = hex_value(s[at + k]);
    if (h < 0) {
      return -1;
    }
    v = v * 16 + h;
  }
  return v;
}

bool has_escapes(std::string_view s) {
  return s.find_first_of("%\\\r\n") != std::string_view::npos;
}

// The text as a token would read once unescaped: %XX and JSON/C escapes (\uXXXX below 0x80, \xXX,
// \/ \\ \" \t) decoded, line breaks (raw, %0A/%0D, \n, \r, \u000a) dropped so a token wrapped over
// two lines is whole again. `from[i]` is the span of the source that produced text[i].
struct DecodedView {
  std::string text;
  std::vector<Span> from;
};

// Decodes the escape at s[i] (a '%' or '\\'): the ASCII character it stands for and its length, or
// a length of 0 when s[i] is no escape (or stands for a byte above 0x7F, which no token holds).
// A line break decodes to '\n'.
std::pair<char, std::size_t> decode_escape(std::string_view s, std::size_t i) {
  if (s[i] == '%') {
    const long v = hex_at(s, i + 1, 2);
    return v < 0 || v >= 0x80 ? std::pair<char, std::size_t>{0, 0}
                              : std::pair<char, std::size_t>{static_cast<char>(v), 3};
  }
  if (i + 1 >= s.size()) {
    return {0, 0};
  }
  switch (s[i + 1]) {
    case 'u': {
      const long v = hex_at(s, i + 2, 4);
      return v < 0 || v >= 0x80 ? std::pair<char, std::size_t>{0, 0}
                                : std::pair<char, std::size_t>{static_cast<char>(v), 6};
    }
    case 'x': {
      const long v = hex_at(s, i + 2, 2);
      return v < 0 || v >= 0x80 ? std::pair<char, std::size_t>{0, 0}
                                : std::pair<char, std::size_t>{static_cast<char>(v), 4};
    }
    case 'n':
    case 'r':
      return {'\n', 2};
    case 't':
      return {'\t', 2};
    case '/':
    case '\\':
    case '"':
    case '\'':
      return {s[i + 1], 2};
    default:
      return {0, 0};
  }
}

// One level of decoding; `with_spans` false keeps only the text (enough for the pre-check).
DecodedView decode_once(std::string_view s, bool with_spans) {
  DecodedView out;
  out.text.reserve(s.size());
  if (with_spans) {
    out.from.reserve(s.size());
  }
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    std::size_t len = 1;
    if (c == '%' || c == '\\') {
      const auto [decoded, used] = decode_escape(s, i);
      if (used > 0) {
        c = decoded;
        len = used;
      }
    }
    if (c != '\n' && c != '\r') {
      out.text.push_back(c);
      if (with_spans) {
        out.from.push_back(Span{i, i + len});
      }
    }
    i += len;
  }
  return out;
}

// The next level of decoding of `view` (a percent-encoded JSON escape, JSON inside a JSON
// string), its spans mapped back to the original text.
DecodedView decode_again(const DecodedView& view) {
  DecodedView next = decode_once(view.text, true);
  for (auto& span : next.from) {
    span = Span{view.from[span.begin].begin, view.from[span.end - 1].end};
  }
  return next;
}

// An ordinary word ("next", "Authorization"), not the rest of a wrapped token (which has digits or
// mixed case).
bool ordinary_word(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  const bool capital = s.front() >= 'A' && s.front() <= 'Z';
  const auto rest = s.substr(capital ? 1 : 0);
  return !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// Where a token found in `view` ends (a view index): a match that runs over a line break into an
// ordinary word is cut before the break (a token at a line's end, a word starting the next line).
std::size_t end_before_next_line_word(const DecodedView& view, TextSpan span) {
  std::size_t end = span.end;
  for (std::size_t k = end - 1; k > span.begin; --k) {
    if (view.from[k - 1].end != view.from[k].begin) {  // something was dropped here: a line break
      if (!ordinary_word(std::string_view(view.text).substr(k, end - k))) {
        break;
      }
      end = k;
    }
  }
  return end;
}

std::string lower_case(std::string_view s) {
  std::string lower(s);
  for (auto& c : lower) {
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;  // ASCII only: no locale per byte
  }
  return lower;
}

// "[A-Z0-9 ]*PRIVATE KEY-----" at s[at]: the end of it, or npos.
std::size_t pem_label_end(std::string_view s, std::size_t at) {
  constexpr std::string_view kTail = "PRIVATE KEY-----";
  std::size_t i = at;
  while (i < s.size()) {
    if (s.substr(i, kTail.size()) == kTail) {
      return i + kTail.size();
    }
    const char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) {
      return std::string_view::npos;
    }
    ++i;
  }
  return std::string_view::npos;
}

// PEM private keys, from BEGIN to END, or to the end of the text when the END line is missing
// (a truncated key). A scan rather than a regex: linear however many BEGIN lines the text holds.
void find_pem_keys(std::string_view s, std::vector<Span>& spans) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kEnd = "-----END ";
  std::size_t pos = s.find(kBegin);
  while (pos != std::string_view::npos) {
    const auto header_end = pem_label_end(s, pos + kBegin.size());
    if (header_end == std::string_view::npos) {
      pos = s.find(kBegin, pos + 1);
      continue;
    }
    std::size_t end = s.size();
    for (auto e = s.find(kEnd, header_end); e != std::string_view::npos; e = s.find(kEnd, e + 1)) {
      if (const auto footer_end = pem_label_end(s, e + kEnd.size()); footer_end != std::string_view::npos) {
        end = footer_end;
        break;
      }
    }
    spans.push_back(Span{pos, end});
    if (end == s.size()) {
      return;
    }
    pos = s.find(kBegin, end);
  }
}

// Replaces every span (merged where they overlap) of `text` with the mask.
std::string mask_spans(const std::string& text, std::vector<Span> spans) {
  if (spans.empty()) {
    return text;
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  std::size_t i = 0;
  while (i < spans.size()) {
    Span merged = spans[i];
    while (++i < spans.size() && spans[i].begin < merged.end) {
      merged.end = std::max(merged.end, spans[i].end);
    }
    out.append(text, copied, merged.begin - copied);
    out += kMaskFmt;
    copied = merged.end;
  }
  out.append(text, copied, std::string::npos);
  return out;
}

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
  // Token rules have no word boundary in front: a token glued to a word (`abcxoxb-…`, `_ghp_…`)
  // is still a token. Each needs a shape ordinary words do not have.
  auto token = [&](const char* re, boost::regex::flag_type f, std::vector<std::string> needs_one_of, int group = 0) {
    rules_.push_back(
        Rule{boost::regex(re, f), kMaskFmt, std::move(needs_one_of), (f & boost::regex::icase) != 0, group});
  };
  auto in_context = [&](const char* re, const char* replacement, boost::regex::flag_type f,
                        std::vector<std::string> needs_one_of) {
    rules_.push_back(
        Rule{boost::regex(re, f), replacement, std::move(needs_one_of), (f & boost::regex::icase) != 0, -1});
  };
  // PEM private keys are found by find_pem_keys (a scan, not a regex).
  // Slack tokens and webhook URLs.
  token(R"(xox[abeoprs]-[A-Za-z0-9-]{6,})", flags, {"xox"});
  token(R"(xapp-[0-9]+-[A-Za-z0-9-]{6,})", flags, {"xapp-"});
  token(R"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+)", flags,
        {"https://hooks.slack.com/"});
  // AWS access key ids.
  token(R"((?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16})", flags, {"AKIA", "ASIA", "AROA", "AIDA"});
  // GCP API keys and OAuth access tokens; service-account private keys are PEM.
  token(R"(AIza[0-9A-Za-z_-]{35})", flags, {"AIza"});
  token(R"(ya29\.[0-9A-Za-z_-]{20,})", flags, {"ya29."});
  // GitHub tokens.
  token(R"(gh[pousr]_[A-Za-z0-9]{30,})", flags, {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"});
  token(R"(github_pat_[A-Za-z0-9_]{20,})", flags, {"github_pat_"});
  // Anthropic / OpenAI style API keys. Glued to a word (`task-…`, `disk-…`) only with a run of 20
  // letters and digits, upper and lower case and a digit, which hyphenated words do not have.
  token(
      R"((?:\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}|sk-(?:ant-|proj-)?(?=[A-Za-z0-9_-]{0,40}?[A-Za-z0-9]{20})(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}))",
      flags, {"sk-"});
  // JWTs (Kubernetes service-account tokens among them).
  token(R"(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", flags, {"eyJ"});
  // Authorization headers: the credential after the scheme. `basic` keeps its word boundary
  // (`nonbasic`, `dibasic` are words).
  token(R"((bearer\s+)([A-Za-z0-9._~+/=-]{8,}))", icase, {"bearer"}, 2);
  token(R"(\b(basic\s+)([A-Za-z0-9+/=]{8,}))", icase, {"basic"}, 2);
  // AWS secret keys written as key=value.
  in_context(R"((aws_secret_access_key|aws_session_token|secretaccesskey)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,})",
             "$1$2[REDACTED]", icase, {"aws_secret_access_key", "aws_session_token", "secretaccesskey"});
  // user:password@ in URLs (bounded runs: linear on long text).
  in_context(R"(\b([a-z][a-z0-9+.-]{0,31}://[^/\s:@]{1,256}:)[^@\s/]{1,1024}@)", "$1[REDACTED]@", icase, {"://"});
  // password=..., token: ..., "api_key": "..." (PWD=/home/x is a working directory, not a password).
  in_context(
      R"re(((?:password|passwd|pwd(?!["']?\s*[:=]\s*["']?[/~])|secret|client_secret|token|api[_-]?key|access[_-]?key|private[_-]?key)["']?\s*[:=]\s*["']?)(?!\[REDACTED\])[^\s"',;&]{4,})re",
      "$1[REDACTED]", icase, {"password", "passwd", "pwd", "secret", "token", "api", "access", "private"});
}

Redactor::~Redactor() = default;
Redactor::Redactor(const Redactor&) = default;
Redactor& Redactor::operator=(const Redactor&) = default;

Result<void> Redactor::add_pattern(const std::string& pattern) {
  try {
    rules_.push_back(Rule{boost::regex(pattern, boost::regex::perl), kMaskFmt, {}, false, -1});
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

namespace {

// Whether `rule` may match `text` (`lower`: the text in lower case, made on first need).
bool may_match(const std::vector<std::string>& needs_one_of, bool icase, const std::string& text, std::string& lower,
               bool& lower_current) {
  if (needs_one_of.empty()) {
    return true;
  }
  if (icase && !lower_current) {
    lower = lower_case(text);
    lower_current = true;
  }
  const auto& haystack = icase ? lower : text;
  return std::any_of(needs_one_of.begin(), needs_one_of.end(),
                     [&](const std::string& literal) { return haystack.find(literal) != std::string::npos; });
}

void find_literal(const std::string& text, const std::string& literal, std::vector<Span>& spans) {
  for (auto pos = text.find(literal); pos != std::string::npos; pos = text.find(literal, pos + literal.size())) {
    spans.push_back(Span{pos, pos + literal.size()});
  }
}

}  // namespace

bool Redactor::tokens_may_match(const std::string& text) const {
  if (text.find("-----BEGIN ") != std::string::npos) {
    return true;
  }
  std::string lower;
  bool lower_current = false;
  for (const auto& rule : rules_) {
    if (rule.secret_group >= 0 && may_match(rule.needs_one_of, rule.icase, text, lower, lower_current)) {
      return true;
    }
  }
  return std::any_of(secrets_.begin(), secrets_.end(),
                     [&](const std::string& s) { return text.find(s) != std::string::npos; });
}

// Every token in `text`: PEM keys, configured secrets, and the token rules' secret groups.
void Redactor::find_tokens(const std::string& text, std::vector<Span>& spans) const {
  find_pem_keys(text, spans);
  for (const auto& secret : secrets_) {
    find_literal(text, secret, spans);
  }
  std::string lower;
  bool lower_current = false;
  for (const auto& rule : rules_) {
    if (rule.secret_group < 0 || !may_match(rule.needs_one_of, rule.icase, text, lower, lower_current)) {
      continue;
    }
    const auto group = static_cast<std::size_t>(rule.secret_group);
    for (boost::sregex_iterator it(text.begin(), text.end(), rule.re), end; it != end; ++it) {
      const auto& m = *it;
      if (m[group].matched && m.length(group) > 0) {
        const auto begin = static_cast<std::size_t>(m.position(group));
        spans.push_back(Span{begin, begin + static_cast<std::size_t>(m.length(group))});
      }
    }
  }
}

// The token pass: looked for in the text as decoded (percent, JSON and C escapes, line breaks),
// replaced where they sit in the text as it is.
std::string Redactor::redact_tokens(const std::string& text) const {
  if (!has_escapes(text)) {
    if (!tokens_may_match(text)) {
      return text;
    }
    std::vector<Span> spans;
    find_tokens(text, spans);
    return mask_spans(text, std::move(spans));
  }
  // Every level is searched, the text as it is included: decoding again can break a token that
  // a neighbour only seemed to escape (`50%Bearer`, `95%7%41Iza…`).
  std::vector<Span> spans;
  if (tokens_may_match(text)) {
    find_tokens(text, spans);
  }
  // Most text with line breaks holds no token: the first level without spans tells.
  const auto first = decode_once(text, false);
  if (!tokens_may_match(first.text) && first.text.find_first_of("%\\") == std::string::npos) {
    return mask_spans(text, std::move(spans));
  }
  DecodedView view = decode_once(text, true);
  for (int level = 1; level <= 3; ++level) {
    if (tokens_may_match(view.text)) {
      std::vector<Span> found;
      find_tokens(view.text, found);
      for (const auto& span : found) {
        const auto end = end_before_next_line_word(view, span);
        spans.push_back(Span{view.from[span.begin].begin, view.from[end - 1].end});
      }
    }
    if (level == 3 || view.text.find_first_of("%\\") == std::string::npos) {
      break;
    }
    auto next = decode_again(view);
    if (next.text == view.text) {
      break;
    }
    view = std::move(next);
  }
  return mask_spans(text, std::move(spans));
}

// The context pass (key=value, URL passwords, configured patterns) on the text as it is.
std::string Redactor::redact_in_context(std::string out) const {
  std::string lower;
  bool lower_current = false;
  for (const auto& rule : rules_) {
    if (rule.secret_group >= 0 || !may_match(rule.needs_one_of, rule.icase, out, lower, lower_current)) {
      continue;
    }
    auto replaced = boost::regex_replace(out, rule.re, rule.replacement);
    if (replaced != out) {
      out = std::move(replaced);
      lower_current = false;
    }
  }
  return out;
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    std::string::size_type pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  try {
    // Key=value and URL passwords first: masking a token that ran over a line break must not
    // take the scheme or key a context rule needs.
    out = redact_tokens(redact_in_context(out));
  } catch (const std::runtime_error&) {
    // A pathological input made the matcher give up (boost's complexity limit). Fail closed.
    return std::string(kMask);
  }
  return redact_secret_objects(out);
}

}  // namespace vigil
