#include "bot/app/app.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/core/data_retention.h"
#include "bot/core/workspace_retention.h"
#include "handlers/parameters_handler.h"
#include "integrations/slack/socket_mode.h"

namespace vigil {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

slack::SocketModeOptions socket_options(const Config& c) {
  slack::SocketModeOptions o;
  o.connections = c.slack.connections;
  o.dedup_ttl = std::max(c.storage.processed_event_ttl, std::chrono::seconds(600));
  return o;
}

RunManagerOptions with_metrics(RunManagerOptions options, Metrics& metrics, const Config& c) {
  options.metrics = &metrics;
  options.cluster = c.kubernetes.cluster;
  return options;
}

std::unique_ptr<OnCallDirectory> make_oncall(boost::asio::any_io_executor ex, const Config& c, const AppPorts& p,
                                             const Logging& logging) {
  const auto& oc = c.approvals.oncall;
  if (!oc.enabled()) {
    return nullptr;
  }
  const bool pd = !oc.pagerduty_schedule.empty();
  alerting::PagingService* service = pd ? p.pagerduty : p.opsgenie;
  auto log = logging.make("oncall");
  if (service == nullptr) {
    // Fail closed: without the API only the configured approvers can approve.
    log->error("approvals.oncall is set but the {} API is not configured; only configured approvers can approve",
               pd ? "PagerDuty" : "OpsGenie");
    return nullptr;
  }
  OnCallOptions o;
  o.cache = oc.cache;
  o.max_stale = oc.max_stale;
  return std::make_unique<OnCallDirectory>(ex, *service, pd ? oc.pagerduty_schedule : oc.opsgenie_schedule, p.web,
                                           p.clock, o, std::move(log));
}

std::unique_ptr<IncidentNotes> make_notes(boost::asio::any_io_executor ex, const Config& c, const AppPorts& p,
                                          const Logging& logging) {
  auto* pagerduty = c.pagerduty.notes ? p.pagerduty : nullptr;
  auto* opsgenie = c.opsgenie.notes ? p.opsgenie : nullptr;
  if (pagerduty == nullptr && opsgenie == nullptr) {
    return nullptr;
  }
  return std::make_unique<IncidentNotes>(ex, p.store, pagerduty, opsgenie, logging.make("notes"));
}

/// Names of objects in the cluster through the READ-ONLY kubeconfig, when Kubernetes is on.
std::unique_ptr<kubernetes::KubectlObjectNames> make_object_names(const Config& c, process::ChildProcess& runner,
                                                                  const Logging& logging) {
  if (!c.kubernetes.enabled || c.kubernetes.read_only_kubeconfig.empty()) {
    return nullptr;
  }
  const auto executor = executor_options(c);
  kubernetes::ObjectNameOptions o;
  o.environment = process::make_environment(executor.env_allowlist, {}, executor.environment);
  return std::make_unique<kubernetes::KubectlObjectNames>(kubernetes::Kubectl(executor.kubectl), runner, o,
                                                          logging.make("kubectl.names"));
}

RunManagerOptions with_object_names(RunManagerOptions o, kubernetes::ObjectNameLookup* names) {
  o.object_names = names;
  return o;
}

FullOutputOptions full_output_options(const Config& config) {
  FullOutputOptions o;
  o.workspace_root = config.agent.workspace_root;
  o.max_bytes = static_cast<std::size_t>(config.agent.step_output_max_bytes);
  return o;
}

}  // namespace

App::App(boost::asio::any_io_executor ex, const Config& config, AppPorts ports, const Logging& logging,
         std::shared_ptr<const Redactor> redactor)
    : ex_(ex),
      config_(config),
      ports_(ports),
      redactor_(std::move(redactor)),
      log_(logging.make("app")),
      router_log_(logging.make("router")),
      runner_(ports.clock, logging.make("process")),
      catalog_(config.kubernetes.enabled),
      directory_(ports.web, ports.clock),
      oncall_(make_oncall(ex, config, ports, logging)),
      channels_(config.channels, ports.web, ports.clock),
      presenter_(ex, ports.store, ports.web, ports.clock, logging.make("slack.thread")),
      gate_(ex, ports.store, ports.web, ports.clock, *redactor_, directory_, config.approvals, logging.make("approval"),
            &ports.metrics, oncall_.get()),
      object_names_(make_object_names(config, runner_, logging)),
      step_journal_(ports.store, ports.clock),
      agent_pods_(AgentPods::make(ex, config, ports.clock, logging)),
      runs_(ex, ports.store, step_journal_, catalog_, runner_, gate_, ports.clock, *redactor_, knowledge_,
            executor_options(config),
            with_agent_pods(with_object_names(
                                with_metrics(run_manager_options(config, logging.make("agent")), ports.metrics, config),
                                object_names_.get()),
                            agent_pods_.get()),
            logging.make("run")),
      parameter_asks_(ex, ports.store, ports.web, presenter_, catalog_, logging.make("slack.params")),
      notes_(make_notes(ex, config, ports, logging)),
      intake_(ports.store, runs_, ports.clock),
      alert_actions_(ports.store, runs_, ports.clock, *redactor_,
                     AlertActions::Peers{ports.alertmanager, ports.pagerduty, ports.opsgenie}, logging.make("alerts")),
      full_output_(ports.store, ports.web, *redactor_, ports.clock, full_output_options(config),
                   logging.make("full_output")),
      users_(ports.web, ports.clock),
      incidents_(ports.store, ports.clock, *redactor_),
      context_{ports.store,    runs_,        ports.web,   channels_,  gate_,   presenter_,
               catalog_,       directory_,   ports.clock, *redactor_, config_, logging.make("handlers"),
               alert_actions_, full_output_, users_,      incidents_},
      slash_(context_),
      interactions_(context_),
      processed_(ports.store),
      client_(ports.socket_executor.value_or(ex), ports.transport, ports.web, ports.clock, processed_, ports.metrics,
              logging.make("slack.socket"), socket_options(config)),
      inputs_(
          ex, kMaxHandlersInFlight, [this](slack::InboundEvent e) -> Task<> { return handle(std::move(e)); },
          router_log_, &ports.metrics, &ports.clock),
      chores_wake_(ex) {
  const auto load = catalog_.load_dirs(config.skills.dirs);
  for (const auto& e : load.errors) {
    log_->error("{} (skill left out)", e.to_string());
  }
  for (const auto& w : load.warnings) {
    log_->warn("{}", w.to_string());
  }
  if (catalog_.size() == 0) {
    if (const auto warning = missing_skills_warning(config); !warning.empty()) {
      log_->warn("{}", warning);
    }
  }
  knowledge_.load(config.agent.knowledge_dirs);
  log_->info("{} skills, {} knowledge documents", catalog_.size(), knowledge_.size());
  presenter_.set_incident_channel(config.http.alert_channel);
  runs_.add_observer(&presenter_);
  if (notes_) {
    runs_.add_observer(notes_.get());
  }
  if (oncall_) {
    log_->info("approvals: whoever is on call in {} schedule {} may approve too", oncall_->service_name(),
               oncall_->schedule());
  }
  presenter_.set_alert_view([this](const RunRecord& run) { return alert_actions_.root_view(run); });
  gate_.set_before_card([this](std::string run_id) -> Task<> { return presenter_.flush_now(std::move(run_id)); });
  // Back-pressure: while inputs wait for a handler and the handlers are getting through them,
  // Socket Mode reads on only once the queue is empty, so a burst's answers do not trail its acks
  // by the length of an ever longer queue here (InputQueue::has_room).
  client_.set_room([this] { return inputs_.has_room(ports_.clock.now()); });
  inputs_.set_on_room([this] { client_.room_freed(); });
  // A usage mistake in a slash command is answered in the ack itself: instantly, no Web API call.
  runs_.add_observer(&parameter_asks_);
  client_.set_ack_responder([this](const slack::Envelope& e) -> std::optional<nlohmann::json> {
    if (e.type == slack::EnvelopeType::Interactive) {
      // A parameters modal with wrong values stays open with a message under each wrong input.
      return handlers::ParametersHandler::submission_ack(catalog_, e);
    }
    if (e.type != slack::EnvelopeType::SlashCommands || !e.payload.is_object()) {
      return std::nullopt;
    }
    const auto command = e.payload.value("command", std::string());
    const auto text = e.payload.contains("text") && e.payload["text"].is_string() ? e.payload["text"].get<std::string>()
                                                                                  : std::string();
    return handlers::SlashCommandHandler::ack_payload(command, text);
  });
}

App::~App() = default;

void App::dispatch(slack::InboundEvent event) {
  if (stopping_) {
    router_log_->info("envelope={}: stopping; {} not handled", event.origin.envelope_id, slack::describe(event));
    return;
  }
  inputs_.push(std::move(event));
}

Task<> App::handle(slack::InboundEvent event) {
  router_log_->debug("envelope={} {}", event.origin.envelope_id, slack::describe(event));
  try {
    if (auto* c = std::get_if<slack::SlashCommand>(&event.body)) {
      co_await slash_.handle(std::move(*c));
    } else if (auto* m = std::get_if<slack::MessageEvent>(&event.body)) {
      if (messages_) {
        co_await messages_->handle(std::move(*m));
      }
    } else if (auto* a = std::get_if<slack::BlockAction>(&event.body)) {
      co_await interactions_.handle(std::move(*a));
    } else if (auto* v = std::get_if<slack::ViewSubmission>(&event.body)) {
      co_await interactions_.handle(std::move(*v));
    }
  } catch (const std::exception& e) {
    // A database failure or a bug in one handler: logged once, the process keeps serving.
    router_log_->error("envelope={}: handler failed: {}", event.origin.envelope_id, e.what());
  }
}

Task<> App::chores() {
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  long long last_retention = 0;
  while (!stopping_) {
    co_await gate_.expire_due();
    prune(last_retention);
    if (stopping_) {
      break;
    }
    const bool slept = co_await chores_pause();
    if (!slept) {
      break;
    }
  }
}

void App::prune(long long& last_retention) {
  const long long now = to_unix(ports_.clock.now());
  ports_.store.prune_processed_events(now - std::max<long long>(600, config_.storage.processed_event_ttl.count()));
  if (now - last_retention >= 3600 && !config_.agent.workspace_root.empty()) {
    last_retention = now;
    const auto report = prune_workspaces(config_.agent.workspace_root, ports_.store, config_.agent.retention, now);
    ports_.metrics.inc("vigil_workspace_prunes_total", "", "", 1);
    if (report.deleted > 0) {
      log_->info("workspaces: deleted {}, {} bytes left", report.deleted, report.bytes_after);
    }
  }
  prune_aged_rows_when_due(now);
}

void App::prune_aged_rows_when_due(long long now) {
  const auto& policy = config_.storage.retention;
  if (!policy.enabled || (!row_backlog_ && now - last_row_prune_ < policy.every.count())) {
    return;
  }
  last_row_prune_ = now;
  const auto pass = prune_aged_rows(ports_.store, policy, now, kPruneBatchesPerChore);
  row_backlog_ = !pass.drained;
  for_each_kind(pass.deleted, [&](const char* kind, long long n) {
    if (n > 0) {
      ports_.metrics.inc("vigil_store_rows_pruned_total", "kind", kind, static_cast<double>(n));
    }
  });
  if (pass.deleted.total() > 0) {
    log_->info("retention: pruned {} rows ({} runs, {} incidents, {} webhook deliveries, {} audit rows){}",
               pass.deleted.total(), pass.deleted.runs, pass.deleted.incidents, pass.deleted.webhook_deliveries,
               pass.deleted.audit, row_backlog_ ? "; more at the next chore" : "");
  }
}

Task<bool> App::chores_pause() {
  chores_wake_.expires_at(boost::asio::steady_timer::time_point::max());
  auto woken = chores_wake_.async_wait(kToken);
  auto slept = ports_.clock.sleep_for(kChoresEvery);
  auto first = co_await (std::move(woken) || std::move(slept));
  co_return first.index() == 1;
}

Task<Result<void>> App::run(Role role) {
  if (role == Role::StandBy && !lead_requested_) {
    // From the first envelope: nothing read while standing by is handled here.
    client_.set_relay([this](const slack::Envelope& e, const std::string& key, const std::string& kind, long long now) {
      return relay(e, key, kind, now);
    });
  }
  auto who = co_await ports_.web.auth_test();
  if (!who) {
    log_->error("auth.test with the bot token failed: {} (check SLACK_BOT_TOKEN)", who.error().message());
    co_return who.error();
  }
  log_->info("Slack: bot user {} (bot {}) in team {}", who->user_id, who->bot_id, who->team_id);
  messages_ = std::make_unique<handlers::IncidentMessageHandler>(context_, intake_, who->user_id, ports_.alertmanager);
  client_.set_self({who->user_id, who->bot_id});
  authenticated_ = true;
  lead_requested_ = lead_requested_ || role == Role::Lead;
  if (lead_requested_) {
    start_leading();
  }
  if (stopping_) {
    Result<void> done;
    co_return done;
  }
  // A named handler: g++ 12 destroys a temporary in a co_await expression twice.
  slack::SocketModeClient::Handler handler = [this](slack::InboundEvent e) { dispatch(std::move(e)); };
  auto result = co_await client_.run(std::move(handler), ex_);
  co_return result;
}

void App::lead() {
  lead_requested_ = true;
  if (authenticated_) {
    start_leading();
  }
}

void App::start_leading() {
  if (leading_ || stopping_) {
    return;
  }
  leading_ = true;
  // Recovered first: a click read from now on finds its run where the dead leader left it.
  runs_.recover();
  client_.set_relay(nullptr);
  spawn(ex_, chores(), log_, "chores");
  spawn(ex_, decide_agent_isolation(), log_, "agent isolation");
}

bool App::relay(const slack::Envelope& envelope, const std::string& key, const std::string& kind, long long now) {
  return ports_.store.relay_envelope(key, kind, now, slack::relay_frame(envelope));
}

std::size_t App::take_in_relayed(int limit) {
  if (!leading_ || stopping_) {
    return 0;
  }
  std::vector<std::string> frames;
  try {
    frames = ports_.store.take_relayed_envelopes(limit);
  } catch (const std::exception& e) {
    log_->warn("relayed envelopes not taken in: {}; trying again", e.what());
    return 0;
  }
  for (const auto& text : frames) {
    auto frame = slack::parse_frame(text);
    if (auto* envelope = std::get_if<slack::Envelope>(&frame)) {
      ports_.metrics.inc("vigil_socket_envelopes_taken_in_total");
      client_.deliver_relayed(std::move(*envelope));
    } else {
      log_->error("a relayed envelope could not be read back ({} bytes); dropped", text.size());
    }
  }
  return frames.size();
}

Task<> App::decide_agent_isolation() {
  bool agents_configured = config_.agent.backend != "runbook" || config_.agent.isolation == "none";
  for (const auto& binding : config_.channels) {
    agents_configured = agents_configured || (!binding.backend.empty() && binding.backend != "runbook");
  }
  const auto& gate = runs_.options().agent.isolation;
  if (agents_configured && gate && config_.agent.isolation != "kubernetes") {
    co_await gate->choice(runner_);
  }
}

bool App::busy() const {
  return runs_.running_runs() > 0 || !inputs_.idle() || !presenter_.idle() || (notes_ && !notes_->idle());
}

Task<> App::quiesce() {
  const auto deadline = ports_.clock.now() + config_.agent.grace + std::chrono::seconds(10);
  // Inputs already acked and waiting for a handler are still handled: they are not redelivered.
  while (busy() && ports_.clock.now() < deadline) {
    const bool slept = co_await ports_.clock.sleep_for(kQuiescePoll);
    if (!slept) {
      break;
    }
  }
  if (inputs_.waiting() > 0) {
    log_->warn("stopping: {} acked inputs were still waiting for a handler and are not handled", inputs_.waiting());
  }
}

void App::stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  client_.stop();
  runs_.stop_all();
  chores_wake_.cancel();
}

}  // namespace vigil
