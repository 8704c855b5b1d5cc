#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/base/task.h"
#include "bot/store/model.h"
#include "integrations/alerting/paging_service.h"
#include "integrations/alertmanager/alertmanager_api.h"
#include "integrations/slack/blocks.h"

namespace vigil {

class Store;
class RunManager;

/// The buttons on the root of a run started by an alert.
enum class AlertAction { Acknowledge, Silence, Snooze, Resolve, OpenSource };

std::string_view to_string(AlertAction action);
/// The action of a button's action_id (alert.ack, …); nullopt for any other.
std::optional<AlertAction> parse_alert_action(std::string_view action_id);

/// How long Silence and Snooze last.
inline constexpr std::chrono::hours kAlertQuietFor{1};

/// What a run's trigger says about the alert behind it. Every field is untrusted text.
struct AlertSource {
  std::string source;     // alertmanager, grafana, pagerduty, opsgenie, …
  std::string url;        // generatorURL, the Grafana panel, PagerDuty's html_url, … (any scheme)
  std::string source_id;  // PagerDuty incident id, OpsGenie alertId: acknowledged there too
  std::string fingerprint;
  std::map<std::string, std::string> labels;
};

/// The alert behind a run started by an alert (trigger kind alert or webhook, attached to an
/// incident), read from its "trigger" timeline row; nullopt for any other run.
std::optional<AlertSource> alert_source_of(const RunRecord& run, const std::vector<RunEvent>& events);
/// True for an absolute http(s) URL without spaces or control characters (a link button's only
/// allowed targets: never javascript:, slack:, …).
bool is_web_link(std::string_view url);
/// "Alertmanager", "Grafana", "PagerDuty", "OpsGenie", else "source".
std::string source_display_name(const std::string& source);
/// The auto_triage_pauses key of a snoozed alert fingerprint.
std::string snooze_key(const std::string& source, const std::string& fingerprint);

/// What people did with an incident's alert buttons, from its timeline (newest wins).
struct AlertActionState {
  std::string acknowledged_by;
  std::string silenced_by;
  std::string silence_note;  // "silence <id> until <time>"
  long long silenced_until = 0;
  std::string snoozed_by;
  long long snoozed_until = 0;
  bool resolved = false;
  std::string resolved_by;
};
AlertActionState alert_action_state(const IncidentRecord& incident, const std::vector<IncidentEvent>& events);

/// Which buttons the root shows and the status lines above them: Acknowledge until someone did,
/// Silence (Alertmanager alerts with labels, when Alertmanager's API is configured) or else Snooze
/// while not already quiet, Resolve while open, and a link to the alert's source when it is http(s).
slack::blocks::AlertActionsView alert_actions_view(const RunRecord& run, const AlertSource& alert,
                                                   const AlertActionState& state, bool can_silence, long long now);

/// Why a click on an alert button is refused (empty: allowed). Anyone in the run's channel may
/// acknowledge, snooze or resolve (Slack shows the buttons only to the channel's members; a click
/// from elsewhere is refused); silencing in Alertmanager mutes the alert for everyone, so it takes
/// an approver.
std::string alert_click_refusal(AlertAction action, const RunRecord& run, const std::string& click_channel,
                                bool is_approver);

/// One click on an alert button, as the handler hands it over.
struct AlertClick {
  AlertAction action = AlertAction::Acknowledge;
  std::string run_id;
  std::string user;       // U…
  std::string user_name;  // Slack's user name, for Alertmanager's createdBy
  std::string channel;
  bool is_approver = false;
};

struct AlertClickOutcome {
  bool done = false;
  std::string message;  // for the person, privately, when nothing was done
  std::string run_id;   // the run whose root changes
};

/// The alert buttons' use cases: acknowledge (also in PagerDuty/OpsGenie when the alert came from
/// there), silence in Alertmanager for an hour, snooze Vigil's own triage of the fingerprint for an
/// hour (persisted), resolve the incident. Each writes an incident event, an audit row and a note
/// in the run's thread; a repeated click finds the work done and changes nothing.
class AlertActions {
 public:
  struct Peers {
    alertmanager::AlertmanagerApi* alertmanager = nullptr;
    alerting::PagingService* pagerduty = nullptr;
    alerting::PagingService* opsgenie = nullptr;
  };
  AlertActions(Store& store, RunManager& runs, Clock& clock, const Redactor& redactor, Peers peers, Logger log);

  /// The alert part of a run's root; nullopt for a run not started by an alert.
  std::optional<slack::blocks::AlertActionsView> root_view(const RunRecord& run);
  Task<AlertClickOutcome> click(AlertClick click);

 private:
  void audit(const std::string& actor, const std::string& action, const std::string& run_id, const std::string& detail);
  Task<AlertClickOutcome> acknowledge(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident,
                                      const AlertSource& alert, const AlertActionState& state);
  Task<AlertClickOutcome> silence(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident,
                                  const AlertSource& alert, const AlertActionState& state);
  AlertClickOutcome snooze(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident,
                           const AlertActionState& state);
  AlertClickOutcome resolve(const AlertClick& c, const RunRecord& run, const IncidentRecord& incident);

  Store& store_;
  RunManager& runs_;
  Clock& clock_;
  const Redactor& redactor_;
  Peers peers_;
  Logger log_;
  std::set<std::string> in_flight_;  // incidents with a silence or acknowledgement on its way
  /// The alert behind each run whose root was drawn (a trigger never changes): the root is redrawn
  /// every second while a run is active, and its timeline can be long. Bounded.
  std::map<std::string, std::optional<AlertSource>> sources_;
};

}  // namespace vigil
