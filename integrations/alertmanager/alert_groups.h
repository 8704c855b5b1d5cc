#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"

namespace vigil::alertmanager {

using LabelSet = std::map<std::string, std::string>;

/// One alert group as Alertmanager's API v2 lists it (GET /api/v2/alerts/groups): the group's
/// labels (the route's group_by), its receiver, and the labels of each active alert in it.
struct AlertGroup {
  LabelSet labels;
  std::string receiver;
  std::vector<LabelSet> alerts;
};

/// The groups in an answer of GET /api/v2/alerts/groups; an answer that is not a list of groups is
/// a Protocol error. Odd items (not objects, labels that are not strings) are skipped.
Result<std::vector<AlertGroup>> parse_alert_groups(std::string_view body);

/// The labels every alert of `group` shares (Alertmanager's CommonLabels).
LabelSet common_labels(const AlertGroup& group);

/// The part of Alertmanager's default Slack title after "[FIRING:n] " for `group`, as its default
/// template renders it: the group labels' values, then in parentheses the values of the common
/// labels that are not group labels, each list ordered by label name with alertname first.
std::string default_title(const AlertGroup& group);

/// What a title of the default template says about the labels, once matched against the groups.
struct TitleMatch {
  bool found = false;
  LabelSet labels;                     // the group's common labels (all of one alert's when it is alone)
  std::vector<std::string> differing;  // label names whose values differ between the group's alerts
  std::string why_not;                 // when not found: what was looked at
};

/// Finds the group whose default title is `title` (trimmed, as the message showed it), among the
/// groups of `receiver` when one is named. Exact match only: a title that fits no group, or more
/// than one, is not found, so no label is ever guessed.
TitleMatch match_default_title(const std::vector<AlertGroup>& groups, const std::string& receiver,
                               const std::string& title);

/// Scheme, host and port of an http(s) URL, lower case ("http://am.example:9093"); empty when it is
/// not one. Two URLs name the same Alertmanager when their origins are equal.
std::string origin_of(std::string_view url);

}  // namespace vigil::alertmanager
