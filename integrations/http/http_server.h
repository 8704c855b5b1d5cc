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
#include "integrations/http/connection_table.h"
#include "integrations/http/http_client.h"

namespace vigil::http {

/// One route's handler. The request's `url` is the request target as sent (path and query),
/// header names are lower case; `timeout` is unused.
using HttpHandler = std::function<Task<HttpResponse>(HttpRequest)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:9090";     // host:port; port 0 picks a free one
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413
  std::size_t max_header_bytes = 16 * 1024;  // larger headers get 431
  /// The first byte of a connection's first request, counted from the accept.
  std::chrono::milliseconds first_byte_timeout{2'000};
  /// The first byte of the next request on a kept-alive connection, counted from the last answer.
  std::chrono::milliseconds keep_alive_timeout{10'000};
  /// The whole request header, counted from its first byte; a client trickling bytes is cut off.
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds body_timeout{30'000};  // the whole body
  std::chrono::milliseconds write_timeout{30'000};
  /// Open connections at most; at the cap the one waiting longest for its header is closed to
  /// make room, and only when none is waiting is the new one refused.
  std::size_t max_connections = 256;
  std::size_t max_connections_per_client = 32;  // per client IP address; more are refused (503); 0: no limit
  /// Told each connection the listener closes without serving it (for a metric); may be empty.
  std::function<void(CloseReason)> on_close;
};

/// A small HTTP/1.1 server: one listener, a coroutine per connection, keep-alive, a route table of
/// exact method + path. Slow or broken clients are answered (400, 413, 431) or disconnected at
/// their deadline; nothing they send can stop the listener, and slow or idle clients cannot keep a
/// prompt client out (see ConnectionTable): each address holds a bounded number of connections, and
/// at the global cap the connection that has waited longest for its header makes room.
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
