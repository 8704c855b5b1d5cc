#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/task.h"
#include "integrations/http/http_client.h"
#include "integrations/http/proxy_settings.h"

namespace vigil::http {

struct BeastHttpClientOptions {
  ProxySettings proxy;                  // usually ProxySettings::from_environment(...)
  std::size_t max_idle_per_origin = 4;  // keep-alive connections kept per scheme://host:port
  std::string user_agent = "vigil";
  /// Connections open at once per origin (in use and idle). More requests wait, first come first
  /// served, for one to come back, within their own deadline: a burst of replies (thousands of
  /// slash commands acked at once) then costs a queue of small coroutines instead of thousands
  /// of sockets and their buffers, on our side and on Slack's.
  std::size_t max_connections_per_origin = 16;
  /// A PEM file of CAs trusted besides the system store (the cluster CA of the Kubernetes API).
  std::string ca_file;
};

/// HTTP/1.1 over Beast for http:// and https:// (TLS with SNI and verification against the system
/// store), per-request deadline, keep-alive reuse and a cap on open connections per origin,
/// HTTP(S)_PROXY support. Use it from one executor.
std::unique_ptr<HttpClient> make_beast_http_client(boost::asio::any_io_executor ex, BeastHttpClientOptions options,
                                                   Logger log);

}  // namespace vigil::http
