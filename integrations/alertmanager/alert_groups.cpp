#include "integrations/alertmanager/alert_groups.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"
#include "bot/base/utf8.h"
#include "integrations/http/url.h"

namespace vigil::alertmanager {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxGroups = 2000;
constexpr std::size_t kMaxAlertsPerGroup = 500;
constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kMaxValue = 1024;

LabelSet label_set(const json& j) {
  LabelSet out;
  if (!j.is_object()) {
    return out;
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_string() && out.size() < kMaxLabels) {
      out.emplace(utf8_prefix(k, 128), utf8_prefix(v.get_ref<const std::string&>(), kMaxValue));
    }
  }
  return out;
}

// The label names of `labels` in the order Alertmanager's templates list them (KV.SortedPairs):
// alertname first, the rest by name.
std::vector<std::string> sorted_names(const LabelSet& labels) {
  std::vector<std::string> names;
  for (const auto& [k, v] : labels) {
    if (k != "alertname") {
      names.push_back(k);  // a std::map iterates in name order already
    }
  }
  if (labels.count("alertname")) {
    names.insert(names.begin(), "alertname");
  }
  return names;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

Result<std::vector<AlertGroup>> parse_alert_groups(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_array()) {
    return make_error(Errc::Protocol, "Alertmanager's /api/v2/alerts/groups answer is not a JSON list");
  }
  std::vector<AlertGroup> out;
  for (const auto& g : j) {
    if (!g.is_object() || out.size() >= kMaxGroups) {
      continue;
    }
    AlertGroup group;
    group.labels = label_set(g.value("labels", json::object()));
    if (const auto r = g.find("receiver"); r != g.end() && r->is_object()) {
      if (const auto n = r->find("name"); n != r->end() && n->is_string()) {
        group.receiver = utf8_prefix(n->get_ref<const std::string&>(), 256);
      }
    }
    if (const auto alerts = g.find("alerts"); alerts != g.end() && alerts->is_array()) {
      for (const auto& a : *alerts) {
        if (a.is_object() && group.alerts.size() < kMaxAlertsPerGroup) {
          group.alerts.push_back(label_set(a.value("labels", json::object())));
        }
      }
    }
    out.push_back(std::move(group));
  }
  return out;
}

LabelSet common_labels(const AlertGroup& group) {
  if (group.alerts.empty()) {
    return {};
  }
  LabelSet out = group.alerts.front();
  for (std::size_t i = 1; i < group.alerts.size(); ++i) {
    for (auto it = out.begin(); it != out.end();) {
      const auto other = group.alerts[i].find(it->first);
      it = other == group.alerts[i].end() || other->second != it->second ? out.erase(it) : std::next(it);
    }
  }
  return out;
}

std::string default_title(const AlertGroup& group) {
  // {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}
  // ({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}
  std::string out;
  for (const auto& name : sorted_names(group.labels)) {
    out += (out.empty() ? "" : " ") + group.labels.at(name);
  }
  const auto common = common_labels(group);
  if (common.size() > group.labels.size()) {
    LabelSet rest;
    for (const auto& [k, v] : common) {
      if (!group.labels.count(k)) {
        rest.emplace(k, v);
      }
    }
    std::string values;
    for (const auto& name : sorted_names(rest)) {
      values += (values.empty() ? "" : " ") + rest.at(name);
    }
    out += " (" + values + ")";
  }
  return trim(out);
}

TitleMatch match_default_title(const std::vector<AlertGroup>& groups, const std::string& receiver,
                               const std::string& title) {
  TitleMatch m;
  const auto wanted = trim(title);
  const AlertGroup* found = nullptr;
  int matches = 0;
  int looked_at = 0;
  for (const auto& g : groups) {
    if (!receiver.empty() && g.receiver != receiver) {
      continue;
    }
    ++looked_at;
    if (default_title(g) == wanted) {
      found = &g;
      ++matches;
    }
  }
  if (matches != 1) {
    m.why_not = matches == 0 ? "none of the " + std::to_string(looked_at) + " active alert groups" +
                                   (receiver.empty() ? std::string() : " of receiver " + receiver) +
                                   " has this title (resolved or silenced meanwhile?)"
                             : std::to_string(matches) + " alert groups have this title";
    return m;
  }
  m.found = true;
  m.labels = common_labels(*found);
  std::set<std::string> names;
  for (const auto& a : found->alerts) {
    for (const auto& [k, v] : a) {
      names.insert(k);
    }
  }
  for (const auto& n : names) {
    if (!m.labels.count(n)) {
      m.differing.push_back(n);
    }
  }
  return m;
}

std::string origin_of(std::string_view url) {
  const auto u = http::Url::parse(std::string(url));
  if (!u || (u->scheme != "http" && u->scheme != "https")) {
    return {};
  }
  std::string host = u->host;
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return u->scheme + "://" + host + ":" + u->port;
}

}  // namespace vigil::alertmanager
