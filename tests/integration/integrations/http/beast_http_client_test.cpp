// The Beast HTTP client against the HTTP server on 127.0.0.1:0, one io_context: keep-alive reuse,
// the cap on connections per origin under a burst, waiting within the request's deadline, and
// slots coming back when connections fail.
#include "integrations/http/beast_http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "integrations/http/http_server.h"

namespace vigil::http {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

// A port on which nothing listens (bound, never listened on, then closed).
unsigned short closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct ServerCounters {
  int in_handler = 0;
  int peak_in_handler = 0;
};

// Answers after yielding to the loop a number of times, so that requests overlap; counts the
// requests being answered at once (one per connection: HTTP/1.1 without pipelining).
Task<HttpResponse> answer_slowly(ServerCounters* counters, HttpRequest request) {
  ++counters->in_handler;
  counters->peak_in_handler = std::max(counters->peak_in_handler, counters->in_handler);
  for (int i = 0; i < 20; ++i) {
    auto ex = co_await net::this_coro::executor;
    co_await net::post(ex, net::use_awaitable);
  }
  --counters->in_handler;
  HttpResponse r;
  r.status = 200;
  r.body = request.body;
  co_return r;
}

// Answers once the test opens the gate.
Task<HttpResponse> answer_when_released(net::steady_timer* gate) {
  co_await gate->async_wait(kToken);
  HttpResponse r;
  r.status = 200;
  r.body = "released";
  co_return r;
}

Task<> send_into(HttpClient* client, HttpRequest request, std::vector<Result<HttpResponse>>* out) {
  auto res = co_await client->send(request);
  out->push_back(std::move(res));
}

class BeastHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    server_ = make_beast_http_server(io_.get_executor(), options, null_logger());
    server_->route("POST", "/slow", [this](HttpRequest r) { return answer_slowly(&counters_, std::move(r)); });
    server_->route("POST", "/held", [this](HttpRequest) { return answer_when_released(&gate_); });
    ASSERT_TRUE(server_->start());
  }

  std::unique_ptr<HttpClient> client(std::size_t max_connections) {
    BeastHttpClientOptions options;
    options.max_connections_per_origin = max_connections;
    return make_beast_http_client(io_.get_executor(), options, null_logger());
  }

  HttpRequest request(const std::string& path, const std::string& body, std::chrono::milliseconds timeout = 5s) const {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    r.body = body;
    r.timeout = timeout;
    return r;
  }

  // Starts `request` on the loop; its result lands in `out`.
  void start(HttpClient& c, HttpRequest r, std::vector<Result<HttpResponse>>& out) {
    net::co_spawn(io_, send_into(&c, std::move(r), &out), net::detached);
  }

  void run_until(const std::function<bool()>& done) {
    io_.restart();
    while (!done() && io_.run_one_for(10s) > 0) {
    }
  }

  net::io_context io_;
  std::unique_ptr<HttpServer> server_;
  net::steady_timer gate_{io_, std::chrono::steady_clock::time_point::max()};
  ServerCounters counters_;
};

TEST_F(BeastHttpClientTest, ABurstNeverOpensMoreConnectionsThanTheCapAndEveryRequestIsAnswered) {
  auto c = client(3);
  std::vector<Result<HttpResponse>> results;
  for (int i = 0; i < 40; ++i) {
    start(*c, request("/slow", "body " + std::to_string(i)), results);
  }
  run_until([&] { return results.size() == 40; });

  ASSERT_EQ(results.size(), 40u);
  std::set<std::string> bodies;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    bodies.insert(r->body);
  }
  EXPECT_EQ(bodies.size(), 40u);  // each answer went to its own request
  EXPECT_EQ(counters_.peak_in_handler, 3);
}

TEST_F(BeastHttpClientTest, WithoutACapLimitingThemTheSameBurstOverlapsMore) {
  // The control for the test above: the server's counter does see overlap beyond 3.
  auto c = client(64);
  std::vector<Result<HttpResponse>> results;
  for (int i = 0; i < 40; ++i) {
    start(*c, request("/slow", "x"), results);
  }
  run_until([&] { return results.size() == 40; });
  ASSERT_EQ(results.size(), 40u);
  EXPECT_GT(counters_.peak_in_handler, 3);
}

TEST_F(BeastHttpClientTest, ARequestWaitingForAConnectionFailsAtItsOwnDeadlineAndTheHolderStillGetsItsAnswer) {
  auto c = client(1);
  std::vector<Result<HttpResponse>> holder;
  std::vector<Result<HttpResponse>> waiter;
  start(*c, request("/held", ""), holder);
  start(*c, request("/slow", "late", 50ms), waiter);
  run_until([&] { return !waiter.empty(); });
  ASSERT_EQ(waiter.size(), 1u);
  ASSERT_FALSE(waiter[0]);
  EXPECT_TRUE(waiter[0].error().is(Errc::Timeout)) << waiter[0].error().message();
  EXPECT_NE(waiter[0].error().message().find("no free connection"), std::string::npos) << waiter[0].error().message();

  gate_.cancel();
  run_until([&] { return !holder.empty(); });
  ASSERT_EQ(holder.size(), 1u);
  ASSERT_TRUE(holder[0]) << holder[0].error().message();
  EXPECT_EQ(holder[0]->body, "released");

  // The slot came back: the next request goes through on the kept-alive connection.
  std::vector<Result<HttpResponse>> after;
  start(*c, request("/slow", "after"), after);
  run_until([&] { return !after.empty(); });
  ASSERT_TRUE(after[0]) << after[0].error().message();
  EXPECT_EQ(after[0]->body, "after");
}

TEST_F(BeastHttpClientTest, FailedConnectionsGiveTheirSlotBackToTheNextInLine) {
  auto c = client(1);
  std::vector<Result<HttpResponse>> results;
  const auto port = closed_port();
  for (int i = 0; i < 5; ++i) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
    r.timeout = 5s;
    start(*c, r, results);
  }
  run_until([&] { return results.size() == 5; });
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    // Refused, each on its own try: none waited out its deadline behind a leaked slot.
    EXPECT_TRUE(r.error().is(Errc::Unavailable)) << r.error().message();
  }
}

}  // namespace
}  // namespace vigil::http
