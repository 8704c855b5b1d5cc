// The HTTP server on 127.0.0.1:0 with raw sockets as clients: routing, keep-alive, limits,
// deadlines, and bytes that are not HTTP at all.
#include "integrations/http/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <random>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "tests/support/raw_http.h"

namespace vigil::http {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::raw_http;

Task<HttpResponse> echo(HttpRequest request) {
  HttpResponse r;
  r.status = 200;
  r.body = request.method + " " + request.url + " " + request_header(request, "x-test") + " " + request.body;
  co_return r;
}

Task<HttpResponse> throws(HttpRequest) {
  throw std::runtime_error("boom");
  HttpResponse never;
  co_return never;
}

int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer closes or the timeout passes; false on timeout.
bool read_until_closed(int fd, std::string& data, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return true;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.max_body_bytes = 1024;
    options.header_timeout = 300ms;
    options.body_timeout = 300ms;
    server_ = make_beast_http_server(io_.get_executor(), options, std::make_shared<spdlog::logger>("http-test"));
    server_->route("GET", "/echo", echo);
    server_->route("POST", "/echo", echo);
    server_->route("GET", "/throws", throws);
    ASSERT_TRUE(server_->start());
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    io_.stop();
    thread_.join();
    server_.reset();
  }
  unsigned short port() const { return server_->port(); }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, RoutesByMethodAndPathIgnoringTheQuery) {
  const auto get = raw_http(port(), http_request("GET", "/echo?a=1", {{"X-Test", "hdr"}}));
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "GET /echo?a=1 hdr ");
  const auto post = raw_http(port(), http_request("POST", "/echo", {}, "hello"));
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.body, "POST /echo  hello");
  EXPECT_EQ(raw_http(port(), http_request("GET", "/nope")).status, 404);
  const auto wrong = raw_http(port(), http_request("DELETE", "/echo"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(raw_http(port(), http_request("GET", "/throws")).status, 500);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const int fd = connect_to(port());
  ASSERT_GE(fd, 0);
  const std::string two =
      "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
      "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, two.data(), two.size(), MSG_NOSIGNAL), static_cast<ssize_t>(two.size()));
  std::string data;
  EXPECT_TRUE(read_until_closed(fd, data, 3s));
  ::close(fd);
  EXPECT_EQ(count_of(data, "HTTP/1.1 200 OK"), 3u) << data;
}

TEST_F(HttpServerTest, OverLongBodiesGet413) {
  const std::string big(4096, 'x');
  EXPECT_EQ(raw_http(port(), http_request("POST", "/echo", {}, big)).status, 413);
  // Chunked: the limit is found while reading.
  std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    chunked += "200\r\n" + std::string(512, 'y') + "\r\n";
  }
  chunked += "0\r\n\r\n";
  EXPECT_EQ(raw_http(port(), chunked).status, 413);
  EXPECT_EQ(raw_http(port(), http_request("GET", "/echo")).status, 200);
}

TEST_F(HttpServerTest, OverLongHeadersGet431) {
  const auto r = raw_http(port(), http_request("GET", "/echo", {{"X-Big", std::string(32 * 1024, 'h')}}));
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpServerTest, GarbageGets400AndTheServerKeepsServing) {
  EXPECT_EQ(raw_http(port(), "this is not http\r\n\r\n").status, 400);
  EXPECT_EQ(raw_http(port(), "GET /echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n").status, 400);
  std::mt19937 rng(7);
  for (int i = 0; i < 120; ++i) {
    std::string noise(static_cast<std::size_t>(rng() % 600 + 1), '\0');
    for (auto& c : noise) {
      c = static_cast<char>(rng() % 256);
    }
    if (i % 3 == 0) {
      noise = "POST /echo HTTP/1.1\r\n" + noise;  // a valid start, then noise
    }
    const auto r = raw_http(port(), noise, 1s);
    EXPECT_TRUE(r.status == 0 || r.status == 400 || r.status == 413 || r.status == 431) << r.status;
  }
  const auto after = raw_http(port(), http_request("GET", "/echo"));
  EXPECT_EQ(after.status, 200);
}

TEST_F(HttpServerTest, SlowClientsAreCutOffAtTheirDeadlineWithoutBlockingOthers) {
  // Slowloris: the header never ends; a byte now and then must not extend the deadline.
  const int slow = connect_to(port());
  ASSERT_GE(slow, 0);
  const std::string start = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  ASSERT_GT(::send(slow, start.data(), start.size(), MSG_NOSIGNAL), 0);
  // A body that never arrives.
  const int stalled = connect_to(port());
  ASSERT_GE(stalled, 0);
  const std::string partial = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc";
  ASSERT_GT(::send(stalled, partial.data(), partial.size(), MSG_NOSIGNAL), 0);
  // Others are served meanwhile.
  EXPECT_EQ(raw_http(port(), http_request("GET", "/echo")).status, 200);
  const auto began = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - began < 3s) {
    if (::send(slow, "X", 1, MSG_NOSIGNAL) <= 0) {
      closed = true;
      break;
    }
    pollfd p{slow, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char c;
      if (::recv(slow, &c, 1, 0) <= 0) {
        closed = true;
        break;
      }
    }
  }
  EXPECT_TRUE(closed) << "the slow client was never disconnected";
  std::string data;
  EXPECT_TRUE(read_until_closed(stalled, data, 3s));
  ::close(slow);
  ::close(stalled);
  EXPECT_EQ(raw_http(port(), http_request("GET", "/echo")).status, 200);
}

}  // namespace
}  // namespace vigil::http
