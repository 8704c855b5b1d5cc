#pragma once

#include <map>
#include <optional>
#include <string>

#include "integrations/http/url.h"

namespace vigil::http {

/// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl and the Python Slack SDK read them: lower-case
/// names win, an empty value means unset, NO_PROXY is a comma list of host suffixes ("*" = all).
struct ProxySettings {
  std::optional<Url> https_proxy;  // used for https:// and wss://
  std::optional<Url> http_proxy;   // used for http:// and ws://
  std::string no_proxy;

  static ProxySettings from_environment(const std::map<std::string, std::string>& env);
  /// The proxy to use for `target`, or nullopt for a direct connection.
  std::optional<Url> proxy_for(const Url& target) const;
};

/// "Basic base64(user:pass)" for Proxy-Authorization.
std::string basic_auth(const std::string& userinfo);

}  // namespace vigil::http
