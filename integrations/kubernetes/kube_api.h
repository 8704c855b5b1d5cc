#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/http/http_client.h"

namespace vigil::kubernetes {

/// Where the Kubernetes API is and how Vigil proves who it is there.
struct KubeApiOptions {
  std::string api_server;  // https://host:port; empty: KUBERNETES_SERVICE_HOST/PORT (in-cluster)
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";  // empty: no token
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
};

/// The options with api_server filled in from the in-cluster environment when it is empty;
/// InvalidConfig when neither says where the API server is.
Result<KubeApiOptions> resolve_kube_api(KubeApiOptions options, const std::map<std::string, std::string>& env);

/// A small client of the Kubernetes REST API over HttpClient: JSON in and out, the bearer token
/// read from its file at each request (projected tokens rotate). 404 is NotFound, 401/403
/// Forbidden, 409 Conflict, any other non-2xx Unavailable with the API's message.
class KubeApi {
 public:
  KubeApi(http::HttpClient& http, KubeApiOptions options);

  Task<Result<nlohmann::json>> get(std::string path);
  Task<Result<std::string>> get_text(std::string path);
  Task<Result<nlohmann::json>> create(std::string collection_path, nlohmann::json object);
  /// DELETE with propagationPolicy Background (a Job's Pods and owned objects go too).
  Task<Result<void>> remove(std::string path);

  const KubeApiOptions& options() const { return options_; }

 private:
  http::HttpRequest request(const std::string& method, const std::string& path, std::string body) const;
  Task<Result<http::HttpResponse>> send(http::HttpRequest request);

  http::HttpClient& http_;
  KubeApiOptions options_;
};

}  // namespace vigil::kubernetes
