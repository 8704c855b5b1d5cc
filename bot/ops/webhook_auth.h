#pragma once

#include <string>
#include <string_view>

#include "bot/core/config.h"
#include "integrations/http/http_client.h"

namespace vigil {

/// Who may post to /webhooks/<source>: Alertmanager, OpsGenie and Grafana send
/// `Authorization: Bearer <token>`; PagerDuty signs the body (X-PagerDuty-Signature, v1 HMAC-SHA256,
/// any of the configured secrets during a rotation). Tokens are compared in constant time.
class WebhookAuth {
 public:
  enum class Decision {
    Accepted,
    NotConfigured,  // no token or secret for this source: the endpoint is off (404)
    Unauthorized,   // missing or wrong credentials (401)
    UnknownSource,  // not a webhook we serve (404)
  };

  explicit WebhookAuth(HttpConfig config);

  Decision check(std::string_view source, const http::HttpRequest& request) const;
  bool is_configured(std::string_view source) const;

  /// True when `authorization` is "Bearer <token>" (scheme case-insensitive); constant time in the
  /// token's content and length.
  static bool bearer_matches(std::string_view authorization, std::string_view token);

 private:
  HttpConfig config_;
};

}  // namespace vigil
