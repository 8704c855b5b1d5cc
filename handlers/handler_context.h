#pragma once

#include "bot/core/alert_actions.h"
#include "bot/slack/approver_directory.h"
#include "bot/base/clock.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"
#include "bot/slack/channel_bindings.h"
#include "bot/core/config.h"
#include "bot/core/incident_service.h"
#include "bot/slack/full_output_service.h"
#include "bot/core/run_manager.h"
#include "bot/core/start_rate_limit.h"
#include "bot/slack/slack_approval_gate.h"
#include "bot/slack/slack_run_presenter.h"
#include "bot/store/store.h"
#include "bot/slack/user_directory.h"
#include "integrations/slack/web_api.h"
#include "skills/skill_catalog.h"

namespace vigil::handlers {

/// What every handler works with, handed in once by the App (dependencies through constructors).
struct HandlerContext {
  Store& store;
  RunManager& runs;
  slack::WebApi& web;
  ChannelBindings& channels;
  SlackApprovalGate& gate;
  SlackRunPresenter& presenter;
  const skills::SkillCatalog& catalog;
  ApproverDirectory& directory;
  Clock& clock;
  const Redactor& redactor;
  const Config& config;
  Logger log;
  AlertActions& alerts;  // the alert buttons on a run's root
  FullOutputService& full_output;
  UserDirectory& users;        // names in timelines
  IncidentService& incidents;  // `/incident` and `/triage` in an incident's channel
  /// How often each person and channel may start runs (start.limits); kept for the App's lifetime.
  StartRateLimiter start_limits{config.start};

  void audit(const std::string& actor, const std::string& action, const std::string& run_id,
             const std::string& detail) const {
    store.append_audit({0, to_unix_ms(clock.now()), actor, action, run_id, "", redactor.redact(detail)});
  }
  /// Configured approvers (users, user groups, whoever is on call now) may act on any run: cancel,
  /// resume automatic triage. The person who started a run may always cancel it.
  Task<bool> is_approver(const std::string& user) const;
};

}  // namespace vigil::handlers
