#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "integrations/http/http_server.h"

namespace vigil::test {

/// One request as the fake Kubernetes API received it.
struct KubeRequest {
  std::string method;
  std::string target;  // path and query
  std::string authorization;
  std::string body;
};

/// How the agent Pod behaves.
struct FakePodScript {
  std::vector<std::string> log_chunks;  // one more is served at each log read
  int exit_code = 0;
  bool hang = false;               // Running forever (cancel tests)
  bool deadline_exceeded = false;  // the Job fails with DeadlineExceeded after its log
};

/// A Kubernetes API stand-in on 127.0.0.1 (port 0), on its own thread: creates Jobs and ConfigMaps
/// in one namespace (the bearer token is checked), lists and reads the Job's one Pod, serves its
/// log a chunk more at each read, and deletes Jobs. Every request is recorded.
class FakeKubeApi {
 public:
  FakeKubeApi(std::string namespace_name, std::string token);
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  void set_script(FakePodScript script);
  void start();
  void stop();
  std::string url() const;

  std::vector<KubeRequest> requests(const std::string& method = "") const;
  std::vector<nlohmann::json> jobs() const;
  std::vector<nlohmann::json> config_maps() const;
  std::vector<std::string> deleted() const;  // targets of DELETE requests

 private:
  http::HttpResponse handle(const std::string& kind, const http::HttpRequest& request);
  http::HttpResponse create_job(const http::HttpRequest& request);
  http::HttpResponse pod(const std::string& job);
  http::HttpResponse job_status(const std::string& job);
  http::HttpResponse log(const std::string& job);
  void add_job_routes(const std::string& job);
  void route(const std::string& method, const std::string& path, const std::string& kind);

  std::string ns_;
  std::string token_;
  boost::asio::io_context io_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  unsigned short port_ = 0;

  mutable std::mutex mutex_;
  FakePodScript script_;
  std::vector<KubeRequest> requests_;
  std::vector<nlohmann::json> jobs_, config_maps_;
  std::map<std::string, std::size_t> log_reads_;
  std::map<std::string, bool> deleted_jobs_;
};

}  // namespace vigil::test
