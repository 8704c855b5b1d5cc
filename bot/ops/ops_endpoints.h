#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/core/alert_intake.h"
#include "bot/base/clock.h"
#include "bot/base/metrics.h"
#include "bot/base/task.h"
#include "bot/core/config.h"
#include "bot/ops/webhook_auth.h"
#include "integrations/http/http_server.h"

namespace vigil {

class Store;
class RunManager;

/// The operators' HTTP surface: /healthz, /readyz, /metrics and the alert webhooks
/// (/webhooks/{alertmanager,pagerduty,opsgenie,grafana}). A webhook is authenticated (401), parsed
/// (400 with a short reason), written to the store (webhook_deliveries) and only then answered
/// 202; each alert then goes through the AlertIntake into http.alert_channel.
class OpsEndpoints {
 public:
  OpsEndpoints(const Config& config, Store& store, Metrics& metrics, AlertIntake& intake, Clock& clock,
               std::function<bool()> slack_connected, RunManager* runs, Logger log);

  /// /healthz, /readyz, /metrics and the webhooks.
  void register_routes(http::HttpServer& server);
  /// Only /healthz, /readyz and /metrics (http.probe_listen's listener).
  void register_probe_routes(http::HttpServer& server);

  http::HttpResponse healthz() const;
  http::HttpResponse readyz();
  http::HttpResponse metrics();
  http::HttpResponse webhook(const std::string& source, const http::HttpRequest& request);

  /// Until the App has recovered its runs (it is connected to Slack), webhook bodies are stored and
  /// answered 202 but taken in only here. Opens the intake and takes in every delivery stored but
  /// not yet taken in (also those of a process that stopped between the commit and the intake);
  /// returns how many.
  int open_intake();
  bool is_intake_open() const { return intake_open_; }
  /// Takes in what is stored but not taken in yet (a standby replica's deliveries, on PostgreSQL);
  /// returns how many. Nothing before open_intake().
  int take_in_received();
  /// A standby replica (PostgreSQL): while `reason` says why it does not lead, /readyz answers 200
  /// "standby: <reason>" when the database is writable and its own Socket Mode connection said
  /// hello (it stores envelopes and webhooks for the leader).
  void set_standby_reason(std::function<std::string()> reason) { standby_reason_ = std::move(reason); }

 private:
  void refresh_gauges();
  AlertTarget webhook_target(const std::string& source, std::int64_t delivery) const;
  /// Intakes each alert, marks the delivery processed or failed, returns the outcomes.
  nlohmann::json intake_delivery(const std::string& source, std::int64_t delivery,
                                 const std::vector<alerting::AlertNotification>& alerts);

  const Config& config_;
  Store& store_;
  Metrics& metrics_;
  AlertIntake& intake_;
  Clock& clock_;
  std::function<bool()> slack_connected_;
  RunManager* runs_;
  WebhookAuth auth_;
  Logger log_;
  bool intake_open_ = false;
  std::function<std::string()> standby_reason_;
};

}  // namespace vigil
