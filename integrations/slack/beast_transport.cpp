#include "integrations/slack/beast_transport.h"

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "integrations/http/beast_connect.h"

namespace vigil::slack {
namespace {

using namespace http::detail;
namespace websocket = boost::beast::websocket;

Error ws_error(const boost::system::error_code& ec, const std::string& what) {
  if (ec == websocket::error::closed) {
    return Error(Errc::Closed, what + ": closed by peer");
  }
  if (ec == beast::error::timeout) {
    return Error(Errc::Timeout, what + ": no frame or pong within the deadline");
  }
  if (ec == net::error::eof || ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated) {
    return Error(Errc::Closed, what + ": connection dropped (" + ec.message() + ")");
  }
  return network_error(ec, what);
}

template <class NextLayer>
class BeastConnection final : public Connection {
 public:
  BeastConnection(NextLayer&& next, const BeastTransportOptions& options) : ws_(std::move(next)), options_(options) {}

  Task<Result<void>> handshake(const http::Url& url, std::chrono::steady_clock::time_point deadline) {
    beast::get_lowest_layer(ws_).expires_at(deadline);
    // Handshake deadline on the lowest layer; then the websocket's own timeout takes over.
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(bhttp::field::user_agent, "vigil"); }));
    ws_.read_message_max(options_.max_frame_bytes);
    websocket::response_type res;
    auto [ec] = co_await ws_.async_handshake(res, url.host_header(), url.target, kToken);
    if (ec) {
      if (res.result_int() != 0 && res.result_int() != 101) {
        co_return Error(Errc::Protocol, "websocket upgrade refused: HTTP " + std::to_string(res.result_int()) + " " +
                                            std::string(res.reason()) +
                                            " (expected 101; a proxy or middlebox in the way?)");
      }
      co_return ws_error(ec, "websocket handshake with " + url.host);
    }
    beast::get_lowest_layer(ws_).expires_never();
    // The client preset has no idle timeout and no pings: set both, or a dead link goes unseen.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.close_timeout);
    t.idle_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.pong_timeout);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.text(true);
    Result<void> done;
    co_return done;
  }

  Task<Result<std::string>> read() override {
    if (closed_) {
      co_return Error(Errc::Closed, "connection closed");
    }
    buffer_.clear();
    auto [ec, n] = co_await ws_.async_read(buffer_, kToken);
    (void)n;
    if (ec) {
      closed_ = true;
      co_return ws_error(ec, "websocket read");
    }
    co_return beast::buffers_to_string(buffer_.data());
  }

  Task<Result<void>> write(std::string text) override {
    if (closed_) {
      co_return Error(Errc::Closed, "connection closed");
    }
    auto [ec, n] = co_await ws_.async_write(net::buffer(text), kToken);
    (void)n;
    if (ec) {
      co_return ws_error(ec, "websocket write");
    }
    Result<void> done;
    co_return done;
  }

  Task<> close() override {
    if (closed_) {
      abort();
      co_return;
    }
    closed_ = true;
    // Slack may ignore close frames and leave TCP open: the websocket's handshake timeout (set to
    // close_timeout once open) bounds the close handshake, then the socket is dropped.
    auto [ec] = co_await ws_.async_close(websocket::close_code::normal, kToken);
    (void)ec;
    abort();
  }

  void abort() override {
    closed_ = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  websocket::stream<NextLayer> ws_;
  BeastTransportOptions options_;
  beast::flat_buffer buffer_;
  bool closed_ = false;
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(net::any_io_executor ex, BeastTransportOptions options, Logger log)
      : ex_(std::move(ex)), options_(std::move(options)), log_(std::move(log)) {}

  Task<Result<std::unique_ptr<Connection>>> connect(std::string url_text) override {
    const auto url = http::Url::parse(url_text);
    if (!url || (url->scheme != "ws" && url->scheme != "wss")) {
      co_return Error(Errc::InvalidInput, "not a ws:// or wss:// URL");
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.handshake_timeout;
    // Websockets always go through a CONNECT tunnel when a proxy applies (ws:// too).
    auto stream = co_await connect_stream(ex_, tls_, *url, options_.proxy, deadline, true);
    if (!stream) {
      co_return stream.error();
    }
    if (stream->tls) {
      auto conn =
          std::make_unique<BeastConnection<beast::ssl_stream<beast::tcp_stream>>>(std::move(*stream->tls), options_);
      auto ok = co_await conn->handshake(*url, deadline);
      if (!ok) {
        co_return ok.error();
      }
      co_return std::unique_ptr<Connection>(std::move(conn));
    }
    auto conn = std::make_unique<BeastConnection<beast::tcp_stream>>(std::move(*stream->plain), options_);
    auto ok = co_await conn->handshake(*url, deadline);
    if (!ok) {
      co_return ok.error();
    }
    co_return std::unique_ptr<Connection>(std::move(conn));
  }

 private:
  net::any_io_executor ex_;
  BeastTransportOptions options_;
  Logger log_;
  LazyClientTls tls_;
};

}  // namespace

std::unique_ptr<Transport> make_beast_transport(boost::asio::any_io_executor ex, BeastTransportOptions options,
                                                Logger log) {
  return std::make_unique<BeastTransport>(std::move(ex), std::move(options), std::move(log));
}

}  // namespace vigil::slack
