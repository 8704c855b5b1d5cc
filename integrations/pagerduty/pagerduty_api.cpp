#include "integrations/pagerduty/pagerduty_api.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"
#include "integrations/http/url.h"

namespace vigil::pagerduty {
namespace {

using nlohmann::json;

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

}  // namespace

Result<std::vector<std::string>> parse_oncalls(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(Errc::Protocol, "PagerDuty /oncalls answer is not a JSON object");
  }
  const auto oncalls = j.find("oncalls");
  if (oncalls == j.end() || !oncalls->is_array()) {
    return make_error(Errc::Protocol, "PagerDuty /oncalls answer has no \"oncalls\" list");
  }
  std::vector<std::string> out;
  for (const auto& entry : *oncalls) {
    if (!entry.is_object() || !entry.contains("user") || !entry["user"].is_object()) {
      continue;
    }
    const auto& user = entry["user"];
    // Without include[]=users the user is a reference without an e-mail; that is a request bug.
    if (!user.contains("email") || !user["email"].is_string()) {
      continue;
    }
    auto email = alerting::normalise_email(user["email"].get<std::string>());
    if (!email.empty() && std::find(out.begin(), out.end(), email) == out.end()) {
      out.push_back(std::move(email));
    }
  }
  return out;
}

std::string error_message(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return {};
  }
  const auto& e = j["error"];
  std::string message = e.value("message", std::string());
  if (e.contains("errors") && e["errors"].is_array()) {
    for (const auto& item : e["errors"]) {
      if (item.is_string()) {
        message += (message.empty() ? "" : "; ") + item.get<std::string>();
      }
    }
  }
  return message;
}

PagerDutyApi::PagerDutyApi(http::HttpClient& http, PagerDutyApiOptions options)
    : http_(http), options_(std::move(options)) {
  options_.api_url = trim_slash(options_.api_url);
}

http::HttpRequest PagerDutyApi::request(std::string method, std::string path_and_query) const {
  http::HttpRequest r;
  r.method = std::move(method);
  r.url = options_.api_url + path_and_query;
  r.timeout = options_.timeout;
  r.headers = {{"Authorization", "Token token=" + options_.token},
               {"Accept", "application/vnd.pagerduty+json;version=2"}};
  return r;
}

Task<Result<std::vector<std::string>>> PagerDutyApi::on_call_emails(std::string schedule) {
  // earliest=true: one entry per user and escalation level, i.e. who is on call now.
  auto r = request("GET", "/oncalls?schedule_ids%5B%5D=" + http::url_encode(schedule) +
                              "&include%5B%5D=users&earliest=true&limit=100");
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "PagerDuty /oncalls: " + answer.error().detail);
  }
  if (answer->status != 200) {
    co_return alerting::paging_status_error("PagerDuty /oncalls", answer->status, error_message(answer->body));
  }
  co_return parse_oncalls(answer->body);
}

Task<Result<void>> PagerDutyApi::add_note(std::string incident_id, std::string text) {
  auto r = request("POST", "/incidents/" + http::url_encode(incident_id) + "/notes");
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("From", options_.from_email);
  r.body = json{{"note", {{"content", text}}}}.dump();
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "PagerDuty note: " + answer.error().detail);
  }
  if (answer->status != 200 && answer->status != 201) {
    co_return alerting::paging_status_error("PagerDuty note", answer->status, error_message(answer->body));
  }
  Result<void> done;
  co_return done;
}

Task<Result<void>> PagerDutyApi::acknowledge(std::string incident_id, std::string note) {
  auto r = request("PUT", "/incidents/" + http::url_encode(incident_id));
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("From", options_.from_email);
  r.body = json{{"incident", {{"type", "incident_reference"}, {"status", "acknowledged"}}}}.dump();
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "PagerDuty acknowledge: " + answer.error().detail);
  }
  if (answer->status != 200) {
    co_return alerting::paging_status_error("PagerDuty acknowledge", answer->status, error_message(answer->body));
  }
  // PagerDuty's acknowledgement carries no text: who acknowledged goes in a note.
  auto noted = co_await add_note(std::move(incident_id), std::move(note));
  co_return noted;
}

}  // namespace vigil::pagerduty
