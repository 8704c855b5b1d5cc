#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/http/http_client.h"

namespace vigil::http {

/// One route's handler. The request's `url` is the request target as sent (path and query),
/// header names are lower case; `timeout` is unused.
using HttpHandler = std::function<Task<HttpResponse>(HttpRequest)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:9090";             // host:port; port 0 picks a free one
  std::size_t max_body_bytes = 1024 * 1024;          // larger bodies get 413
  std::size_t max_header_bytes = 16 * 1024;          // larger headers get 431
  std::chrono::milliseconds header_timeout{10'000};  // the whole header, also idle keep-alive
  std::chrono::milliseconds body_timeout{30'000};    // the whole body
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 256;  // more are closed at once
};

/// A small HTTP/1.1 server: one listener, a coroutine per connection, keep-alive, a route table of
/// exact method + path. Slow or broken clients are answered (400, 413, 431) or disconnected at
/// their deadline; nothing they send can stop the listener.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  /// Adds a route (before or after start()). The path is matched without the query string.
  virtual void route(std::string method, std::string path, HttpHandler handler) = 0;
  /// Binds and starts accepting; InvalidConfig for a bad address, the socket's error code
  /// (boost::asio::error::address_in_use, …) with the address as detail when the bind fails.
  virtual Result<void> start() = 0;
  /// The bound port (after start()).
  virtual unsigned short port() const = 0;
  /// Stops accepting; open connections end at their next deadline or request.
  virtual void stop() = 0;
};

/// Splits "host:port" (IPv6 as "[::1]:9090"; ":9090" listens on every address).
Result<std::pair<std::string, unsigned short>> parse_listen_address(std::string_view listen);

/// The value of header `lower_name` (empty when absent).
std::string request_header(const HttpRequest& request, std::string_view lower_name);
/// The path of a request target, without the query string.
std::string_view request_path(std::string_view target);

std::unique_ptr<HttpServer> make_beast_http_server(boost::asio::any_io_executor ex, HttpServerOptions options,
                                                   Logger log);

}  // namespace vigil::http
