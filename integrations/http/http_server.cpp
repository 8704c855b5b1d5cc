#include "integrations/http/http_server.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct Core {
  Core(net::any_io_executor e, HttpServerOptions o, Logger l)
      : ex(std::move(e)),
        options(std::move(o)),
        log(std::move(l)),
        acceptor(ex),
        table(ConnectionLimits{options.max_connections, options.max_connections_per_client}) {}

  void closed(CloseReason reason) const {
    if (options.on_close) {
      options.on_close(reason);
    }
  }

  net::any_io_executor ex;
  HttpServerOptions options;
  Logger log;
  tcp::acceptor acceptor;
  std::map<std::pair<std::string, std::string>, HttpHandler> routes;  // (method, path)
  ConnectionTable table;
  std::map<ConnectionTable::Id, beast::tcp_stream*> streams;  // each session's, to close an evicted one
  bool stopped = false;
};

HttpResponse plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// Errors that mean the peer went away or its deadline passed: nothing to answer.
bool is_disconnect(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
         ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::broken_pipe ||
         ec == bhttp::error::partial_message;
}

Task<bool> write_response(beast::tcp_stream& stream, const HttpResponse& response, unsigned version, bool keep_alive,
                          std::chrono::milliseconds timeout) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), version};
  for (const auto& [name, value] : response.headers) {
    res.set(name, value);
  }
  if (res.find(bhttp::field::content_type) == res.end()) {
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  }
  res.set(bhttp::field::server, "vigil");
  res.body() = response.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  stream.expires_after(timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, kToken);
  co_return !ec;
}

// After an error answer the client may still be sending its body; reading (and dropping) it for a
// moment before closing lets the answer arrive instead of a connection reset.
Task<> drain(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::milliseconds(500));
  std::array<char, 4096> scratch{};
  std::size_t total = 0;
  while (total < 8 * 1024 * 1024) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(scratch), kToken);
    if (ec) {
      break;
    }
    total += n;
  }
}

Task<HttpResponse> dispatch(std::shared_ptr<Core> core, HttpRequest request) {
  const std::string path(request_path(request.url));
  const auto route = core->routes.find({request.method, path});
  if (route == core->routes.end()) {
    for (const auto& [key, handler] : core->routes) {
      if (key.second == path) {
        auto r = plain(405, "method not allowed\n");
        r.headers["allow"] = key.first;
        co_return r;
      }
    }
    auto r = plain(404, "not found\n");
    co_return r;
  }
  // A copy: a handler may add routes while this one runs.
  HttpHandler handler = route->second;
  try {
    auto r = co_await handler(std::move(request));
    co_return r;
  } catch (const std::exception& e) {
    core->log->error("http {} {} failed: {}", request.method, path, e.what());
  }
  auto r = plain(500, "internal error\n");
  co_return r;
}

// The answer to a request whose header could not be read; none when the peer went away.
std::optional<HttpResponse> header_refusal(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return plain(431, "request header fields too large\n");
  }
  if (ec == bhttp::error::body_limit) {
    // A Content-Length over the limit is refused as soon as the header is read.
    return plain(413, "request body too large\n");
  }
  if (!is_disconnect(ec)) {
    return plain(400, "bad request\n");
  }
  return std::nullopt;
}

// The answer to a request whose body could not be read; none when the peer went away.
std::optional<HttpResponse> body_refusal(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return plain(413, "request body too large\n");
  }
  if (!is_disconnect(ec)) {
    return plain(400, "bad request\n");
  }
  return std::nullopt;
}

// Answers and closes: the connection is not kept after a refusal.
Task<> refuse(beast::tcp_stream& stream, const HttpResponse& refusal, unsigned version,
              std::chrono::milliseconds timeout) {
  co_await write_response(stream, refusal, version, false, timeout);
  co_await drain(stream);
}

// "100 Continue" to a client that waits for it before sending its body; false when it cannot be sent.
Task<bool> send_continue(beast::tcp_stream& stream, unsigned version, std::chrono::milliseconds timeout) {
  bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
  stream.expires_after(timeout);
  auto [wec, wn] = co_await bhttp::async_write(stream, cont, kToken);
  co_return !wec;
}

// The request as handlers see it: header names in lower case.
HttpRequest request_of(bhttp::request<bhttp::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.url = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

// Reads a request header: its first byte within first_byte_timeout of the accept for the first
// request, keep_alive_timeout of the last answer for the next ones (unless a pipelined request is
// buffered already), then all of it within header_timeout. A deadline that passes is told to
// core.closed (an idle kept-alive connection that ends is not).
Task<beast::error_code> read_request_header(Core& core, beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            bhttp::request_parser<bhttp::string_body>& parser, bool first) {
  const auto& options = core.options;
  if (buffer.size() == 0) {
    stream.expires_after(first ? options.first_byte_timeout : options.keep_alive_timeout);
    const auto space = buffer.prepare(4096);
    auto [ec, n] = co_await stream.async_read_some(space, kToken);
    if (ec) {
      if (ec == beast::error::timeout && first) {
        core.closed(CloseReason::FirstByteTimeout);
      }
      co_return ec;
    }
    buffer.commit(n);
  }
  // One deadline for the whole header: a client trickling bytes (slowloris) is cut off at it.
  stream.expires_after(options.header_timeout);
  auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kToken);
  if (ec == beast::error::timeout) {
    core.closed(CloseReason::HeaderTimeout);
  }
  co_return ec;
}

Task<> session(std::shared_ptr<Core> core, tcp::socket socket, ConnectionTable::Id id) {
  beast::tcp_stream stream(std::move(socket));
  if (!core->table.holds(id)) {
    co_return;  // evicted before it started
  }
  core->streams[id] = &stream;
  beast::flat_buffer buffer;
  const auto& options = core->options;
  for (bool first = true;; first = false) {
    core->table.waiting(id);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    const auto ec = co_await read_request_header(*core, stream, buffer, parser, first);
    if (ec) {
      if (const auto refusal = header_refusal(ec)) {
        co_await refuse(stream, *refusal, 11, options.write_timeout);
      }
      break;
    }
    core->table.header_received(id);
    const unsigned version = parser.get().version();
    const auto length = parser.content_length();
    if (length && *length > options.max_body_bytes) {
      auto r = plain(413, "request body too large\n");
      co_await refuse(stream, r, version, options.write_timeout);
      break;
    }
    if (parser.get()[bhttp::field::expect] == "100-continue") {
      const bool sent = co_await send_continue(stream, version, options.write_timeout);
      if (!sent) {
        break;
      }
    }
    stream.expires_after(options.body_timeout);
    auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kToken);
    if (bec) {
      if (const auto refusal = body_refusal(bec)) {
        co_await refuse(stream, *refusal, version, options.write_timeout);
      }
      break;
    }
    auto message = parser.release();
    const bool keep_alive = message.keep_alive();
    auto request = request_of(message);
    auto response = co_await dispatch(core, std::move(request));
    const bool again = keep_alive && !core->stopped;
    const bool written = co_await write_response(stream, response, version, again, options.write_timeout);
    if (!written || !again) {
      break;
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
  core->streams.erase(id);
  core->table.release(id);
}

// The client's IP address, the key of the per-client limit.
std::string client_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto address = socket.remote_endpoint(ec).address();
  if (ec) {
    return {};
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

// A short 503 written without waiting (into the empty send buffer of a new socket), then closed.
void refuse_at_once(tcp::socket& socket, CloseReason reason) {
  const std::string body =
      reason == CloseReason::ClientLimit ? "too many connections from your address\n" : "too many connections\n";
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nServer: vigil\r\nConnection: close\r\nRetry-After: 1\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(net::buffer(response), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

// Closes the connection the table evicted; its session ends at its pending read.
void close_evicted(Core& core, ConnectionTable::Id id) {
  const auto it = core.streams.find(id);
  if (it == core.streams.end()) {
    return;
  }
  it->second->close();
  core.streams.erase(it);
  core.closed(CloseReason::Evicted);
}

// Keeps the accepted connection (spawning its session) or refuses it at once.
void admit(const std::shared_ptr<Core>& core, tcp::socket socket) {
  const auto admission = core->table.admit(client_address(socket));
  if (admission.evict) {
    close_evicted(*core, *admission.evict);
  }
  if (!admission.admitted) {
    core->closed(*admission.refused);
    refuse_at_once(socket, *admission.refused);
    return;
  }
  spawn(core->ex, session(core, std::move(socket), *admission.admitted), core->log, "http connection");
}

Task<> accept_loop(std::shared_ptr<Core> core) {
  for (;;) {
    auto [ec, socket] = co_await core->acceptor.async_accept(kToken);
    if (core->stopped) {
      co_return;
    }
    if (ec) {
      if (ec == net::error::operation_aborted) {
        co_return;
      }
      // Out of file descriptors and the like: wait a little instead of spinning.
      core->log->warn("http accept failed: {}", ec.message());
      net::steady_timer pause(core->ex, std::chrono::milliseconds(100));
      co_await pause.async_wait(kToken);
      continue;
    }
    admit(core, std::move(socket));
  }
}

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(net::any_io_executor ex, HttpServerOptions options, Logger log)
      : core_(std::make_shared<Core>(std::move(ex), std::move(options), std::move(log))) {}
  ~BeastHttpServer() override { stop(); }

  void route(std::string method, std::string path, HttpHandler handler) override {
    core_->routes[{std::move(method), std::move(path)}] = std::move(handler);
  }

  Result<void> start() override {
    auto address = parse_listen_address(core_->options.listen);
    if (!address) {
      return address.error();
    }
    beast::error_code ec;
    const auto ip = net::ip::make_address(address->first, ec);
    if (ec) {
      return make_error(Errc::InvalidConfig, "http.listen: not an IP address: " + address->first);
    }
    const tcp::endpoint endpoint(ip, address->second);
    auto& acceptor = core_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
      // The socket's own code (address_in_use, access_denied, …), so the caller can say what to change.
      return Error(ec, core_->options.listen);
    }
    port_ = acceptor.local_endpoint(ec).port();
    spawn(core_->ex, accept_loop(core_), core_->log, "http listener");
    return {};
  }

  unsigned short port() const override { return port_; }

  void stop() override {
    core_->stopped = true;
    beast::error_code ignored;
    core_->acceptor.close(ignored);
  }

 private:
  std::shared_ptr<Core> core_;
  unsigned short port_ = 0;
};

}  // namespace

Result<std::pair<std::string, unsigned short>> parse_listen_address(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::InvalidConfig, "http.listen must be host:port, got '" + std::string(listen) + "'");
  }
  std::string host(listen.substr(0, colon));
  const auto port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "0.0.0.0";
  } else if (host == "localhost") {
    host = "127.0.0.1";
  }
  unsigned long port = 0;
  if (port_text.empty() || port_text.size() > 5) {
    return make_error(Errc::InvalidConfig, "http.listen: bad port in '" + std::string(listen) + "'");
  }
  for (char c : port_text) {
    if (c < '0' || c > '9') {
      return make_error(Errc::InvalidConfig, "http.listen: bad port in '" + std::string(listen) + "'");
    }
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) {
    return make_error(Errc::InvalidConfig, "http.listen: bad port in '" + std::string(listen) + "'");
  }
  return std::make_pair(host, static_cast<unsigned short>(port));
}

std::string request_header(const HttpRequest& request, std::string_view lower_name) {
  for (const auto& [name, value] : request.headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return {};
}

std::string_view request_path(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::unique_ptr<HttpServer> make_beast_http_server(boost::asio::any_io_executor ex, HttpServerOptions options,
                                                   Logger log) {
  return std::make_unique<BeastHttpServer>(std::move(ex), std::move(options), std::move(log));
}

}  // namespace vigil::http
