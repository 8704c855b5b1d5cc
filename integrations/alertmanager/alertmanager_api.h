#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/alertmanager/alert_groups.h"
#include "integrations/http/http_client.h"

namespace vigil::alertmanager {

struct AlertmanagerApiOptions {
  std::string url;        // Alertmanager's address, e.g. http://alertmanager:9093
  std::string api_token;  // sent as a bearer token when set
  std::chrono::milliseconds timeout{5'000};
};

/// Alertmanager's API v2, read only.
class AlertmanagerApi {
 public:
  AlertmanagerApi(http::HttpClient& http, AlertmanagerApiOptions options);
  virtual ~AlertmanagerApi() = default;

  const std::string& url() const { return options_.url; }
  /// GET /api/v2/alerts/groups (active alerts; silenced and inhibited ones included).
  virtual Task<Result<std::vector<AlertGroup>>> alert_groups();

 private:
  http::HttpClient& http_;
  AlertmanagerApiOptions options_;
};

}  // namespace vigil::alertmanager
