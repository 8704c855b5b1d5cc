#include "integrations/kubernetes/kube_api.h"

#include <fstream>
#include <sstream>

namespace vigil::kubernetes {
namespace {

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  return token;
}

Error status_error(const std::string& method, const std::string& path, const http::HttpResponse& r) {
  std::string message;
  if (auto body = nlohmann::json::parse(r.body, nullptr, false);
      body.is_object() && body.contains("message") && body["message"].is_string()) {
    message = body["message"].get<std::string>();
  }
  const auto detail =
      method + " " + path + ": HTTP " + std::to_string(r.status) + (message.empty() ? "" : ": ") + message;
  if (r.status == 404) {
    return make_error(Errc::NotFound, detail);
  }
  if (r.status == 401 || r.status == 403) {
    return make_error(Errc::Forbidden, detail);
  }
  if (r.status == 409) {
    return make_error(Errc::Conflict, detail);
  }
  return make_error(Errc::Unavailable, detail);
}

}  // namespace

Result<KubeApiOptions> resolve_kube_api(KubeApiOptions o, const std::map<std::string, std::string>& env) {
  if (!o.api_server.empty()) {
    return o;
  }
  const auto host = env.find("KUBERNETES_SERVICE_HOST");
  const auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || host->second.empty()) {
    return make_error(Errc::InvalidConfig,
                      "agent.kubernetes.api_server is not set and KUBERNETES_SERVICE_HOST is not in the environment");
  }
  const bool v6 = host->second.find(':') != std::string::npos;
  o.api_server = "https://" + (v6 ? "[" + host->second + "]" : host->second) + ":" +
                 (port == env.end() || port->second.empty() ? "443" : port->second);
  return o;
}

KubeApi::KubeApi(http::HttpClient& http, KubeApiOptions options) : http_(http), options_(std::move(options)) {}

http::HttpRequest KubeApi::request(const std::string& method, const std::string& path, std::string body) const {
  http::HttpRequest request;
  request.method = method;
  request.url = options_.api_server + path;
  request.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
  }
  if (!options_.token_file.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + read_token(options_.token_file));
  }
  request.body = std::move(body);
  request.timeout = std::chrono::seconds(30);
  return request;
}

Task<Result<http::HttpResponse>> KubeApi::send(http::HttpRequest request) {
  const auto method = request.method;
  const auto path = request.url.substr(options_.api_server.size());
  auto response = co_await http_.send(std::move(request));
  if (!response) {
    co_return response.error();
  }
  if (response->status < 200 || response->status > 299) {
    co_return status_error(method, path, *response);
  }
  co_return std::move(*response);
}

Task<Result<nlohmann::json>> KubeApi::get(std::string path) {
  auto req = request("GET", path, "");
  auto response = co_await send(std::move(req));
  if (!response) {
    co_return response.error();
  }
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (!body.is_object()) {
    co_return make_error(Errc::Protocol, "GET " + path + ": not a JSON object");
  }
  Result<nlohmann::json> made(boost::system::in_place_value, std::move(body));
  co_return made;
}

Task<Result<std::string>> KubeApi::get_text(std::string path) {
  auto req = request("GET", path, "");
  auto response = co_await send(std::move(req));
  if (!response) {
    co_return response.error();
  }
  co_return std::move(response->body);
}

Task<Result<nlohmann::json>> KubeApi::create(std::string collection_path, nlohmann::json object) {
  auto req = request("POST", collection_path, object.dump());
  auto response = co_await send(std::move(req));
  if (!response) {
    co_return response.error();
  }
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (!body.is_object()) {
    co_return make_error(Errc::Protocol, "POST " + collection_path + ": not a JSON object");
  }
  Result<nlohmann::json> made(boost::system::in_place_value, std::move(body));
  co_return made;
}

Task<Result<void>> KubeApi::remove(std::string path) {
  const nlohmann::json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  auto req = request("DELETE", path + "?propagationPolicy=Background", options.dump());
  auto response = co_await send(std::move(req));
  if (!response) {
    co_return response.error();
  }
  co_return Result<void>();
}

}  // namespace vigil::kubernetes
