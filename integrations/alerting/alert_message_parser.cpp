#include "integrations/alerting/alert_message_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>

#include "bot/base/ids.h"
#include "bot/base/utf8.h"

// Hand-written scanners, no regular expressions: every step moves forward over the text, so no
// input can make the parser backtrack or throw (a label-line regex once exceeded Boost.Regex's
// complexity bound on a 730-byte message and dropped the alert).

namespace vigil::alerting {
namespace {

constexpr std::size_t kMaxScan = 8000;  // bytes of the body read, and kept as the alert's text
constexpr std::size_t kMaxHead = 2000;  // bytes of a candidate first line
constexpr std::size_t kMaxLines = 400;  // lines of the body scanned for labels
constexpr std::size_t kMaxLabels = 32;  // labels per alert
constexpr std::size_t kMaxAlerts = 50;  // "Labels:" sections (one per alert) read
constexpr std::size_t kMaxValue = 256;  // bytes of one label value
constexpr std::size_t kMaxTitle = 300;  // bytes of a title built from an unknown format
constexpr std::size_t kMaxBlocks = 50;  // blocks read

using Labels = std::map<std::string, std::string>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim_view(std::string_view s, std::string_view chars = " \t\r\n") {
  const auto b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

// Trims whitespace and the mrkdwn around a line ("*bold*", "_it_", "`code`", "> quote").
std::string trim_markup(std::string_view s) {
  s = trim_view(s, " \t\r\n*_`>");
  return std::string(s);
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool contains_icase(std::string_view s, std::string_view needle) {
  return lower(s).find(lower(needle)) != std::string::npos;
}

// Slack's mrkdwn: "<url|label>" → label, "<https://…>" → the URL, other "<…>" (mentions, channel
// links) stay; then &lt; &gt; &amp; are decoded. One pass forward.
std::string unslack(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<') {
      const auto close = s.find_first_of("<>", i + 1);
      if (close != std::string_view::npos && s[close] == '>') {
        const auto inner = s.substr(i + 1, close - i - 1);
        const auto bar = inner.find('|');
        if (bar != std::string_view::npos) {
          out.append(inner.substr(bar + 1));
        } else if (starts_with_icase(inner, "http://") || starts_with_icase(inner, "https://") ||
                   starts_with_icase(inner, "mailto:")) {
          out.append(inner);
        } else {
          out.append(s.substr(i, close - i + 1));
        }
        i = close + 1;
        continue;
      }
    }
    if (s[i] == '&') {
      static constexpr std::array<std::pair<std::string_view, char>, 3> kEntities{
          {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}}};
      bool decoded = false;
      for (const auto& [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out.push_back(c);
          i += entity.size();
          decoded = true;
          break;
        }
      }
      if (decoded) {
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

bool label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// ---- the status line -------------------------------------------------------------------------

// What the first line of an alert says.
struct Head {
  std::string source;
  AlertStatus status = AlertStatus::Other;
  std::string event;
  std::string title;
  std::string alertname;     // when the format names it; else from the labels
  std::string number;        // PagerDuty incident number
  bool values_only = false;  // "[FIRING:1] v1 v2 (v3 v4)": Alertmanager's group title
  bool by_labels = false;    // the title is the sender's own words: the labels name the alert
};

// "[FIRING:2] …", "[FIRING:1, RESOLVED:1] …" (Grafana), "[RESOLVED] …"; "[Alerting] …", "[OK] …",
// "[No Data] …", "[Pending] …" (Grafana before unified alerting).
std::optional<Head> bracketed(std::string_view line, std::string& why) {
  if (!line.empty() && line[0] != '[') {
    // A template may put a few words first ("Integration Test [FIRING:1] SlackAlert1").
    const auto head = lower(line.substr(0, 80));
    auto at = head.find("[firing");
    if (at == std::string::npos) {
      at = head.find("[resolved");
    }
    if (at == std::string::npos) {
      return std::nullopt;
    }
    line.remove_prefix(at);
  }
  if (line.empty()) {
    return std::nullopt;
  }
  const auto close = line.find(']');
  if (close == std::string_view::npos || close > 40) {
    return std::nullopt;
  }
  const auto inner = line.substr(1, close - 1);
  const auto title = trim_markup(line.substr(close + 1));
  Head h;
  const auto word = lower(trim_view(inner.substr(0, inner.find_first_of(":,"))));
  if (word == "firing" || word == "resolved") {
    // Every part is FIRING or RESOLVED with an optional count.
    std::size_t start = 0;
    while (start <= inner.size()) {
      const auto comma = inner.find(',', start);
      const auto part =
          trim_view(inner.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      const auto colon = part.find(':');
      const auto name = lower(part.substr(0, colon));
      const auto count = colon == std::string_view::npos ? std::string_view() : part.substr(colon + 1);
      if ((name != "firing" && name != "resolved") ||
          (colon != std::string_view::npos &&
           (count.empty() ||
            !std::all_of(count.begin(), count.end(), [](unsigned char c) { return std::isdigit(c); })))) {
        return std::nullopt;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
    if (title.empty()) {
      why = "'[" + std::string(inner) + "]' without an alert after it";
      return std::nullopt;
    }
    h.source = "alertmanager";
    h.status = word == "firing" ? AlertStatus::Firing : AlertStatus::Resolved;
    h.event = word;
    h.title = title;
    h.values_only = true;  // until labels with names turn up in the body
    return h;
  }
  static constexpr std::array<std::pair<std::string_view, AlertStatus>, 4> kLegacy{{{"alerting", AlertStatus::Firing},
                                                                                    {"ok", AlertStatus::Resolved},
                                                                                    {"no data", AlertStatus::Other},
                                                                                    {"pending", AlertStatus::Other}}};
  const auto state = lower(trim_view(inner));
  for (const auto& [name, status] : kLegacy) {
    if (state == name) {
      if (title.empty()) {
        why = "'[" + std::string(inner) + "]' without a rule name after it";
        return std::nullopt;
      }
      h.source = "grafana";
      h.status = status;
      h.event = state;
      h.title = title;
      h.alertname = title;
      return h;
    }
  }
  return std::nullopt;
}

// Alertmanager's thread mode updates its parent message in place: "FIRING (2): TestAlert",
// "FIRING (2) → RESOLVED: TestAlert", "FIRING → PARTIAL RESOLVE → FIRING: HighCPU". The last state
// is the current one.
std::optional<Head> transitions(std::string_view line) {
  const auto colon = line.find(": ");
  if (colon == std::string_view::npos || colon > 200) {
    return std::nullopt;
  }
  const auto title = trim_markup(line.substr(colon + 2));
  std::string states(lower(line.substr(0, colon)));
  std::string last;
  std::size_t start = 0;
  while (true) {
    const auto arrow = states.find("\xE2\x86\x92", start);  // →
    auto part = std::string(trim_view(
        std::string_view(states).substr(start, arrow == std::string::npos ? std::string::npos : arrow - start)));
    if (const auto paren = part.find(" ("); paren != std::string::npos && !part.empty() && part.back() == ')') {
      const auto count = std::string_view(part).substr(paren + 2, part.size() - paren - 3);
      if (count.empty() || !std::all_of(count.begin(), count.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return std::nullopt;
      }
      part.erase(paren);
    }
    if (part != "firing" && part != "resolved" && part != "partial resolve") {
      return std::nullopt;
    }
    last = part;
    if (arrow == std::string::npos) {
      break;
    }
    start = arrow + 3;
  }
  if (title.empty()) {
    return std::nullopt;
  }
  Head h;
  h.source = "alertmanager";
  h.status = last == "firing" ? AlertStatus::Firing : last == "resolved" ? AlertStatus::Resolved : AlertStatus::Other;
  h.event = last;
  h.title = title;
  h.values_only = true;
  return h;
}

// Leading Slack emoji codes (":red_circle: Triggered …").
std::string_view skip_emoji(std::string_view s) {
  while (s.size() > 2 && s[0] == ':') {
    const auto end = s.find(':', 1);
    if (end == std::string_view::npos || end > 64 || s.substr(1, end - 1).find(' ') != std::string_view::npos) {
      break;
    }
    s = trim_view(s.substr(end + 1), " \t");
  }
  return s;
}

// A word that must be followed by a space, ':', '#' or the end.
bool word_at_start(std::string_view s, std::string_view word) {
  return starts_with_icase(s, word) && (s.size() == word.size() || s[word.size()] == ' ' || s[word.size()] == ':' ||
                                        s[word.size()] == '#' || s[word.size()] == '\t');
}

// PagerDuty's Slack app, as its guides describe the notifications (no public example exists):
// "Triggered #1234: <title>", "Acknowledged #1234 …", "Resolved #1234 …", "Escalated: Incident …".
// Taken only from a bot named PagerDuty or when an incident number is given.
std::optional<Head> pagerduty(std::string_view line, std::string_view bot_name) {
  static constexpr std::array<std::pair<std::string_view, AlertStatus>, 6> kStates{
      {{"triggered", AlertStatus::Firing},
       {"acknowledged", AlertStatus::Other},
       {"unacknowledged", AlertStatus::Other},
       {"resolved", AlertStatus::Resolved},
       {"reassigned", AlertStatus::Other},
       {"escalated", AlertStatus::Other}}};
  line = skip_emoji(line);
  for (const auto& [word, status] : kStates) {
    if (!word_at_start(line, word)) {
      continue;
    }
    auto rest = trim_view(line.substr(word.size()), " \t:");
    std::string number;
    if (!rest.empty() && rest[0] == '#') {
      rest.remove_prefix(1);
      while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0])) && number.size() < 12) {
        number.push_back(rest[0]);
        rest.remove_prefix(1);
      }
      if (number.empty()) {
        return std::nullopt;
      }
    }
    const auto title = trim_markup(trim_view(rest, " \t:"));
    if (!contains_icase(bot_name, "pagerduty") && number.empty()) {
      return std::nullopt;
    }
    if (title.empty() && number.empty()) {
      return std::nullopt;
    }
    Head h;
    h.source = "pagerduty";
    h.status = status;
    h.event = "incident." + std::string(word);
    h.title = title.empty() ? "#" + number : title;
    h.alertname = h.title;
    h.number = number;
    return h;
  }
  return std::nullopt;
}

// OpsGenie's Slack app, as described ("[Opsgenie] Alert created: <message>", "Alert closed: …").
std::optional<Head> opsgenie(std::string_view line) {
  line = skip_emoji(line);
  if (starts_with_icase(line, "[opsgenie]")) {
    line = trim_view(line.substr(10), " \t");
  }
  if (!word_at_start(line, "alert")) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, AlertStatus>, 6> kStates{
      {{"created", AlertStatus::Firing},
       {"closed", AlertStatus::Resolved},
       {"acknowledged", AlertStatus::Other},
       {"unacknowledged", AlertStatus::Other},
       {"escalated", AlertStatus::Other},
       {"assigned", AlertStatus::Other}}};
  const auto rest = trim_view(line.substr(5), " \t");
  for (const auto& [word, status] : kStates) {
    if (!word_at_start(rest, word)) {
      continue;
    }
    const auto title = trim_markup(trim_view(rest.substr(word.size()), " \t:"));
    if (title.empty()) {
      return std::nullopt;
    }
    Head h;
    h.source = "opsgenie";
    h.status = status;
    h.event = std::string(word);
    h.title = title;
    h.alertname = title;
    return h;
  }
  return std::nullopt;
}

// Grafana's default message body under a custom title ("2 firing, 0 resolved"): its "**Firing**"
// and "**Resolved**" sections say the status; the labels say which alert.
std::optional<Head> grafana_body(std::string_view body, std::string_view title) {
  bool firing = false;
  bool resolved = false;
  std::size_t start = 0;
  for (std::size_t n = 0; start < body.size() && n < kMaxLines; ++n) {
    const auto nl = body.find('\n', start);
    const auto line = trim_view(body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    start = nl == std::string_view::npos ? body.size() : nl + 1;
    firing = firing || line == "**Firing**";
    resolved = resolved || line == "**Resolved**";
  }
  if (!firing && !resolved) {
    return std::nullopt;
  }
  Head h;
  h.source = "grafana";
  h.status = firing ? AlertStatus::Firing : AlertStatus::Resolved;
  h.event = firing ? "firing" : "resolved";
  h.title = trim_markup(title);
  h.by_labels = true;
  return h;
}

// ---- labels in the body ----------------------------------------------------------------------

enum class Section { None, Labels, Annotations };

// "Labels:", "*Labels:*", "Annotations:" … alone on a line.
std::optional<Section> section_header(std::string_view line) {
  const auto word = lower(trim_view(line, " \t\r\n*_`:"));
  if (word == "labels") {
    return Section::Labels;
  }
  if (word == "annotations") {
    return Section::Annotations;
  }
  // Grafana's "**Firing**" / "**Resolved**" start the next list of alerts.
  if (word == "firing" || word == "resolved") {
    return Section::None;
  }
  return std::nullopt;
}

// A label written out with its name: "• *namespace:* `shop`", "- pod: x", "* severity: critical"
// (Slack templates), " - namespace = shop" (Alertmanager's and Grafana's text lists).
std::optional<std::pair<std::string, std::string>> key_value(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
    ++i;
  }
  std::string_view rest = line.substr(i);
  if (rest.substr(0, 3) == "\xE2\x80\xA2") {  // •
    rest.remove_prefix(3);
  } else if (!rest.empty() && (rest[0] == '-' || rest[0] == '*') && rest.size() > 1 &&
             (rest[1] == ' ' || rest[1] == '\t')) {
    rest.remove_prefix(1);
  } else {
    return std::nullopt;
  }
  if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) {
    return std::nullopt;
  }
  rest = trim_view(rest, " \t");
  const bool starred = !rest.empty() && rest[0] == '*';
  if (starred) {
    rest.remove_prefix(1);
  }
  std::size_t k = 0;
  while (k < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[k])) || rest[k] == '_')) {
    ++k;
  }
  const auto key = rest.substr(0, k);
  if (!label_name(key)) {
    return std::nullopt;
  }
  rest.remove_prefix(k);
  if (starred && !rest.empty() && rest[0] == '*') {
    rest.remove_prefix(1);
  }
  rest = trim_view(rest, " \t");
  if (rest.empty() || (rest[0] != ':' && rest[0] != '=')) {
    return std::nullopt;
  }
  rest.remove_prefix(1);
  auto value = trim_view(rest, " \t\r*");
  if (!value.empty() && value.front() == '`') {
    value.remove_prefix(1);
  }
  if (!value.empty() && value.back() == '`') {
    value.remove_suffix(1);
  }
  value = trim_view(value, " \t");
  if (value.empty() || value.size() > kMaxValue || value.find('`') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(key), std::string(value));
}

struct LabelScan {
  std::vector<Labels> alerts;  // one set per alert the message lists
  Labels annotations;
  bool any() const { return !alerts.empty() || !annotations.empty(); }
};

// Named labels, one set per alert: a "Labels:" header starts the next alert's set, and so does a
// name seen again in the set being filled (templates that list each alert's labels one after the
// other without a header). Annotations go apart.
void scan_labels(std::string_view body, LabelScan& scan) {
  Section section = Section::None;
  bool start_new = true;
  std::size_t start = 0;
  for (std::size_t n = 0; start <= body.size() && n < kMaxLines; ++n) {
    const auto nl = body.find('\n', start);
    const auto line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? body.size() + 1 : nl + 1;
    if (const auto header = section_header(line)) {
      section = *header;
      start_new = start_new || section == Section::Labels;
      continue;
    }
    const auto kv = key_value(line);
    if (!kv) {
      continue;
    }
    if (section == Section::Annotations) {
      if (scan.annotations.size() < kMaxLabels) {
        scan.annotations.emplace(kv->first, kv->second);
      }
      continue;
    }
    if (start_new || scan.alerts.empty() || scan.alerts.back().count(kv->first)) {
      if (scan.alerts.size() >= kMaxAlerts) {
        break;
      }
      scan.alerts.emplace_back();
      start_new = false;
    }
    if (scan.alerts.back().size() < kMaxLabels) {
      scan.alerts.back().emplace(kv->first, kv->second);
    }
  }
}

// The labels every alert of the message shares; the names whose values differ go to `differing`.
Labels common_labels(const std::vector<Labels>& alerts, std::vector<std::string>& differing) {
  Labels out;
  std::set<std::string> names;
  for (const auto& a : alerts) {
    for (const auto& [k, v] : a) {
      names.insert(k);
    }
  }
  differing.clear();
  for (const auto& name : names) {
    std::optional<std::string> value;
    bool same = true;
    for (const auto& a : alerts) {
      const auto it = a.find(name);
      if (it == a.end() || (value && *value != it->second)) {
        same = false;
        break;
      }
      value = it->second;
    }
    if (same && value) {
      out.emplace(name, *value);
    } else {
      differing.push_back(name);
    }
  }
  return out;
}

// "…/#/alerts?receiver=team-x%20slack" → "team-x slack".
std::string receiver_of(std::string_view link) {
  const auto at = link.find("receiver=");
  if (at == std::string_view::npos) {
    return {};
  }
  auto value = link.substr(at + 9);
  value = value.substr(0, value.find('&'));
  std::string out;
  for (std::size_t i = 0; i < value.size() && out.size() < 256; ++i) {
    if (value[i] == '%' && i + 2 < value.size() && std::isxdigit(static_cast<unsigned char>(value[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(value[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(value.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(value[i] == '+' ? ' ' : value[i]);
    }
  }
  // A receiver name is printable text; anything else (a broken escape) is dropped.
  const bool printable = std::all_of(out.begin(), out.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  return printable ? out : std::string();
}

std::string key_of(const std::string& source, const std::string& title) {
  return source + "-" + sha256_hex(source + "\n" + lower(title)).substr(0, 16);
}

// The lines that may say what happened, in the order alert bots put them: the first line of each
// part first, then the next two lines of each (a custom template may open with a count).
std::vector<std::string> head_candidates(const AlertMessage& m) {
  std::vector<std::string_view> parts;
  for (const auto& a : m.attachments) {
    for (const auto* s : {&a.title, &a.pretext, &a.fallback, &a.text}) {
      parts.push_back(*s);
    }
  }
  parts.push_back(m.text);
  for (std::size_t i = 0; i < m.block_texts.size() && i < 5; ++i) {
    parts.push_back(m.block_texts[i]);
  }
  std::vector<std::string> out;
  for (int line_no = 0; line_no < 3; ++line_no) {
    for (auto& part : parts) {
      std::string_view line;
      do {  // the next line that is not blank
        const auto nl = part.find('\n');
        line = part.substr(0, nl);
        part = nl == std::string_view::npos ? std::string_view() : part.substr(nl + 1);
      } while (trim_view(line).empty() && !part.empty());
      auto candidate = trim_markup(unslack(utf8_prefix(line, kMaxHead)));
      if (!candidate.empty() && out.size() < 96) {
        out.push_back(std::move(candidate));
      }
    }
  }
  return out;
}

std::string body_of(const AlertMessage& m) {
  std::string body = m.text;
  const auto append = [&](const std::string& s) {
    if (!s.empty() && body.size() < kMaxScan) {
      body += (body.empty() ? "" : "\n") + s;
    }
  };
  for (const auto& a : m.attachments) {
    append(a.pretext);
    append(a.text.empty() ? a.fallback : a.text);
    for (const auto& f : a.fields) {
      append(f.title + ": " + f.value);
    }
  }
  for (std::size_t i = 0; i < m.block_texts.size() && i < kMaxBlocks; ++i) {
    append(m.block_texts[i]);
  }
  return unslack(utf8_prefix(body, kMaxScan));
}

// The head of a message that says it is an alert: its first status line, or Grafana's body. `why_not`
// says why a line that looked like a status line was refused.
std::optional<Head> alert_head(const AlertMessage& m, const std::string& body, std::string& why_not) {
  std::optional<Head> head;
  for (const auto& line : head_candidates(m)) {
    if ((head = bracketed(line, why_not)) || (head = transitions(line)) || (head = pagerduty(line, m.bot_name)) ||
        (head = opsgenie(line))) {
      break;
    }
  }
  if (!head) {
    head =
        grafana_body(body, m.attachments.empty() ? std::string_view() : std::string_view(m.attachments.front().title));
  }
  return head;
}

// The head of a message from a channel's alert source without a status line: one firing alert named
// by its first line; none when the message has no text.
std::optional<Head> assumed_head(const AlertMessage& m) {
  const auto candidates = head_candidates(m);
  if (candidates.empty()) {
    return std::nullopt;
  }
  Head h;
  h.source = m.bot_name.empty() ? "slack" : lower(utf8_prefix(m.bot_name, 64));
  h.status = AlertStatus::Firing;
  h.event = "message";
  h.title = utf8_prefix(candidates.front(), kMaxTitle);
  h.alertname = h.title;
  return h;
}

// What the attachments add: the first title link as the url, Grafana named in a footer as the source,
// and the labels of fields titled like a label name (returned: the message's, not one alert's).
Labels read_attachments(const AlertMessage& m, AlertNotification& n) {
  Labels field_labels;
  for (const auto& a : m.attachments) {
    for (const auto& f : a.fields) {
      const auto name = trim_markup(f.title);
      const auto value = trim_markup(unslack(f.value));
      if (label_name(name) && !value.empty() && value.size() <= kMaxValue && field_labels.size() < kMaxLabels) {
        field_labels.emplace(name, value);
      }
    }
    if (n.url.empty() && !a.title_link.empty()) {
      n.url = utf8_prefix(a.title_link, 2000);
    }
    if (n.source == "alertmanager" && starts_with_icase(trim_view(a.footer), "grafana")) {
      n.source = "grafana";
    }
  }
  return field_labels;
}

// The labels every alert of the body shares, then the field labels none of them differs on; the
// annotations; and, for a title of label values only, the receiver named in the link.
void settle_labels(AlertNotification& n, const LabelScan& scan, const Labels& field_labels, const Head& head) {
  n.labels = common_labels(scan.alerts, n.differing_labels);
  for (const auto& [k, v] : field_labels) {
    if (n.labels.size() < kMaxLabels &&
        std::find(n.differing_labels.begin(), n.differing_labels.end(), k) == n.differing_labels.end()) {
      n.labels.emplace(k, v);
    }
  }
  n.annotations = scan.annotations;
  n.labels_without_keys = head.values_only && !scan.any() && field_labels.empty();
  if (n.labels_without_keys) {
    n.receiver = receiver_of(n.url);
  }
}

// The alert name (a label first, then the head's) and the severity label.
void name_alert(AlertNotification& n, const Head& head) {
  if (const auto it = n.labels.find("alertname"); it != n.labels.end()) {
    n.alertname = it->second;
  } else if (!head.alertname.empty()) {
    n.alertname = head.alertname;
  } else if (head.values_only) {
    // Alertmanager's default title starts with the group's label values, the alert name first
    // when the route groups by it: good enough to pick a runbook, never used as a parameter.
    n.alertname = n.title.substr(0, n.title.find_first_of(" ("));
  }
  if (!n.alertname.empty()) {
    n.labels["alertname"] = n.alertname;
  }
  if (const auto it = n.labels.find("severity"); it != n.labels.end()) {
    n.severity = lower(it->second);
  }
}

// What makes two messages the same alert: the source's own number, the shared labels, or the title.
std::string fingerprint_of(const AlertNotification& n, const Head& head) {
  if (!head.number.empty()) {
    return n.source + "-" + head.number;
  }
  if (head.by_labels && !n.labels.empty()) {
    // A title of the sender's own words may count alerts ("2 firing"): the shared labels are the key.
    std::string key = "labels";
    for (const auto& [k, v] : n.labels) {
      key += "\n" + k + "=" + v;
    }
    return key_of(n.source, key);
  }
  return key_of(n.source, n.title);
}

}  // namespace

AlertMessage alert_message_of(const std::string& bot_name, const slack::MessageContent& content) {
  AlertMessage am;
  am.bot_name = bot_name;
  am.text = content.text;
  for (const auto& a : content.attachments) {
    AlertMessage::Attachment att{a.title, a.title_link, a.text, a.fallback, a.pretext, a.footer, {}};
    for (const auto& [title, value] : a.fields) {
      att.fields.push_back({title, value});
    }
    am.attachments.push_back(std::move(att));
  }
  am.block_texts = content.blocks;
  return am;
}

std::variant<AlertNotification, NotAnAlert> parse_alert_message(const AlertMessage& m, bool assume_alert) {
  std::string why_not;
  const auto body = body_of(m);
  auto head = alert_head(m, body, why_not);
  if (!head) {
    if (!assume_alert) {
      return NotAnAlert{why_not.empty() ? "no alert status line ([FIRING], Triggered, Alert created …)" : why_not};
    }
    head = assumed_head(m);
    if (!head) {
      return NotAnAlert{"an alert source's message without text"};
    }
  }

  AlertNotification n;
  n.source = head->source;
  n.status = head->status;
  n.event = head->event;
  n.title = head->title;
  n.text = body;

  LabelScan scan;
  scan_labels(body, scan);
  const Labels field_labels = read_attachments(m, n);
  if (n.source == "alertmanager" && contains_icase(m.bot_name, "grafana")) {
    n.source = "grafana";
  }
  settle_labels(n, scan, field_labels, *head);
  name_alert(n, *head);
  n.fingerprint = fingerprint_of(n, *head);
  if (n.title.empty()) {
    n.title = n.alertname;
  }
  return n;
}

}  // namespace vigil::alerting
