#include "tests/support/raw_http.h"

#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace vigil::test {
namespace {

// Parses as much of one response as `data` holds; true when it is complete.
bool parse(const std::string& data, RawHttpResponse& out) {
  const auto end = data.find("\r\n\r\n");
  if (end == std::string::npos) {
    return false;
  }
  out = {};
  std::size_t pos = data.find("\r\n");
  const std::string status_line = data.substr(0, pos);
  if (status_line.size() >= 12) {
    out.status = std::atoi(status_line.c_str() + 9);
  }
  while (pos < end) {
    const auto next = data.find("\r\n", pos + 2);
    const std::string line = data.substr(pos + 2, next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
      }
      out.headers[name] = value;
    }
    pos = next;
  }
  const auto length = out.headers.find("content-length");
  const std::size_t want = length == out.headers.end() ? 0 : std::stoul(length->second);
  if (data.size() < end + 4 + want) {
    return false;
  }
  out.body = data.substr(end + 4, want);
  return true;
}

}  // namespace

RawHttpResponse raw_http(unsigned short port, const std::string& request, std::chrono::milliseconds timeout) {
  RawHttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return out;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // the server may answer (413) and close before reading everything
    }
    sent += static_cast<std::size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data;
  char buf[8192];
  while (!parse(data, out)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string http_request(const std::string& method, const std::string& target,
                         const std::map<std::string, std::string>& headers, const std::string& body) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) {
    r += k + ": " + v + "\r\n";
  }
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

}  // namespace vigil::test
