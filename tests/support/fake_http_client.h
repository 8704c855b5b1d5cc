#pragma once

#include <deque>
#include <vector>

#include "integrations/http/http_client.h"

namespace vigil::test {

/// An HttpClient that records every request and answers from a script (in order; when the script
/// is empty, `fallback`).
class FakeHttpClient final : public http::HttpClient {
 public:
  std::vector<http::HttpRequest> requests;
  std::deque<Result<http::HttpResponse>> script;
  Result<http::HttpResponse> fallback = Error(Errc::Unavailable, "connection refused");

  void answer(int status, std::string body) {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    script.emplace_back(std::move(r));
  }

  Task<Result<http::HttpResponse>> send(http::HttpRequest request) override {
    requests.push_back(request);
    if (script.empty()) {
      co_return fallback;
    }
    auto r = std::move(script.front());
    script.pop_front();
    co_return r;
  }

  std::string header(std::size_t i, const std::string& name) const {
    for (const auto& [k, v] : requests.at(i).headers) {
      if (k == name) {
        return v;
      }
    }
    return {};
  }
};

}  // namespace vigil::test
