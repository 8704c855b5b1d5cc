#pragma once
// Included only by the Beast translation units (beast_http_client.cpp, beast_transport.cpp):
// resolve → TCP connect → optional HTTP CONNECT through a proxy → optional TLS with SNI and host
// name verification, all under one deadline on the lowest layer.

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "bot/base/error.h"
#include "bot/base/logging.h"
#include "bot/base/task.h"
#include "integrations/http/proxy_settings.h"
#include "integrations/http/url.h"

namespace vigil::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

struct ConnectedStream {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  bool via_proxy = false;  // plain http through a proxy: absolute-form targets
};

inline Error network_error(const boost::system::error_code& ec, const std::string& what) {
  if (ec == beast::error::timeout || ec == net::error::timed_out) {
    return Error(Errc::Timeout, what + ": timed out");
  }
  if (ec == net::error::operation_aborted) {
    return Error(Errc::Cancelled, what + ": cancelled");
  }
  return Error(Errc::Unavailable, what + ": " + ec.message());
}

/// A client TLS context that verifies peers against the system store.
inline ssl::context make_client_tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  return ctx;
}

/// make_client_tls_context() on first use: reading the system's CA store takes tens of
/// milliseconds (strace of `vigil serve`: two of them were most of the start before the first
/// connection), and a connection over plain HTTP (a proxy or a stand-in on loopback) never needs it.
/// `ca_file`, when set, is trusted too. One executor only.
class LazyClientTls {
 public:
  explicit LazyClientTls(std::string ca_file = "", Logger log = nullptr)
      : ca_file_(std::move(ca_file)), log_(std::move(log)) {}
  ssl::context& get() {
    if (!ctx_) {
      ctx_.emplace(make_client_tls_context());
      if (!ca_file_.empty()) {
        boost::system::error_code ec;
        ctx_->load_verify_file(ca_file_, ec);
        if (ec && log_) {
          log_->error("CA file {} not loaded: {}", ca_file_, ec.message());
        }
      }
    }
    return *ctx_;
  }

 private:
  std::string ca_file_;
  Logger log_;
  std::optional<ssl::context> ctx_;
};

inline Task<Result<ConnectedStream>> connect_stream(net::any_io_executor ex, LazyClientTls& tls_ctx, Url url,
                                                    ProxySettings proxies,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    bool always_tunnel = false) {
  const auto proxy = proxies.proxy_for(url);
  const Url& first_hop = proxy ? *proxy : url;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(first_hop.host, first_hop.port, kToken);
  if (rec) {
    co_return network_error(rec, "resolve " + first_hop.host);
  }
  beast::tcp_stream stream(ex);
  stream.expires_at(deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, kToken);
  (void)ep;
  if (cec) {
    co_return network_error(cec, "connect " + first_hop.host + ":" + first_hop.port);
  }
  stream.socket().set_option(tcp::no_delay(true));
  ConnectedStream out;
  if (proxy && (url.is_tls() || always_tunnel)) {
    // Tunnel through the proxy: CONNECT host:port, then TLS (or a websocket) inside the tunnel.
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, url.host + ":" + url.port, 11};
    req.set(bhttp::field::host, url.host + ":" + url.port);
    if (!proxy->userinfo.empty()) {
      req.set(bhttp::field::proxy_authorization, basic_auth(url_decode(proxy->userinfo)));
    }
    auto [wec, wn] = co_await bhttp::async_write(stream, req, kToken);
    (void)wn;
    if (wec) {
      co_return network_error(wec, "proxy CONNECT");
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a CONNECT answer has no body
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kToken);
    (void)hn;
    if (hec) {
      co_return network_error(hec, "proxy CONNECT answer");
    }
    if (parser.get().result_int() != 200) {
      co_return Error(Errc::Unavailable, "proxy refused CONNECT " + url.host + ":" + url.port + " with HTTP " +
                                             std::to_string(parser.get().result_int()));
    }
  } else if (proxy) {
    out.via_proxy = true;
  }
  if (!url.is_tls()) {
    stream.expires_never();
    out.plain.emplace(std::move(stream));
    co_return out;
  }
  out.tls.emplace(std::move(stream), tls_ctx.get());
  auto& tls = *out.tls;
  // SNI: Slack's edge needs it to pick the certificate.
  if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
    co_return Error(Errc::Unavailable, "TLS: cannot set SNI for " + url.host);
  }
  tls.set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(tls).expires_at(deadline);
  auto [sec] = co_await tls.async_handshake(ssl::stream_base::client, kToken);
  if (sec) {
    co_return network_error(sec, "TLS handshake with " + url.host);
  }
  beast::get_lowest_layer(tls).expires_never();
  co_return out;
}

}  // namespace vigil::http::detail
