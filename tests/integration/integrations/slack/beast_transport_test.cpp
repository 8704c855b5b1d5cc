// BeastTransport against the emulator: upgrade refusals are clear errors; HTTP CONNECT proxies.
#include "integrations/slack/beast_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "integrations/slack/emulator/slack_emulator.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;

// A tiny CONNECT proxy on loopback (blocking sockets, one thread per direction). Records the
// CONNECT request it saw.
class ConnectProxy {
 public:
  ConnectProxy() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ConnectProxy() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
    for (auto& t : pumps_) {
      t.join();
    }
  }
  unsigned short port() const { return port_; }
  std::string request() const {
    std::lock_guard lock(mu_);
    return request_;
  }

 private:
  void serve() {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      return;
    }
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::read(client, &c, 1) == 1) {
      head += c;
    }
    {
      std::lock_guard lock(mu_);
      request_ = head;
    }
    const auto space = head.find(' ');
    const auto target = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
    const auto upstream_port = static_cast<unsigned short>(std::stoi(target.substr(target.rfind(':') + 1)));
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(upstream_port);
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(client);
      return;
    }
    const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    (void)::write(client, ok.data(), ok.size());
    pumps_.emplace_back([client, upstream] { pump(client, upstream); });
    pumps_.emplace_back([client, upstream] { pump(upstream, client); });
  }
  static void pump(int from, int to) {
    char buf[16384];
    for (;;) {
      const auto n = ::read(from, buf, sizeof buf);
      if (n <= 0 || ::write(to, buf, static_cast<std::size_t>(n)) != n) {
        break;
      }
    }
    ::shutdown(to, SHUT_RDWR);
    ::shutdown(from, SHUT_RDWR);
  }

  int listen_fd_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
  std::vector<std::thread> pumps_;
  mutable std::mutex mu_;
  std::string request_;
};

struct Exchange {
  Transport& transport;
  std::string url;
  std::string error;
  std::string first_frame;
  Task<> run() {
    auto conn = co_await transport.connect(url);
    if (!conn) {
      error = conn.error().message();
      co_return;
    }
    auto frame = co_await (*conn)->read();
    first_frame = frame ? *frame : frame.error().message();
    co_await (*conn)->close();
  }
};

std::string socket_url(SlackEmulator& emu) {
  return "ws://127.0.0.1:" + std::to_string(emu.port()) + "/link/?ticket=1";
}

TEST(BeastTransport, AnUpgradeAnsweredWithout101IsAClearError) {
  SlackEmulator emu;
  emu.start();
  emu.refuse_upgrades(1, 200);  // a middlebox answering 200 with a page
  boost::asio::io_context io;
  auto transport = make_beast_transport(io.get_executor(), {}, null_logger());
  Exchange x{*transport, socket_url(emu), {}, {}};
  auto f = boost::asio::co_spawn(io, x.run(), boost::asio::use_future);
  io.run();
  f.get();
  EXPECT_NE(x.error.find("websocket upgrade refused: HTTP 200"), std::string::npos) << x.error;
  EXPECT_NE(x.error.find("expected 101"), std::string::npos);
}

TEST(BeastTransport, ConnectsThroughAnHttpConnectProxyWithCredentials) {
  SlackEmulator emu;
  emu.start();
  ConnectProxy proxy;
  BeastTransportOptions o;
  o.proxy = http::ProxySettings::from_environment(
      {{"HTTP_PROXY", "http://vigil:s3cret@127.0.0.1:" + std::to_string(proxy.port())}});
  boost::asio::io_context io;
  auto transport = make_beast_transport(io.get_executor(), o, null_logger());
  Exchange x{*transport, socket_url(emu), {}, {}};
  auto f = boost::asio::co_spawn(io, x.run(), boost::asio::use_future);
  io.run();
  f.get();
  EXPECT_TRUE(x.error.empty()) << x.error;
  EXPECT_NE(x.first_frame.find("\"hello\""), std::string::npos) << x.first_frame;
  EXPECT_EQ(proxy.request().rfind("CONNECT 127.0.0.1:" + std::to_string(emu.port()) + " HTTP/1.1", 0), 0u)
      << proxy.request();
  EXPECT_NE(proxy.request().find("Proxy-Authorization: Basic dmlnaWw6czNjcmV0"), std::string::npos);
}

TEST(BeastTransport, NoProxyBypassesTheProxy) {
  SlackEmulator emu;
  emu.start();
  BeastTransportOptions o;
  o.proxy = http::ProxySettings::from_environment({{"HTTP_PROXY", "http://127.0.0.1:1"}, {"NO_PROXY", "127.0.0.1"}});
  boost::asio::io_context io;
  auto transport = make_beast_transport(io.get_executor(), o, null_logger());
  Exchange x{*transport, socket_url(emu), {}, {}};
  auto f = boost::asio::co_spawn(io, x.run(), boost::asio::use_future);
  io.run();
  f.get();
  EXPECT_TRUE(x.error.empty()) << x.error;
}

}  // namespace
}  // namespace vigil::slack
