#include "bot/ops/ops_endpoints.h"

#include <nlohmann/json.hpp>

#include "bot/core/run_manager.h"
#include "bot/store/store.h"
#include "integrations/alerting/alert_notification.h"

namespace vigil {
namespace {

http::HttpResponse text(int status, std::string body) {
  http::HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

http::HttpResponse json_response(int status, const nlohmann::json& body) {
  http::HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump() + "\n";
  return r;
}

Task<http::HttpResponse> ready(http::HttpResponse response) {
  co_return response;
}

std::string_view outcome_name(AlertOutcome::Kind k) {
  switch (k) {
    case AlertOutcome::Kind::Started:
      return "started";
    case AlertOutcome::Kind::Repeat:
      return "repeat";
    case AlertOutcome::Kind::Resolved:
      return "resolved";
    case AlertOutcome::Kind::Noted:
      return "noted";
    case AlertOutcome::Kind::Ignored:
      return "ignored";
    case AlertOutcome::Kind::Refused:
      return "refused";
  }
  return "unknown";
}

long long epoch_seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

}  // namespace

OpsEndpoints::OpsEndpoints(const Config& config, Store& store, Metrics& metrics, AlertIntake& intake, Clock& clock,
                           std::function<bool()> slack_connected, RunManager* runs, Logger log)
    : config_(config),
      store_(store),
      metrics_(metrics),
      intake_(intake),
      clock_(clock),
      slack_connected_(std::move(slack_connected)),
      runs_(runs),
      auth_(config.http),
      log_(std::move(log)) {}

void OpsEndpoints::register_probe_routes(http::HttpServer& server) {
  server.route("GET", "/healthz", [this](http::HttpRequest) { return ready(healthz()); });
  server.route("GET", "/readyz", [this](http::HttpRequest) { return ready(readyz()); });
  server.route("GET", "/metrics", [this](http::HttpRequest) { return ready(metrics()); });
}

void OpsEndpoints::register_routes(http::HttpServer& server) {
  register_probe_routes(server);
  for (const std::string source : {"alertmanager", "pagerduty", "opsgenie", "grafana"}) {
    server.route("POST", "/webhooks/" + source,
                 [this, source](http::HttpRequest request) { return ready(webhook(source, request)); });
  }
}

http::HttpResponse OpsEndpoints::healthz() const {
  return text(200, "ok\n");
}

http::HttpResponse OpsEndpoints::readyz() {
  // A standby replica takes Slack's envelopes and webhooks for the leader: it needs its own Socket
  // Mode connection and the database, not the leader's intake.
  const auto standby = standby_reason_ ? standby_reason_() : std::string();
  std::string reasons;
  if (!slack_connected_ || !slack_connected_()) {
    reasons += "slack: no Socket Mode connection has received hello\n";
  }
  if (!intake_open_ && standby.empty()) {
    reasons += "alerts: webhook intake opens once runs are recovered\n";
  }
  if (!store_.is_writable()) {
    reasons += "store: the database is not writable\n";
  }
  if (!reasons.empty()) {
    return text(503, reasons);
  }
  return text(200, standby.empty() ? std::string("ready\n") : "standby: " + standby + "\n");
}

void OpsEndpoints::refresh_gauges() {
  for (const auto state : {RunState::Queued, RunState::Running, RunState::AwaitingApproval, RunState::Succeeded,
                           RunState::Failed, RunState::Cancelled, RunState::TimedOut, RunState::Interrupted}) {
    metrics_.set("vigil_runs", "state", std::string(to_string(state)), 0);
  }
  for (const auto& [state, count] : store_.count_runs_by_state()) {
    metrics_.set("vigil_runs", "state", state, count);
  }
  if (runs_ != nullptr) {
    metrics_.set("vigil_runs_active", {}, static_cast<double>(runs_->active_runs()));
    metrics_.set("vigil_run_queue_depth", {}, static_cast<double>(runs_->queue_depth()));
  }
}

http::HttpResponse OpsEndpoints::metrics() {
  refresh_gauges();
  auto r = text(200, metrics_.render());
  r.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

http::HttpResponse OpsEndpoints::webhook(const std::string& source, const http::HttpRequest& request) {
  const auto reject = [&](int status, const std::string& reason, std::string body) {
    metrics_.inc("vigil_webhook_rejected_total", "reason", reason);
    log_->info("webhook {} refused ({}): {}", source, status, reason);
    return text(status, std::move(body));
  };
  switch (auth_.check(source, request)) {
    case WebhookAuth::Decision::Accepted:
      break;
    case WebhookAuth::Decision::NotConfigured:
      return reject(404, "not_configured", "webhook source " + source + " is not configured\n");
    case WebhookAuth::Decision::UnknownSource:
      return reject(404, "unknown_source", "not found\n");
    case WebhookAuth::Decision::Unauthorized:
      return reject(401, "unauthorized", "unauthorized\n");
  }
  if (config_.http.alert_channel.empty()) {
    return reject(503, "no_channel", "no alert channel configured (http.alert_channel)\n");
  }
  auto alerts = alerting::parse_alert_webhook(source, request.body);
  if (!alerts) {
    return reject(400, "malformed", "malformed body: " + alerts.error().detail + "\n");
  }
  // Durable before the 2xx: the sender may forget the delivery once it has our answer.
  const auto delivery = store_.record_webhook_delivery(source, epoch_seconds(clock_), request.body);
  metrics_.inc("vigil_webhook_deliveries_total", "source", source);

  nlohmann::json summary{{"delivery", delivery}, {"source", source}, {"alerts", alerts->size()}};
  if (!intake_open_) {
    // Runs are not recovered yet: a run started now could be taken for a crashed one.
    summary["deferred"] = true;
    return json_response(202, summary);
  }
  summary["outcomes"] = intake_delivery(source, delivery, *alerts);
  return json_response(202, summary);
}

AlertTarget OpsEndpoints::webhook_target(const std::string& source, std::int64_t delivery) const {
  AlertTarget target;
  target.channel = config_.http.alert_channel;
  target.backend = config_.agent.backend;
  for (const auto& binding : config_.channels) {
    if (binding.id == target.channel) {
      if (!binding.backend.empty()) {
        target.backend = binding.backend;
      }
      target.auto_triage = binding.auto_triage;
    }
  }
  target.event_id = "webhook:" + source + ":" + std::to_string(delivery);
  return target;
}

nlohmann::json OpsEndpoints::intake_delivery(const std::string& source, std::int64_t delivery,
                                             const std::vector<alerting::AlertNotification>& alerts) {
  const auto target = webhook_target(source, delivery);
  nlohmann::json outcomes = nlohmann::json::array();
  bool failed = false;
  for (const auto& alert : alerts) {
    try {
      const auto outcome = intake_.intake(alert, target);
      if (outcome) {
        outcomes.push_back({{"fingerprint", alert.fingerprint},
                            {"outcome", outcome_name(outcome->kind)},
                            {"incident", outcome->incident_id},
                            {"run", outcome->run_id}});
      } else {
        failed = true;
        log_->warn("webhook {} delivery={} alert {}: {}", source, delivery, alert.fingerprint,
                   outcome.error().message());
        outcomes.push_back(
            {{"fingerprint", alert.fingerprint}, {"outcome", "error"}, {"error", outcome.error().detail}});
      }
    } catch (const std::exception& e) {
      // The body is stored; a failed intake is visible in the delivery's status.
      failed = true;
      log_->error("webhook {} delivery={} alert {} failed: {}", source, delivery, alert.fingerprint, e.what());
      outcomes.push_back({{"fingerprint", alert.fingerprint}, {"outcome", "error"}});
    }
  }
  store_.mark_webhook_processed(delivery, failed ? "failed" : "processed", epoch_seconds(clock_));
  log_->info("webhook {} delivery={} alerts={}", source, delivery, alerts.size());
  return outcomes;
}

int OpsEndpoints::open_intake() {
  intake_open_ = true;
  int taken = 0;
  for (int pass = take_in_received(); pass > 0; pass = take_in_received()) {
    taken += pass;
  }
  return taken;
}

int OpsEndpoints::take_in_received() {
  if (!intake_open_ || config_.http.alert_channel.empty()) {
    return 0;
  }
  int taken = 0;
  for (const auto& d : store_.received_webhook_deliveries(1000)) {
    const auto alerts = alerting::parse_alert_webhook(d.source, d.body);
    ++taken;
    if (!alerts) {
      store_.mark_webhook_processed(d.id, "failed", epoch_seconds(clock_));
      continue;
    }
    log_->info("webhook {} delivery={}: taking in a stored delivery", d.source, d.id);
    intake_delivery(d.source, d.id, *alerts);
  }
  return taken;
}

}  // namespace vigil
