#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "integrations/http/http_client.h"
#include "integrations/http/http_server.h"

namespace vigil::test {

/// One request as the fake received it.
struct PagingRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// A PagerDuty and OpsGenie REST API stand-in on 127.0.0.1 (port 0), on its own thread: GET /oncalls
/// POST /incidents/{id}/notes and PUT /incidents/{id} (acknowledge) (PagerDuty, "Token token=…"), GET
/// /v2/schedules/{id or name}/on-calls?flat=true, POST /v2/alerts/{id}/notes and
/// /v2/alerts/{id}/acknowledge (OpsGenie, "GenieKey …"). Answers are
/// shaped like the services' documented ones; every request is recorded. Schedules, incidents and
/// alerts are declared before start(); who is on call and outages can change at any time.
class FakePagingServer {
 public:
  FakePagingServer(std::string pagerduty_token, std::string opsgenie_key);
  ~FakePagingServer();
  FakePagingServer(const FakePagingServer&) = delete;
  FakePagingServer& operator=(const FakePagingServer&) = delete;

  // ---- before start() ----
  void add_pagerduty_incident(const std::string& id);
  void add_opsgenie_schedule(const std::string& id_or_name);
  void add_opsgenie_alert(const std::string& id);

  void start();
  void stop();
  std::string url() const;  // http://127.0.0.1:PORT

  // ---- any time ----
  /// Who is on call in `schedule` (PagerDuty id, or OpsGenie id or name): their e-mails.
  void set_on_call(const std::string& schedule, std::vector<std::string> emails);
  /// While down, every request is answered 503.
  void set_down(bool down);
  std::vector<PagingRequest> requests(const std::string& path_prefix = "") const;

 private:
  http::HttpResponse answer(const std::string& kind, const http::HttpRequest& request);
  http::HttpResponse pagerduty_oncalls(const http::HttpRequest& request);
  http::HttpResponse opsgenie_on_calls(const std::string& schedule, const http::HttpRequest& request);
  void route(const std::string& method, const std::string& path, const std::string& kind);

  std::string pagerduty_token_;
  std::string opsgenie_key_;
  boost::asio::io_context io_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::vector<std::string> incidents_, og_schedules_, og_alerts_;

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> on_call_;
  bool down_ = false;
  std::vector<PagingRequest> requests_;
};

}  // namespace vigil::test
