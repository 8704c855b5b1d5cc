#include "bot/core/start_policy.h"

#include <algorithm>

namespace vigil {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The channel's rule for a kind when it sets one, else the global rule.
const StartRule& effective(const StartRule& global, const std::optional<ChannelBinding>& binding,
                           const StartRule StartRules::*kind) {
  if (binding && (binding->start.*kind).restricted()) {
    return binding->start.*kind;
  }
  return global;
}

std::string where(const std::optional<ChannelBinding>& binding, const StartRule StartRules::*kind) {
  return binding && (binding->start.*kind).restricted() ? " in this channel" : "";
}

std::string join_or(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += i + 1 == parts.size() ? " or " : ", ";
    }
    out += parts[i];
  }
  return out;
}

}  // namespace

bool is_agent_backend(const std::string& backend) {
  return !backend.empty() && backend != "runbook";
}

std::vector<AppliedStartRule> start_rules(const StartConfig& start, const StartRequest& request) {
  std::vector<AppliedStartRule> rules;
  const auto add = [&](const StartRule StartRules::*kind, const StartRule& global, const std::string& what) {
    const auto& rule = effective(global, request.binding, kind);
    if (rule.restricted()) {
      rules.push_back({what + where(request.binding, kind), rule});
    }
  };
  if (request.kind == StartKind::Triage) {
    add(&StartRules::triage, start.who.triage, "start a triage");
  } else {
    add(&StartRules::runbook, start.who.runbook, "run runbooks");
  }
  if (is_agent_backend(request.backend)) {
    add(&StartRules::agent, start.who.agent, "start agent runs");
  }
  if (request.skill && request.skill->start.restricted()) {
    rules.push_back({"run the runbook `" + request.skill->id + "`",
                     StartRule{request.skill->start.users, request.skill->start.groups}});
  }
  return rules;
}

std::vector<std::string> groups_to_check(const std::vector<AppliedStartRule>& rules, const std::string& user) {
  std::vector<std::string> groups;
  for (const auto& r : rules) {
    if (contains(r.rule.users, user)) {
      continue;
    }
    for (const auto& g : r.rule.groups) {
      if (!contains(groups, g)) {
        groups.push_back(g);
      }
    }
  }
  return groups;
}

std::string who_may(const StartRule& rule) {
  std::vector<std::string> parts;
  for (const auto& u : rule.users) {
    parts.push_back("<@" + u + ">");
  }
  for (const auto& g : rule.groups) {
    parts.push_back("anyone in <!subteam^" + g + ">");
  }
  return join_or(parts);
}

StartDecision decide_start(const std::vector<AppliedStartRule>& rules, const std::string& user,
                           const GroupAnswers& answers) {
  for (const auto& r : rules) {
    if (contains(r.rule.users, user)) {
      continue;
    }
    bool member = false;
    std::vector<std::string> unknown;
    for (const auto& g : r.rule.groups) {
      const auto it = answers.find(g);
      if (it == answers.end() || !it->second) {
        unknown.push_back(g);
      } else {
        member = member || *it->second;
      }
    }
    if (member) {
      continue;
    }
    StartDecision d;
    d.allowed = false;
    d.reply = ":no_entry: Only " + who_may(r.rule) + " may " + r.guards + ". Nothing was started.";
    d.audit_detail = "may not " + r.guards;
    if (!unknown.empty()) {
      std::vector<std::string> mentions;
      for (const auto& g : unknown) {
        mentions.push_back("<!subteam^" + g + ">");
      }
      d.reply += " (Slack did not say who is in " + join_or(mentions) + "; try again in a minute.)";
      d.audit_detail += "; group lookup failed: " + join_or(unknown);
    }
    return d;
  }
  return {};
}

}  // namespace vigil
