#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::http {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // the whole exchange, connect included
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// An HTTP/1.1 client. Network failures and timeouts are errors (Errc::Unavailable, Errc::Timeout);
/// any HTTP status, 4xx and 5xx included, is a response.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Task<Result<HttpResponse>> send(HttpRequest request) = 0;
};

}  // namespace vigil::http
