#include "integrations/alertmanager/alertmanager_api.h"

namespace vigil::alertmanager {

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
