#pragma once
// Slow clients for the listener's tests and bench/slow_clients_bench: each connects from one of
// several loopback addresses (127.0.0.2, 127.0.0.3, … so per-address limits see many clients),
// sends the start of a request header and then a byte now and then, never the end; a connection
// the server closes is opened again at once. Header-only, no Vigil code: it runs on its own thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::test {

struct SlowClientFloodOptions {
  unsigned short port = 0;
  int clients = 300;
  int addresses = 50;  // 127.0.0.2 … 127.0.0.(1 + addresses); clients are spread over them
  /// Sent at connect; never ends the header. Empty: idle clients that send nothing.
  std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  std::chrono::milliseconds trickle_every{100};  // one more byte per connection this often
  /// The flood thread's nice value (Linux, per thread): a benchmark on one machine raises it so
  /// that the attackers' own CPU does not count as the server's latency.
  int nice = 0;
};

class SlowClientFlood {
 public:
  explicit SlowClientFlood(SlowClientFloodOptions options) : options_(std::move(options)) {}
  ~SlowClientFlood() { stop(); }
  SlowClientFlood(const SlowClientFlood&) = delete;
  SlowClientFlood& operator=(const SlowClientFlood&) = delete;

  void start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  /// Connections opened so far (first ones and reconnects), and those the server closed.
  std::uint64_t connects() const { return connects_; }
  std::uint64_t closed_by_server() const { return closed_; }
  /// Connections open now.
  int open() const { return open_; }

 private:
  int connect_one(int index) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000002u + static_cast<std::uint32_t>(index % options_.addresses));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(options_.port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
      ::close(fd);
      return -1;
    }
    ++connects_;
    if (!options_.partial.empty()) {
      // Loopback connects at once; a send that fails here is retried by the trickle.
      ::send(fd, options_.partial.data(), options_.partial.size(), MSG_NOSIGNAL);
    }
    return fd;
  }

  // Reconnects every client whose connection the server closed.
  void reap(std::vector<int>& fds) {
    std::vector<pollfd> polls;
    for (const int fd : fds) {
      polls.push_back({fd, POLLIN, 0});
    }
    if (::poll(polls.data(), polls.size(), 10) <= 0) {
      return;
    }
    char scratch[512];
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents == 0 || fds[i] < 0) {
        continue;
      }
      const auto n = ::recv(fds[i], scratch, sizeof scratch, MSG_DONTWAIT);
      if (n > 0 || (n < 0 && errno == EAGAIN)) {
        continue;  // an answer (503) before the close: read the close next time
      }
      ::close(fds[i]);
      ++closed_;
      fds[i] = connect_one(static_cast<int>(i));
    }
  }

  void trickle(std::vector<int>& fds) {
    for (auto& fd : fds) {
      if (fd >= 0 && !options_.partial.empty()) {
        ::send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    }
  }

  void run() {
    if (options_.nice != 0) {
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), options_.nice);
    }
    std::vector<int> fds(static_cast<std::size_t>(options_.clients), -1);
    auto last_trickle = std::chrono::steady_clock::now();
    while (running_) {
      int open = 0;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] < 0) {
          fds[i] = connect_one(static_cast<int>(i));
        }
        open += fds[i] >= 0 ? 1 : 0;
      }
      open_ = open;
      reap(fds);
      if (std::chrono::steady_clock::now() - last_trickle >= options_.trickle_every) {
        trickle(fds);
        last_trickle = std::chrono::steady_clock::now();
      }
    }
    for (const int fd : fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
    open_ = 0;
  }

  SlowClientFloodOptions options_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> connects_{0};
  std::atomic<std::uint64_t> closed_{0};
  std::atomic<int> open_{0};
};

}  // namespace vigil::test
