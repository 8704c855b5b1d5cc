#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/app/agent_pods.h"
#include "bot/core/alert_intake.h"
#include "bot/slack/approver_directory.h"
#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/base/metrics.h"
#include "bot/slack/channel_bindings.h"
#include "bot/core/config.h"
#include "bot/core/incident_notes.h"
#include "bot/core/incident_service.h"
#include "bot/slack/input_queue.h"
#include "bot/core/knowledge_base.h"
#include "bot/slack/oncall_directory.h"
#include "bot/slack/parameter_ask.h"
#include "bot/core/run_manager.h"
#include "bot/slack/slack_approval_gate.h"
#include "bot/slack/slack_run_presenter.h"
#include "bot/store/store.h"
#include "bot/store/store_processed_events.h"
#include "bot/store/store_step_journal.h"
#include "handlers/handler_context.h"
#include "handlers/incident_message_handler.h"
#include "handlers/interaction_handler.h"
#include "handlers/slash_command_handler.h"
#include "integrations/alerting/paging_service.h"
#include "integrations/alertmanager/alertmanager_api.h"
#include "integrations/kubernetes/object_names.h"
#include "integrations/process/child_process.h"
#include "integrations/slack/socket_mode_client.h"
#include "integrations/slack/transport.h"
#include "integrations/slack/web_api.h"
#include "skills/skill_catalog.h"

namespace vigil {

/// The outside world the App talks to, made by main (real adapters) or by tests (the emulator).
struct AppPorts {
  slack::WebApi& web;
  slack::Transport& transport;
  Clock& clock;
  Store& store;
  Metrics& metrics;
  /// The PagerDuty and OpsGenie REST APIs when their credentials are configured (on-call approvers,
  /// incident notes); null otherwise.
  alerting::PagingService* pagerduty = nullptr;
  alerting::PagingService* opsgenie = nullptr;
  /// Where Socket Mode frames are read and acked (with `transport`'s connections). Unset: the App's
  /// own executor. `vigil serve` gives it a thread of its own, so acks never wait behind the work.
  std::optional<boost::asio::any_io_executor> socket_executor;
  /// Alertmanager's API (alertmanager.url): the labels of alerts posted with its default Slack
  /// message, which shows only their values. Null when not configured.
  alertmanager::AlertmanagerApi* alertmanager = nullptr;
};

/// Everything between Slack and the runs: builds the skill catalogue, the run manager, the Slack
/// approval gate and presenter, the handlers and the Socket Mode client from the configuration,
/// routes every normalised input to its handler (each in its own coroutine, so the read loop never
/// waits), recovers runs at start-up and keeps the periodic chores (expiring approvals, pruning
/// dedup ids and old workspaces).
class App {
 public:
  App(boost::asio::any_io_executor ex, const Config& config, AppPorts ports, const Logging& logging,
      std::shared_ptr<const Redactor> redactor);
  ~App();

  /// Lead: do the work (the only process on its database, or the replica holding it). Stand by:
  /// keep Socket Mode connections like the leader, but store every envelope for it (relay) and
  /// touch no run until lead().
  enum class Role { Lead, StandBy };
  /// Runs until stop() or until Slack refuses the app (an error saying what to fix).
  Task<Result<void>> run(Role role = Role::Lead);
  /// A standby replica became the leader: recovers the runs, starts the chores and handles the
  /// envelopes it reads from now on (before run() has authenticated: as soon as it has).
  void lead();
  /// While leading: hands the envelopes standby replicas stored to the handlers, oldest first, at
  /// most `limit`; returns how many.
  std::size_t take_in_relayed(int limit = kRelayedPerTurn);
  static constexpr int kRelayedPerTurn = 500;
  /// Graceful stop: closes the sockets, stops active runs (runs waiting for approval stay so).
  void stop();
  /// After stop(): waits (bounded by agent.grace + 10 s on the Clock) until no run is doing work
  /// and no handler is in flight, so the io_context can be stopped without losing anything that
  /// is not already in the store.
  Task<> quiesce();

  /// One normalised input, as the Socket Mode client delivers it.
  void dispatch(slack::InboundEvent event);

  RunManager& runs() { return runs_; }
  SlackRunPresenter& presenter() { return presenter_; }
  AlertIntake& alerts() { return intake_; }
  bool connected() const { return client_.live_connections() > 0; }
  bool idle() const { return runs_.idle() && presenter_.idle() && inputs_.idle(); }

  /// Handler coroutines at most in flight; further slash commands and messages wait their turn
  /// (InputQueue). Enough to keep 16 connections per host busy, small next to a flood's backlog.
  static constexpr std::size_t kMaxHandlersInFlight = 256;
  /// How often the periodic chores run.
  static constexpr std::chrono::seconds kChoresEvery{30};
  /// How often quiesce() looks again whether everything has settled.
  static constexpr std::chrono::milliseconds kQuiescePoll{20};

 private:
  Task<> handle(slack::InboundEvent event);
  /// Every kChoresEvery on the Clock until stop(): expires approvals, prunes processed event ids
  /// and (hourly) old workspaces.
  Task<> chores();
  /// Decides, and logs, how agent runs are fenced off when any configured backend is an agent's or
  /// isolation is none: a missing sandbox is said at start, not at an incident's first agent run.
  Task<> decide_agent_isolation();
  /// The chores that need no Slack call: pruning processed event ids, (hourly) workspaces and
  /// the rows storage.retention lets go.
  void prune(long long& last_retention);
  /// Every storage.retention.every, and at each chore while a backlog is left: at most
  /// kPruneBatchesPerChore batches, so one chore never holds the io thread long.
  void prune_aged_rows_when_due(long long now);
  static constexpr int kPruneBatchesPerChore = 4;
  /// Waits kChoresEvery on the Clock; false when stop() cut the wait short.
  Task<bool> chores_pause();
  /// Something quiesce() waits for: a run doing work, an input or a Slack update in flight.
  bool busy() const;
  /// Recovers the runs, starts the chores and stops relaying (once, after auth.test).
  void start_leading();
  /// Stores a standby's envelope (with its dedup key) for the leader: the client's Relay.
  bool relay(const slack::Envelope& envelope, const std::string& key, const std::string& kind, long long now);

  boost::asio::any_io_executor ex_;
  const Config& config_;
  AppPorts ports_;
  std::shared_ptr<const Redactor> redactor_;
  Logger log_;
  Logger router_log_;
  process::ChildProcess runner_;
  skills::SkillCatalog catalog_;
  KnowledgeBase knowledge_;
  ApproverDirectory directory_;
  std::unique_ptr<OnCallDirectory> oncall_;  // when approvals.oncall is configured
  ChannelBindings channels_;
  SlackRunPresenter presenter_;
  SlackApprovalGate gate_;
  std::unique_ptr<kubernetes::KubectlObjectNames> object_names_;  // when kubernetes.enabled
  StoreStepJournal step_journal_;
  std::unique_ptr<AgentPods> agent_pods_;  // when agent.isolation is kubernetes
  RunManager runs_;
  ParameterAskPoster parameter_asks_;
  std::unique_ptr<IncidentNotes> notes_;  // when pagerduty.notes or opsgenie.notes is on
  AlertIntake intake_;
  AlertActions alert_actions_;
  FullOutputService full_output_;
  UserDirectory users_;
  IncidentService incidents_;
  handlers::HandlerContext context_;
  handlers::SlashCommandHandler slash_;
  std::unique_ptr<handlers::IncidentMessageHandler> messages_;
  handlers::InteractionHandler interactions_;
  StoreProcessedEvents processed_;
  slack::SocketModeClient client_;
  InputQueue inputs_;
  long long last_row_prune_ = 0;           // unix seconds of the last storage.retention pass
  bool row_backlog_ = false;               // the last pass stopped at its batch limit
  boost::asio::steady_timer chores_wake_;  // never expires; stop() cancels it to end the chores' pause
  bool stopping_ = false;
  bool authenticated_ = false;   // run() has asked auth.test who the bot is
  bool lead_requested_ = false;  // Role::Lead, or lead() was called
  bool leading_ = false;         // runs recovered, chores started
};

}  // namespace vigil
