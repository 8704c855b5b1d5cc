#include "integrations/alerting/alert_message_parser.h"

#include <algorithm>
#include <cctype>

#include <boost/regex.hpp>

#include "bot/base/ids.h"
#include "bot/base/utf8.h"

namespace vigil::alerting {
namespace {

constexpr std::size_t kMaxScan = 8000;
constexpr std::size_t kMaxLabels = 32;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n*_`>");
  if (b == std::string::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t\r\n*_`");
  return s.substr(b, e - b + 1);
}

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return trim(nl == std::string::npos ? s : s.substr(0, nl));
}

// Slack escapes &, <, > and wraps links as <url|label>.
std::string unslack(std::string s) {
  static const boost::regex link(R"(<([^|>]+)\|([^>]+)>)");
  static const boost::regex bare(R"(<((?:https?|mailto):[^>]+)>)");
  s = boost::regex_replace(s, link, "$2");
  s = boost::regex_replace(s, bare, "$1");
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    std::string::size_type pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
  }
  return s;
}

std::string key_of(const std::string& source, const std::string& title) {
  return source + "-" + sha256_hex(source + "\n" + lower(title)).substr(0, 16);
}

}  // namespace

std::optional<AlertNotification> parse_alert_message(const AlertMessage& m, bool assume_alert) {
  std::string head;  // the line that says what happened
  std::string body;
  for (const auto& a : m.attachments) {
    if (head.empty()) {
      head = !a.title.empty() ? a.title : !a.pretext.empty() ? a.pretext : first_line(a.fallback);
    }
    body += (body.empty() ? "" : "\n") + (a.text.empty() ? a.fallback : a.text);
  }
  if (head.empty()) {
    head = first_line(m.text);
  }
  if (!m.text.empty()) {
    body = m.text + (body.empty() ? "" : "\n" + body);
  }
  head = trim(unslack(utf8_prefix(head, kMaxScan)));
  body = unslack(utf8_prefix(body, kMaxScan));
  const auto bot = lower(m.bot_name);

  AlertNotification n;
  n.text = body;
  boost::smatch match;
  static const boost::regex am(R"(^\[(FIRING|RESOLVED)(?::(\d+))?\]\s*(.+)$)", boost::regex::icase);
  static const boost::regex gf_legacy(R"(^\[(Alerting|OK|No Data|Pending)\]\s*(.+)$)", boost::regex::icase);
  static const boost::regex pd(R"(^(Triggered|Acknowledged|Resolved|Reassigned|Escalated)\s*:?\s*#?(\d+)?\s*:?\s*(.+)$)",
                               boost::regex::icase);
  static const boost::regex og(R"(^(?:\[Opsgenie\]\s*)?Alert (created|closed|acknowledged|escalated)\s*:?\s*(.+)$)",
                               boost::regex::icase);
  static const boost::regex alertname_label(R"(alertname\*?\s*[:=]\s*\*?\s*`?([A-Za-z0-9_:.\-]+)`?)");
  static const boost::regex severity_label(R"(severity\*?\s*[:=]\s*\*?\s*`?([A-Za-z0-9_-]+))");
  if (boost::regex_match(head, match, am)) {
    const auto status = lower(match[1].str());
    n.source = bot.find("grafana") != std::string::npos ? "grafana" : "alertmanager";
    n.status = status == "firing" ? AlertStatus::Firing : AlertStatus::Resolved;
    n.event = status;
    n.title = trim(match[3].str());
    // "[FIRING:2] HighErrorRate (api prod)": the name is the first word.
    n.alertname = n.title.substr(0, n.title.find_first_of(" ("));
  } else if (boost::regex_match(head, match, gf_legacy)) {
    const auto state = lower(match[1].str());
    n.source = "grafana";
    n.status = state == "alerting" ? AlertStatus::Firing : state == "ok" ? AlertStatus::Resolved : AlertStatus::Other;
    n.event = state;
    n.title = trim(match[2].str());
    n.alertname = n.title;
  } else if (boost::regex_match(head, match, pd) && (bot.find("pagerduty") != std::string::npos || match[2].matched)) {
    const auto what = lower(match[1].str());
    n.source = "pagerduty";
    n.status = what == "triggered" ? AlertStatus::Firing : what == "resolved" ? AlertStatus::Resolved : AlertStatus::Other;
    n.event = "incident." + what;
    n.title = trim(match[3].str());
    n.alertname = n.title;
    if (match[2].matched) {
      n.labels["incident_number"] = match[2].str();
      n.fingerprint = "pagerduty-" + match[2].str();
    }
  } else if (boost::regex_match(head, match, og)) {
    const auto what = lower(match[1].str());
    n.source = "opsgenie";
    n.status = what == "created" ? AlertStatus::Firing : what == "closed" ? AlertStatus::Resolved : AlertStatus::Other;
    n.event = what;
    n.title = trim(match[2].str());
    n.alertname = n.title;
  } else if (assume_alert && !head.empty()) {
    n.source = bot.empty() ? "slack" : bot;
    n.status = AlertStatus::Firing;
    n.event = "message";
    n.title = utf8_prefix(head, 300);
    n.alertname = n.title;
  } else {
    return std::nullopt;
  }
  if (boost::regex_search(body, match, alertname_label)) {
    n.alertname = trim(match[1].str());
  }
  if (boost::regex_search(body, match, severity_label)) {
    n.severity = lower(match[1].str());
  }
  // The common Alertmanager Slack template lists the labels as "• *name:* `value`" lines; they
  // carry what skills need (namespace, pod, deployment …).
  static const boost::regex label_line(R"(^[ \t]*(?:•|[-*])[ \t]+\*?([A-Za-z_][A-Za-z0-9_]{0,62})\*?[ \t]*:[ \t]*\*?[ \t]*`?([^`\r\n]{1,256}?)`?[ \t]*$)");
  for (boost::sregex_iterator it(body.begin(), body.end(), label_line), end; it != end && n.labels.size() < kMaxLabels; ++it) {
    const auto value = trim((*it)[2].str());
    if (!value.empty()) {
      n.labels.emplace((*it)[1].str(), value);
    }
  }
  if (!n.alertname.empty()) {
    n.labels["alertname"] = n.alertname;
  }
  if (n.fingerprint.empty()) {
    n.fingerprint = key_of(n.source, n.title);
  }
  return n;
}

}  // namespace vigil::alerting
