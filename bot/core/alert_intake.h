#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/store/model.h"
#include "integrations/alerting/alert_notification.h"
#include "skills/incident.h"

namespace vigil {

class Store;
class RunManager;

/// The incident a triage run sees for an alert (title, text, alert name, severity, labels…).
skills::Incident incident_from_alert(const alerting::AlertNotification& alert);

/// What happened to one alert.
struct AlertOutcome {
  enum class Kind {
    Started,   // a new incident and a triage run
    Repeat,    // grouped onto the open incident of the same fingerprint; counter bumped
    Resolved,  // the incident was marked resolved and the thread told
    Noted,     // acknowledged, annotated, …: noted in the thread
    Ignored,   // nothing to attach it to (a resolve for an unknown alert, auto-triage off)
    Refused,   // the circuit breaker paused automatic triage
  };
  Kind kind = Kind::Ignored;
  std::string incident_id;
  std::string run_id;
  int count = 0;
  std::string message;
};

/// Where an alert lands: the channel, the thread (an alert message's own ts; empty for webhooks,
/// whose run posts a new root), and the run settings of that channel.
struct AlertTarget {
  std::string channel;
  std::string thread_ts;
  std::string backend;
  std::string cluster;  // the channel binding's (kubernetes.clusters); the alert's label wins
  bool auto_triage = true;
  std::string event_id;  // the Slack event or webhook delivery, for the timeline
  /// The alert bot edited its message (ts of that message): the incident is found by the message
  /// when its fingerprint changed, and a firing edit is a note, not a repeat.
  std::string edited_ts;
  /// Why the alert's labels are incomplete and how to fix it (skills::Incident::labels_note).
  std::string labels_note;
};

/// One path for every alert, from a bot's message in an incident channel or from a webhook: group
/// by source and fingerprint within a window (one incident and one run per fingerprint; a repeat
/// bumps the counters), start a run for a new firing alert, mark the incident resolved on a
/// resolve, and note everything else in the run's thread.
class AlertIntake {
 public:
  AlertIntake(Store& store, RunManager& runs, Clock& clock, std::chrono::seconds window = std::chrono::hours(4));

  Result<AlertOutcome> intake(const alerting::AlertNotification& alert, const AlertTarget& target);

 private:
  /// The open incident an alert belongs to: the one of its source and fingerprint opened within the
  /// window, else (an edited message whose fingerprint changed) the one in that message's thread.
  std::optional<IncidentRecord> open_incident_of(const alerting::AlertNotification& alert, const AlertTarget& target,
                                                 long long now);
  /// A firing alert: a repeat of its incident, or (unless snoozed or auto-triage is off) a new one.
  Result<AlertOutcome> firing(const alerting::AlertNotification& alert, const AlertTarget& target,
                              const std::optional<IncidentRecord>& incident, AlertOutcome out, long long now);
  /// A new incident for the alert and its automatic triage run.
  Result<AlertOutcome> open_and_triage(const alerting::AlertNotification& alert, const AlertTarget& target,
                                       AlertOutcome out, long long now);
  /// The source reports it resolved: the incident is marked resolved and its run's thread told.
  AlertOutcome resolved(const alerting::AlertNotification& alert, const std::optional<IncidentRecord>& incident,
                        AlertOutcome out, long long now);
  /// Anything else (acknowledged, annotated, a firing edit): noted in the run's thread.
  AlertOutcome noted(const alerting::AlertNotification& alert, const std::optional<IncidentRecord>& incident,
                     AlertOutcome out);

  Store& store_;
  RunManager& runs_;
  Clock& clock_;
  std::chrono::seconds window_;
};

}  // namespace vigil
