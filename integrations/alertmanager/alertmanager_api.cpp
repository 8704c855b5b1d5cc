#include "integrations/alertmanager/alertmanager_api.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "bot/base/untrusted_json.h"

namespace vigil::alertmanager {

std::vector<SilenceMatcher> matchers_for(const LabelSet& labels) {
  std::vector<SilenceMatcher> out;
  for (const auto& [name, value] : labels) {
    if (!name.empty() && !value.empty()) {
      out.push_back({name, value});
    }
  }
  return out;
}

std::string rfc3339(long long unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string silence_body(const SilenceRequest& s) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const auto& m : s.matchers) {
    matchers.push_back({{"name", m.name}, {"value", m.value}, {"isRegex", false}, {"isEqual", true}});
  }
  return nlohmann::json{{"matchers", matchers},
                        {"startsAt", rfc3339(s.starts_at)},
                        {"endsAt", rfc3339(s.ends_at)},
                        {"createdBy", s.created_by},
                        {"comment", s.comment}}
      .dump();
}

Result<std::string> parse_silence_id(std::string_view body) {
  const auto j = parse_untrusted_json(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("silenceID") || !j["silenceID"].is_string() ||
      j["silenceID"].get<std::string>().empty()) {
    return make_error(Errc::Protocol, "Alertmanager's answer to a new silence has no silenceID");
  }
  auto id = j["silenceID"].get<std::string>();
  if (id.size() > 100) {
    return make_error(Errc::Protocol, "Alertmanager's silenceID is too long");
  }
  return id;
}

AlertmanagerApi::AlertmanagerApi(http::HttpClient& http, AlertmanagerApiOptions options)
    : http_(http), options_(std::move(options)) {
  while (!options_.url.empty() && options_.url.back() == '/') {
    options_.url.pop_back();
  }
}

Task<Result<std::vector<AlertGroup>>> AlertmanagerApi::alert_groups() {
  http::HttpRequest request;
  request.method = "GET";
  request.url = options_.url + "/api/v2/alerts/groups";
  request.timeout = options_.timeout;
  request.headers.emplace_back("Accept", "application/json");
  if (!options_.api_token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options_.api_token);
  }
  auto answer = co_await http_.send(std::move(request));
  if (!answer) {
    const auto detail = "Alertmanager at " + options_.url + ": " + answer.error().detail;
    co_return Error(answer.error().code, detail);
  }
  if (answer->status != 200) {
    const auto detail = "Alertmanager at " + options_.url + " answered HTTP " + std::to_string(answer->status);
    co_return Error(Errc::Unavailable, detail);
  }
  co_return parse_alert_groups(answer->body);
}

}  // namespace vigil::alertmanager

namespace vigil::alertmanager {

Task<Result<std::string>> AlertmanagerApi::create_silence(SilenceRequest silence) {
  if (silence.matchers.empty()) {
    co_return make_error(Errc::InvalidInput, "the alert has no labels to silence it by");
  }
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.url + "/api/v2/silences";
  request.timeout = options_.timeout;
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Content-Type", "application/json");
  if (!options_.api_token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options_.api_token);
  }
  request.body = silence_body(silence);
  auto answer = co_await http_.send(std::move(request));
  if (!answer) {
    const auto detail = "Alertmanager at " + options_.url + ": " + answer.error().detail;
    co_return Error(answer.error().code, detail);
  }
  if (answer->status != 200) {
    // Alertmanager's refusal is a short plain-text or JSON reason: worth showing (cut).
    const auto detail = "Alertmanager at " + options_.url + " refused the silence: HTTP " +
                        std::to_string(answer->status) + " " + answer->body.substr(0, 300);
    const auto code = answer->status == 400 ? Errc::InvalidInput : Errc::Unavailable;
    co_return Error(code, detail);
  }
  co_return parse_silence_id(answer->body);
}

}  // namespace vigil::alertmanager
