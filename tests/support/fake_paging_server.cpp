#include "tests/support/fake_paging_server.h"

#include <algorithm>
#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "bot/base/logging.h"
#include "integrations/http/url.h"

namespace vigil::test {
namespace {

using nlohmann::json;

http::HttpResponse json_answer(int status, const json& body) {
  http::HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

// The values of `name` in a query string (name[] encoded or not).
std::vector<std::string> query_values(const std::string& target, const std::string& name) {
  std::vector<std::string> out;
  const auto q = target.find('?');
  if (q == std::string::npos) {
    return out;
  }
  std::size_t pos = q + 1;
  while (pos <= target.size()) {
    auto amp = target.find('&', pos);
    if (amp == std::string::npos) {
      amp = target.size();
    }
    const auto pair = target.substr(pos, amp - pos);
    const auto eq = pair.find('=');
    if (eq != std::string::npos && http::url_decode(pair.substr(0, eq)) == name) {
      out.push_back(http::url_decode(pair.substr(eq + 1)));
    }
    pos = amp + 1;
  }
  return out;
}

// Our own handler type: a plain call wrapped into the server's coroutine signature.
Task<http::HttpResponse> ready(http::HttpResponse r) {
  co_return r;
}

}  // namespace

FakePagingServer::FakePagingServer(std::string pagerduty_token, std::string opsgenie_key)
    : pagerduty_token_(std::move(pagerduty_token)), opsgenie_key_(std::move(opsgenie_key)) {}

FakePagingServer::~FakePagingServer() {
  stop();
}

void FakePagingServer::add_pagerduty_incident(const std::string& id) {
  incidents_.push_back(id);
}
void FakePagingServer::add_opsgenie_schedule(const std::string& s) {
  og_schedules_.push_back(s);
}
void FakePagingServer::add_opsgenie_alert(const std::string& id) {
  og_alerts_.push_back(id);
}

void FakePagingServer::route(const std::string& method, const std::string& path, const std::string& kind) {
  server_->route(method, path, [this, kind](http::HttpRequest r) { return ready(answer(kind, r)); });
}

void FakePagingServer::start() {
  http::HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  server_ = http::make_beast_http_server(io_.get_executor(), o, null_logger());
  route("GET", "/oncalls", "pd.oncalls");
  for (const auto& id : incidents_) {
    route("POST", "/incidents/" + http::url_encode(id) + "/notes", "pd.note");
    route("PUT", "/incidents/" + http::url_encode(id), "pd.ack");
  }
  for (const auto& s : og_schedules_) {
    route("GET", "/v2/schedules/" + http::url_encode(s) + "/on-calls", "og.on-calls:" + s);
  }
  for (const auto& id : og_alerts_) {
    route("POST", "/v2/alerts/" + http::url_encode(id) + "/notes", "og.note");
    route("POST", "/v2/alerts/" + http::url_encode(id) + "/acknowledge", "og.ack");
  }
  if (auto started = server_->start(); !started) {
    throw std::runtime_error("fake paging server: " + started.error().message());
  }
  port_ = server_->port();
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

void FakePagingServer::stop() {
  if (!thread_.joinable()) {
    return;
  }
  std::promise<void> stopped;
  boost::asio::post(io_, [this, &stopped] {
    server_->stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

std::string FakePagingServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void FakePagingServer::set_on_call(const std::string& schedule, std::vector<std::string> emails) {
  std::lock_guard lock(mutex_);
  on_call_[schedule] = std::move(emails);
}

void FakePagingServer::set_down(bool down) {
  std::lock_guard lock(mutex_);
  down_ = down;
}

std::vector<PagingRequest> FakePagingServer::requests(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<PagingRequest> out;
  for (const auto& r : requests_) {
    if (r.target.rfind(prefix, 0) == 0) {
      out.push_back(r);
    }
  }
  return out;
}

http::HttpResponse FakePagingServer::answer(const std::string& kind, const http::HttpRequest& request) {
  std::lock_guard lock(mutex_);
  PagingRequest rec;
  rec.method = request.method;
  rec.target = request.url;
  for (const auto& [name, value] : request.headers) {
    rec.headers[name] = value;
  }
  rec.body = request.body;
  requests_.push_back(rec);
  if (down_) {
    return json_answer(503, json{{"error", {{"message", "Service Unavailable"}}}});
  }
  const bool pagerduty = kind.rfind("pd.", 0) == 0;
  if (pagerduty) {
    if (rec.header("authorization") != "Token token=" + pagerduty_token_) {
      return json_answer(401, json{{"error", {{"message", "Unauthenticated"}, {"code", 2006}}}});
    }
    if (kind == "pd.oncalls") {
      return pagerduty_oncalls(request);
    }
    // pd.note: PagerDuty needs a From header naming one of its users on writes.
    if (rec.header("from").find('@') == std::string::npos) {
      return json_answer(400, json{{"error",
                                    {{"message", "Invalid Input Provided"},
                                     {"code", 2001},
                                     {"errors", json::array({"Requester User Not Found"})}}}});
    }
    const auto body = json::parse(request.body, nullptr, false);
    if (kind == "pd.ack") {
      if (body.is_discarded() || !body.contains("incident") || !body["incident"].is_object() ||
          body["incident"].value("status", "") != "acknowledged") {
        return json_answer(400, json{{"error", {{"message", "Invalid Input Provided"}, {"code", 2001}}}});
      }
      return json_answer(200, json{{"incident", {{"id", "PFQZPSY"}, {"status", "acknowledged"}}}});
    }
    if (body.is_discarded() || !body.contains("note") || !body["note"].is_object() ||
        !body["note"].contains("content")) {
      return json_answer(400, json{{"error", {{"message", "Invalid Input Provided"}, {"code", 2001}}}});
    }
    return json_answer(201, json{{"note",
                                  {{"id", "PNOTE" + std::to_string(requests_.size())},
                                   {"content", body["note"]["content"]},
                                   {"created_at", "2026-11-22T04:00:00Z"}}}});
  }
  if (rec.header("authorization") != "GenieKey " + opsgenie_key_) {
    return json_answer(401, json{{"message", "Could not authenticate"}, {"took", 0.0}, {"requestId", "r-1"}});
  }
  if (kind.rfind("og.on-calls:", 0) == 0) {
    return opsgenie_on_calls(kind.substr(12), request);
  }
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.contains("note") || !body["note"].is_string()) {
    return json_answer(422, json{{"message", "note is required"}, {"took", 0.0}, {"requestId", "r-2"}});
  }
  return json_answer(202, json{{"result", "Request will be processed"}, {"took", 0.01}, {"requestId", "r-3"}});
}

http::HttpResponse FakePagingServer::pagerduty_oncalls(const http::HttpRequest& request) {
  const auto schedules = query_values(request.url, "schedule_ids[]");
  const auto include = query_values(request.url, "include[]");
  const bool with_users = std::find(include.begin(), include.end(), "users") != include.end();
  json oncalls = json::array();
  int n = 0;
  for (const auto& s : schedules) {
    const auto it = on_call_.find(s);
    if (it == on_call_.end()) {
      continue;
    }
    for (const auto& email : it->second) {
      ++n;
      json user{{"id", "PU" + std::to_string(n)}, {"summary", email}};
      if (with_users) {
        user["type"] = "user";
        user["name"] = email.substr(0, email.find('@'));
        user["email"] = email;
      } else {
        user["type"] = "user_reference";
      }
      oncalls.push_back({{"user", user},
                         {"schedule", {{"id", s}, {"type", "schedule_reference"}}},
                         {"escalation_policy", {{"id", "PEP1"}, {"type", "escalation_policy_reference"}}},
                         {"escalation_level", 1},
                         {"start", "2026-11-22T00:00:00Z"},
                         {"end", "2026-11-23T00:00:00Z"}});
    }
  }
  return json_answer(200,
                     json{{"oncalls", oncalls}, {"limit", 100}, {"offset", 0}, {"more", false}, {"total", nullptr}});
}

http::HttpResponse FakePagingServer::opsgenie_on_calls(const std::string& schedule, const http::HttpRequest& request) {
  const auto flat = query_values(request.url, "flat");
  json data{{"_parent", {{"id", "d875a654-9b4e-4219-a803-0c26936d18de"}, {"name", schedule}, {"enabled", true}}}};
  const auto it = on_call_.find(schedule);
  const auto emails = it == on_call_.end() ? std::vector<std::string>{} : it->second;
  if (!flat.empty() && flat[0] == "true") {
    data["onCallRecipients"] = emails;
  } else {
    json participants = json::array();
    for (const auto& e : emails) {
      participants.push_back({{"name", e}, {"type", "user"}});
    }
    data["onCallParticipants"] = participants;
  }
  return json_answer(200, json{{"data", data}, {"took", 0.1}, {"requestId", "r-4"}});
}

}  // namespace vigil::test
