#include "bot/cli/health_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace vigil {
namespace {

// A one-shot loopback HTTP server on an ephemeral port that answers `status_line`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string status_line) : reply_(std::move(status_line) + "\r\n\r\n") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      char buf[1024];
      const auto n = ::recv(c, buf, sizeof buf, 0);
      request_.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(fd_);
  }
  std::string listen_address() const { return "0.0.0.0:" + std::to_string(port_); }
  const std::string& request() const { return request_; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(HealthProbe, ReturnsTheStatusOfGetOnLoopbackForAWildcardListenAddress) {
  std::string request;
  {
    OneShotServer server("HTTP/1.1 200 OK");
    const auto status = probe_http(server.listen_address(), "/healthz", std::chrono::seconds(3));
    ASSERT_TRUE(status) << status.error().detail;
    EXPECT_EQ(*status, 200);
    request = server.request();
  }
  EXPECT_EQ(request.rfind("GET /healthz HTTP/1.0\r\n", 0), 0u) << request;
}

TEST(HealthProbe, ReportsAnUnhealthyStatus) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable");
  const auto status = probe_http(server.listen_address(), "/healthz", std::chrono::seconds(3));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 503);
}

TEST(HealthProbe, RejectsAnAddressWithoutPort) {
  EXPECT_FALSE(probe_http("localhost", "/healthz", std::chrono::seconds(1)));
}

}  // namespace
}  // namespace vigil
