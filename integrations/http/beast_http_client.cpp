#include "integrations/http/beast_http_client.h"

#include <algorithm>
#include <map>
#include <vector>

#include "integrations/http/beast_connect.h"

namespace vigil::http {
namespace {

using namespace detail;

struct PooledConnection {
  explicit PooledConnection(ConnectedStream&& s) : stream(std::move(s)) {}
  ConnectedStream stream;
  beast::flat_buffer buffer;
};

template <class Stream>
Task<Result<HttpResponse>> exchange(Stream& stream, beast::tcp_stream& lowest,
                                    beast::flat_buffer& buffer,
                                    bhttp::request<bhttp::string_body>& req,
                                    std::chrono::steady_clock::time_point deadline, bool& keep_alive) {
  lowest.expires_at(deadline);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, kToken);
  (void)wn;
  if (wec) {
    co_return network_error(wec, "send " + std::string(req.target()));
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kToken);
  (void)rn;
  if (rec) {
    co_return network_error(rec, "read answer to " + std::string(req.target()));
  }
  lowest.expires_never();
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  keep_alive = res.keep_alive();
  co_return out;
}

class BeastHttpClient final : public HttpClient {
 public:
  BeastHttpClient(net::any_io_executor ex, BeastHttpClientOptions options, Logger log)
      : ex_(std::move(ex)), options_(std::move(options)), log_(std::move(log)),
        tls_(make_client_tls_context()) {}

  Task<Result<HttpResponse>> send(HttpRequest request) override {
    const auto url = Url::parse(request.url);
    if (!url || url->scheme == "ws" || url->scheme == "wss") {
      co_return Error(Errc::InvalidInput, "not an http(s) URL: " + request.url);
    }
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    const auto origin = url->origin();
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<PooledConnection> conn = take_idle(origin);
      const bool reused = conn != nullptr;
      if (!conn) {
        auto connected = co_await connect_stream(ex_, tls_, *url, options_.proxy, deadline);
        if (!connected) {
          co_return connected.error();
        }
        conn = std::make_unique<PooledConnection>(std::move(*connected));
      }
      bhttp::request<bhttp::string_body> req;
      req.method(bhttp::string_to_verb(request.method));
      req.target(conn->stream.via_proxy ? url->scheme + "://" + url->host_header() + url->target
                                        : url->target);
      req.version(11);
      req.set(bhttp::field::host, url->host_header());
      req.set(bhttp::field::user_agent, options_.user_agent);
      for (const auto& [k, v] : request.headers) {
        req.set(k, v);
      }
      if (conn->stream.via_proxy && !options_.proxy.http_proxy->userinfo.empty()) {
        req.set(bhttp::field::proxy_authorization,
                basic_auth(url_decode(options_.proxy.http_proxy->userinfo)));
      }
      req.body() = request.body;
      req.keep_alive(true);
      req.prepare_payload();
      bool keep_alive = false;
      Result<HttpResponse> res = Error(Errc::Unavailable);
      if (conn->stream.tls) {
        res = co_await exchange(*conn->stream.tls, beast::get_lowest_layer(*conn->stream.tls),
                                conn->buffer, req, deadline, keep_alive);
      } else {
        res = co_await exchange(*conn->stream.plain, *conn->stream.plain, conn->buffer, req,
                                deadline, keep_alive);
      }
      if (!res) {
        // A pooled connection the server closed while idle: try once more on a fresh one.
        if (reused && attempt == 0 && !res.error().is(Errc::Timeout) &&
            std::chrono::steady_clock::now() < deadline) {
          continue;
        }
        co_return res;
      }
      if (keep_alive) {
        give_back(origin, std::move(conn));
      }
      co_return res;
    }
    co_return Error(Errc::Unavailable, "no connection to " + origin);
  }

 private:
  std::unique_ptr<PooledConnection> take_idle(const std::string& origin) {
    auto it = idle_.find(origin);
    if (it == idle_.end() || it->second.empty()) {
      return nullptr;
    }
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void give_back(const std::string& origin, std::unique_ptr<PooledConnection> conn) {
    auto& list = idle_[origin];
    if (list.size() < options_.max_idle_per_origin) {
      list.push_back(std::move(conn));
    }
  }

  net::any_io_executor ex_;
  BeastHttpClientOptions options_;
  Logger log_;
  ssl::context tls_;
  std::map<std::string, std::vector<std::unique_ptr<PooledConnection>>> idle_;
};

}  // namespace

std::unique_ptr<HttpClient> make_beast_http_client(boost::asio::any_io_executor ex,
                                                   BeastHttpClientOptions options, Logger log) {
  return std::make_unique<BeastHttpClient>(std::move(ex), std::move(options), std::move(log));
}

}  // namespace vigil::http
