#pragma once

#include <chrono>
#include <map>
#include <string>

namespace vigil::test {

/// What a test client saw: status 0 when the server closed without answering.
struct RawHttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

/// Sends `request` (raw bytes, the test writes the request line and headers itself) to
/// 127.0.0.1:port and reads one response, or until the server closes or `timeout` passes.
RawHttpResponse raw_http(unsigned short port, const std::string& request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// A well-formed request with Content-Length and Connection: close.
std::string http_request(const std::string& method, const std::string& target,
                         const std::map<std::string, std::string>& headers = {}, const std::string& body = "");

}  // namespace vigil::test
