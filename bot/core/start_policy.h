#pragma once

// Who may start work (issue 21): the rules that apply to one request (global `start:`, the channel
// binding's, the skill's) and the decision for one person, as pure functions. Looking up who is in
// a Slack user group is the caller's I/O; the answers come in as values.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/core/config.h"
#include "skills/skill.h"

namespace vigil {

/// What a person asked to start.
enum class StartKind {
  Triage,   // `/triage <text>`, `@vigil <text>`
  Runbook,  // `/runbook run <id>`, the parameters form
};

/// Backends other than `runbook` run an agent CLI (model budget, cluster reads).
bool is_agent_backend(const std::string& backend);

/// One rule a request must pass, with what it guards in words ("start agent runs in this channel").
struct AppliedStartRule {
  std::string guards;
  StartRule rule;
};

/// One person's request to start work.
struct StartRequest {
  StartKind kind = StartKind::Triage;
  std::string backend;                    // the backend the run will use
  std::optional<ChannelBinding> binding;  // the channel's binding, if any
  const skills::Skill* skill = nullptr;   // `/runbook run`'s skill
};

/// The restricted rules `request` must pass, in the order they are checked: the kind (triage or
/// runbook), agent runs when the backend is an agent, then the skill's own. A channel binding's rule
/// for a kind replaces the global one. Empty: everyone may (the default).
std::vector<AppliedStartRule> start_rules(const StartConfig& start, const StartRequest& request);

/// The user groups whose membership decides for `user` (the rules that do not name them), once each.
std::vector<std::string> groups_to_check(const std::vector<AppliedStartRule>& rules, const std::string& user);

/// The membership lookups' answers: group → member or not; nullopt when the lookup failed.
using GroupAnswers = std::map<std::string, std::optional<bool>>;

/// The answer to a request: allowed, or refused with the private reply (who may) and the audit detail.
struct StartDecision {
  bool allowed = true;
  std::string reply;
  std::string audit_detail;
};

/// Allowed when every rule names `user` or a group `answers` says they are in. A group whose lookup
/// failed counts as not a member (fail closed) and the reply says to try again.
StartDecision decide_start(const std::vector<AppliedStartRule>& rules, const std::string& user,
                           const GroupAnswers& answers);

/// Who a rule lets start, as Slack shows it: "<@U1>, <@U2> or anyone in <!subteam^S1>".
std::string who_may(const StartRule& rule);

}  // namespace vigil
