#include "integrations/opsgenie/opsgenie_api.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"
#include "integrations/http/url.h"

namespace vigil::opsgenie {
namespace {

using nlohmann::json;

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

}  // namespace

bool is_schedule_id(std::string_view s) {
  // 8-4-4-4-12 hex digits.
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

Result<std::vector<std::string>> parse_on_calls(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_object()) {
    return make_error(Errc::Protocol, "OpsGenie on-calls answer has no \"data\" object");
  }
  const auto& data = j["data"];
  const auto recipients = data.find("onCallRecipients");
  if (recipients == data.end() || !recipients->is_array()) {
    return make_error(Errc::Protocol, "OpsGenie on-calls answer has no data.onCallRecipients (flat=true)");
  }
  std::vector<std::string> out;
  for (const auto& r : *recipients) {
    if (!r.is_string()) {
      continue;
    }
    auto email = alerting::normalise_email(r.get<std::string>());
    if (!email.empty() && std::find(out.begin(), out.end(), email) == out.end()) {
      out.push_back(std::move(email));
    }
  }
  return out;
}

std::string error_message(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("message") || !j["message"].is_string()) {
    return {};
  }
  return j["message"].get<std::string>();
}

OpsGenieApi::OpsGenieApi(http::HttpClient& http, OpsGenieApiOptions options)
    : http_(http), options_(std::move(options)) {
  options_.api_url = trim_slash(options_.api_url);
}

http::HttpRequest OpsGenieApi::request(std::string method, std::string path_and_query) const {
  http::HttpRequest r;
  r.method = std::move(method);
  r.url = options_.api_url + path_and_query;
  r.timeout = options_.timeout;
  r.headers = {{"Authorization", "GenieKey " + options_.api_key}, {"Accept", "application/json"}};
  return r;
}

Task<Result<std::vector<std::string>>> OpsGenieApi::on_call_emails(std::string schedule) {
  std::string target = "/v2/schedules/" + http::url_encode(schedule) + "/on-calls?flat=true";
  if (!is_schedule_id(schedule)) {
    target += "&scheduleIdentifierType=name";
  }
  auto r = request("GET", std::move(target));
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "OpsGenie on-calls: " + answer.error().detail);
  }
  if (answer->status != 200) {
    co_return alerting::paging_status_error("OpsGenie on-calls", answer->status, error_message(answer->body));
  }
  co_return parse_on_calls(answer->body);
}

Task<Result<void>> OpsGenieApi::add_note(std::string alert_id, std::string text) {
  auto r = request("POST", "/v2/alerts/" + http::url_encode(alert_id) + "/notes?identifierType=id");
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json{{"note", text}, {"source", "Vigil"}, {"user", "Vigil"}}.dump();
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "OpsGenie note: " + answer.error().detail);
  }
  // Alert actions are asynchronous in OpsGenie: 202 Accepted.
  if (answer->status != 200 && answer->status != 201 && answer->status != 202) {
    co_return alerting::paging_status_error("OpsGenie note", answer->status, error_message(answer->body));
  }
  Result<void> done;
  co_return done;
}

Task<Result<void>> OpsGenieApi::acknowledge(std::string alert_id, std::string note) {
  auto r = request("POST", "/v2/alerts/" + http::url_encode(alert_id) + "/acknowledge?identifierType=id");
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json{{"note", note}, {"source", "Vigil"}, {"user", "Vigil"}}.dump();
  auto answer = co_await http_.send(std::move(r));
  if (!answer) {
    co_return Error(answer.error().code, "OpsGenie acknowledge: " + answer.error().detail);
  }
  if (answer->status != 200 && answer->status != 201 && answer->status != 202) {
    co_return alerting::paging_status_error("OpsGenie acknowledge", answer->status, error_message(answer->body));
  }
  Result<void> done;
  co_return done;
}

}  // namespace vigil::opsgenie
