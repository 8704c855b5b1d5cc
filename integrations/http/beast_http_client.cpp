#include "integrations/http/beast_http_client.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

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
Task<Result<HttpResponse>> exchange(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
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
      : ex_(std::move(ex)), options_(std::move(options)), log_(std::move(log)), tls_(options_.ca_file, log_) {
    options_.max_connections_per_origin = std::max<std::size_t>(1, options_.max_connections_per_origin);
  }
  ~BeastHttpClient() override { *alive_ = false; }

  Task<Result<HttpResponse>> send(HttpRequest request) override {
    const auto url = Url::parse(request.url);
    if (!url || url->scheme == "ws" || url->scheme == "wss") {
      co_return Error(Errc::InvalidInput, "not an http(s) URL: " + request.url);
    }
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    const auto origin = url->origin();
    auto leased = co_await lease(origin, deadline);
    if (!leased) {
      co_return leased.error();
    }
    // The slot on the origin's cap is ours from here; it goes back however this ends.
    SlotGuard slot{this, alive_, origin, true};
    std::unique_ptr<PooledConnection> conn = std::move(*leased);
    for (int attempt = 0; attempt < 2; ++attempt) {
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
      req.target(conn->stream.via_proxy ? url->scheme + "://" + url->host_header() + url->target : url->target);
      req.version(11);
      req.set(bhttp::field::host, url->host_header());
      req.set(bhttp::field::user_agent, options_.user_agent);
      for (const auto& [k, v] : request.headers) {
        req.set(k, v);
      }
      if (conn->stream.via_proxy && !options_.proxy.http_proxy->userinfo.empty()) {
        req.set(bhttp::field::proxy_authorization, basic_auth(url_decode(options_.proxy.http_proxy->userinfo)));
      }
      req.body() = request.body;
      req.keep_alive(true);
      req.prepare_payload();
      bool keep_alive = false;
      Result<HttpResponse> res = Error(Errc::Unavailable);
      if (conn->stream.tls) {
        res = co_await exchange(*conn->stream.tls, beast::get_lowest_layer(*conn->stream.tls), conn->buffer, req,
                                deadline, keep_alive);
      } else {
        res = co_await exchange(*conn->stream.plain, *conn->stream.plain, conn->buffer, req, deadline, keep_alive);
      }
      if (!res) {
        // A pooled connection the server closed while idle: once more on a fresh one, same slot.
        conn.reset();
        if (reused && attempt == 0 && !res.error().is(Errc::Timeout) && std::chrono::steady_clock::now() < deadline) {
          continue;
        }
        co_return res;
      }
      if (keep_alive) {
        slot.held = false;
        give_back(origin, std::move(conn));
      }
      co_return res;
    }
    co_return Error(Errc::Unavailable, "no connection to " + origin);
  }

 private:
  struct Waiter {
    net::steady_timer* wake = nullptr;
    bool granted = false;   // a slot on the cap was handed over, with `conn` or to open one
    bool consumed = false;  // the waiting coroutine took it
    std::unique_ptr<PooledConnection> conn;
  };
  struct Origin {
    std::vector<std::unique_ptr<PooledConnection>> idle;
    std::size_t open = 0;         // counted against the cap: in use, being opened, or idle
    std::deque<Waiter*> waiters;  // first come, first served
  };
  // Gives the slot of a request that ended without a reusable connection back to the origin.
  struct SlotGuard {
    BeastHttpClient* client;
    std::shared_ptr<const bool> alive;
    std::string origin;
    bool held = true;
    ~SlotGuard() {
      if (held && *alive) {
        client->release_slot(origin);
      }
    }
  };

  /// A slot under the origin's cap: an idle connection, or nullptr meaning "open a new one".
  Task<Result<std::unique_ptr<PooledConnection>>> lease(std::string origin,
                                                        std::chrono::steady_clock::time_point deadline) {
    auto& o = origins_[origin];
    if (!o.idle.empty()) {
      std::unique_ptr<PooledConnection> conn = std::move(o.idle.back());
      o.idle.pop_back();
      co_return std::move(conn);
    }
    if (o.open < options_.max_connections_per_origin) {
      ++o.open;
      std::unique_ptr<PooledConnection> none;
      co_return std::move(none);
    }
    net::steady_timer wake(ex_, deadline);
    Waiter me;
    me.wake = &wake;
    o.waiters.push_back(&me);
    // Leaves the queue however the wait ends; a slot handed over but never taken goes back.
    struct Leave {
      BeastHttpClient* client;
      std::shared_ptr<const bool> alive;
      const std::string& origin;
      Waiter* w;
      ~Leave() {
        if (!*alive) {
          return;
        }
        std::erase(client->origins_[origin].waiters, w);
        if (w->granted && !w->consumed) {
          w->conn.reset();
          client->release_slot(origin);
        }
      }
    } leave{this, alive_, origin, &me};
    while (!me.granted) {
      auto [ec] = co_await wake.async_wait(kToken);
      if (!ec) {
        break;  // the deadline
      }
    }
    if (!me.granted) {
      co_return Error(Errc::Timeout, "no free connection to " + origin + " before the deadline (" +
                                         std::to_string(options_.max_connections_per_origin) + " in use)");
    }
    me.consumed = true;
    co_return std::move(me.conn);
  }

  // Hands the slot (and `conn`, when given) to the first waiter, else keeps or closes it.
  void hand_over(Origin& o, std::unique_ptr<PooledConnection> conn) {
    auto* next = o.waiters.front();
    o.waiters.pop_front();
    next->granted = true;
    next->conn = std::move(conn);
    next->wake->cancel();
  }

  void give_back(const std::string& origin, std::unique_ptr<PooledConnection> conn) {
    auto& o = origins_[origin];
    if (!o.waiters.empty()) {
      hand_over(o, std::move(conn));
    } else if (o.idle.size() < options_.max_idle_per_origin) {
      o.idle.push_back(std::move(conn));
    } else {
      --o.open;  // closed as `conn` goes
    }
  }

  void release_slot(const std::string& origin) {
    auto& o = origins_[origin];
    if (!o.waiters.empty()) {
      hand_over(o, nullptr);
    } else if (o.open > 0) {
      --o.open;
    }
  }

  net::any_io_executor ex_;
  BeastHttpClientOptions options_;
  Logger log_;
  LazyClientTls tls_;
  std::map<std::string, Origin> origins_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<HttpClient> make_beast_http_client(boost::asio::any_io_executor ex, BeastHttpClientOptions options,
                                                   Logger log) {
  return std::make_unique<BeastHttpClient>(std::move(ex), std::move(options), std::move(log));
}

}  // namespace vigil::http
