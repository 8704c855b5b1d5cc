#include "bot/cli/health_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace vigil {
namespace {

// Blocking sockets with SO_SNDTIMEO/SO_RCVTIMEO (which bound connect() too on Linux): a probe is
// one short-lived request, not worth an io_context.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

}  // namespace

Result<int> probe_http(const std::string& listen, const std::string& path, std::chrono::milliseconds timeout) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return make_error(Errc::InvalidInput, "expected host:port, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "::1";
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return make_error(Errc::Io, "cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addrs(found, &::freeaddrinfo);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  std::string last_error = "no address";
  for (auto* ai = addrs.get(); ai; ai = ai->ai_next) {
    Fd s;
    s.fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (s.fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: vigil-healthcheck\r\n\r\n";
    if (::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      return make_error(Errc::Io, std::string("cannot send the request: ") + std::strerror(errno));
    }
    std::string head;
    char buf[512];
    while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
      const auto n = ::recv(s.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      head.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) {
      return make_error(Errc::Protocol, "no HTTP answer from " + listen);
    }
    try {
      return std::stoi(head.substr(9, 3));
    } catch (...) {
      return make_error(Errc::Protocol, "malformed HTTP status line from " + listen);
    }
  }
  return make_error(Errc::Unavailable, "cannot connect to " + listen + ": " + last_error);
}

}  // namespace vigil
