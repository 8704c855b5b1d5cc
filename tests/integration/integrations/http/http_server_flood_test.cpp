// The listener under slow and greedy clients (issue 21, point 1), on 127.0.0.1:0 with raw sockets:
// a flood of slow clients from many loopback addresses cannot keep /healthz or an authenticated
// webhook out, one address cannot hold more than its share, and the first-byte and header
// deadlines close clients that stall.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "integrations/http/http_server.h"
#include "tests/support/raw_http.h"
#include "tests/support/slow_client_flood.h"

namespace vigil::http {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::raw_http;

constexpr const char* kHookToken = "hook-token-1";

Task<HttpResponse> healthz(HttpRequest) {
  HttpResponse r;
  r.status = 200;
  r.body = "ok\n";
  co_return r;
}

// A webhook that wants "Authorization: Bearer <kHookToken>", as the alert webhooks do.
Task<HttpResponse> webhook(HttpRequest request) {
  HttpResponse r;
  r.status = request_header(request, "authorization") == std::string("Bearer ") + kHookToken ? 202 : 401;
  co_return r;
}

// A blocking connection from `from` (a loopback address) to 127.0.0.1:port; -1 when it fails.
int connect_from(const char* from, unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &source.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What arrives until the peer closes; false when it is still open after `timeout`.
bool read_until_closed(int fd, std::string& data, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return true;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
}

// One request from `from`, its answer's status (0: closed without one).
int status_from(const char* from, unsigned short port, const std::string& request) {
  const int fd = connect_from(from, port);
  if (fd < 0) {
    return -1;
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string data;
  read_until_closed(fd, data, 3s);
  ::close(fd);
  return data.size() >= 12 ? std::atoi(data.c_str() + 9) : 0;
}

class ListenerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    options.listen = "127.0.0.1:0";
    options.on_close = [this](CloseReason reason) { ++closed_[static_cast<std::size_t>(reason)]; };
    server_ = make_beast_http_server(io_.get_executor(), options, std::make_shared<spdlog::logger>("listener-test"));
    server_->route("GET", "/healthz", healthz);
    server_->route("POST", "/webhooks/alertmanager", webhook);
    ASSERT_TRUE(server_->start());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->stop(); });
      io_.stop();
      thread_.join();
    }
    server_.reset();
  }
  unsigned short port() const { return server_->port(); }
  int closed(CloseReason reason) const { return closed_[static_cast<std::size_t>(reason)]; }
  // The count once the listener's thread has told it (a timed-out socket is closed before the
  // listener hears of its deadline): waits up to a second for `at_least`.
  int closed_eventually(CloseReason reason, int at_least) const {
    for (int i = 0; i < 100 && closed(reason) < at_least; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return closed(reason);
  }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::array<std::atomic<int>, 5> closed_{};
};

TEST_F(ListenerTest, HealthzAndAnAuthenticatedWebhookAnswerThroughASlowClientFlood) {
  HttpServerOptions options;
  options.max_connections = 64;
  options.max_connections_per_client = 8;
  options.first_byte_timeout = 500ms;
  options.header_timeout = 1s;
  start(options);
  // 300 slow clients from 60 addresses (5 each, under the per-client limit): together far over
  // the cap of 64, each reconnecting at once when closed.
  test::SlowClientFloodOptions flood_options;
  flood_options.port = port();
  flood_options.clients = 300;
  flood_options.addresses = 60;
  test::SlowClientFlood flood(flood_options);
  flood.start();
  const auto began = std::chrono::steady_clock::now();
  while (flood.connects() < 300 && std::chrono::steady_clock::now() - began < 5s) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(flood.connects(), 300u);
  const std::string hook =
      http_request("POST", "/webhooks/alertmanager", {{"Authorization", std::string("Bearer ") + kHookToken}}, "{}");
  std::chrono::milliseconds slowest{0};
  for (int i = 0; i < 30; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(raw_http(port(), http_request("GET", "/healthz"), 2s).status, 200) << "probe " << i;
    EXPECT_EQ(raw_http(port(), hook, 2s).status, 202) << "webhook " << i;
    slowest = std::max(slowest,
                       std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked));
  }
  EXPECT_EQ(raw_http(port(), http_request("POST", "/webhooks/alertmanager", {}, "{}"), 2s).status, 401);
  EXPECT_LT(slowest, 1s) << "a probe and a webhook together took this long at worst";
  EXPECT_GT(flood.closed_by_server(), 0u);
  flood.stop();
  EXPECT_GT(closed_eventually(CloseReason::Evicted, 1), 0) << "the slow clients made room for the prompt ones";
}

TEST_F(ListenerTest, ThePerClientLimitRefusesTheNPlusFirstConnectionFromThatAddressOnly) {
  HttpServerOptions options;
  options.max_connections_per_client = 4;
  start(options);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(connect_from("127.0.0.1", port()));
    ASSERT_GE(held.back(), 0);
  }
  const int fifth = connect_from("127.0.0.1", port());
  ASSERT_GE(fifth, 0);
  std::string data;
  EXPECT_TRUE(read_until_closed(fifth, data, 1s)) << "the fifth connection was kept";
  ::close(fifth);
  EXPECT_NE(data.find("HTTP/1.1 503"), std::string::npos) << data;
  EXPECT_NE(data.find("too many connections from your address"), std::string::npos) << data;
  EXPECT_EQ(closed_eventually(CloseReason::ClientLimit, 1), 1);
  // Another address is served meanwhile.
  EXPECT_EQ(status_from("127.0.0.2", port(), http_request("GET", "/healthz")), 200);
  // The address gets its slot back once one of its connections ends.
  ::close(held.back());
  held.pop_back();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = status_from("127.0.0.1", port(), http_request("GET", "/healthz"));
    if (status != 200) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(status, 200);
  for (const int fd : held) {
    ::close(fd);
  }
}

TEST_F(ListenerTest, AClientThatSendsNothingIsClosedAtTheFirstByteDeadline) {
  HttpServerOptions options;
  options.first_byte_timeout = 200ms;
  options.header_timeout = 5s;
  start(options);
  const int idle = connect_from("127.0.0.1", port());
  ASSERT_GE(idle, 0);
  const auto began = std::chrono::steady_clock::now();
  std::string data;
  EXPECT_TRUE(read_until_closed(idle, data, 2s)) << "an idle client was kept past its first-byte deadline";
  const auto after = std::chrono::steady_clock::now() - began;
  ::close(idle);
  EXPECT_GE(after, 150ms);
  EXPECT_EQ(data, "");
  EXPECT_EQ(closed_eventually(CloseReason::FirstByteTimeout, 1), 1);
  EXPECT_EQ(closed(CloseReason::HeaderTimeout), 0);
}

TEST_F(ListenerTest, AHeaderTricklingInIsClosedAtTheHeaderDeadline) {
  HttpServerOptions options;
  options.first_byte_timeout = 5s;
  options.header_timeout = 400ms;
  start(options);
  const int slow = connect_from("127.0.0.1", port());
  ASSERT_GE(slow, 0);
  const std::string start_of_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  ASSERT_GT(::send(slow, start_of_header.data(), start_of_header.size(), MSG_NOSIGNAL), 0);
  const auto began = std::chrono::steady_clock::now();
  bool closed_by_server = false;
  while (!closed_by_server && std::chrono::steady_clock::now() - began < 3s) {
    // A byte every 50 ms: each one would renew a per-read deadline, not the header's.
    pollfd p{slow, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char c;
      closed_by_server = ::recv(slow, &c, 1, 0) <= 0;
    } else {
      closed_by_server = ::send(slow, "x", 1, MSG_NOSIGNAL) <= 0;
    }
  }
  const auto after = std::chrono::steady_clock::now() - began;
  ::close(slow);
  EXPECT_TRUE(closed_by_server);
  EXPECT_LT(after, 2s);
  EXPECT_EQ(closed_eventually(CloseReason::HeaderTimeout, 1), 1);
  EXPECT_EQ(closed(CloseReason::FirstByteTimeout), 0);
  EXPECT_EQ(raw_http(port(), http_request("GET", "/healthz")).status, 200);
}

}  // namespace
}  // namespace vigil::http
