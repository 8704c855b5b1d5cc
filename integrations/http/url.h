#pragma once

#include <optional>
#include <string>

namespace vigil::http {

/// An absolute http(s):// or ws(s):// URL split into what a connection needs.
struct Url {
  std::string scheme;  // http, https, ws, wss (lower case)
  std::string host;
  std::string port;      // always set (default for the scheme)
  std::string target;    // path + query, at least "/"
  std::string userinfo;  // user:pass (proxies)

  bool is_tls() const { return scheme == "https" || scheme == "wss"; }
  /// host, or host:port when the port is not the scheme's default (the Host header).
  std::string host_header() const;
  std::string origin() const;  // scheme://host:port

  static std::optional<Url> parse(const std::string& text);
};

/// Percent-encoding for form bodies and query strings.
std::string url_encode(const std::string& s);
std::string url_decode(const std::string& s);

}  // namespace vigil::http
