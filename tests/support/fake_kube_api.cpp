#include "tests/support/fake_kube_api.h"

#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "bot/base/logging.h"

namespace vigil::test {
namespace {

using nlohmann::json;

http::HttpResponse answer(int status, const json& body) {
  http::HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

http::HttpResponse status_answer(int status, const std::string& message) {
  return answer(status, {{"kind", "Status"}, {"status", "Failure"}, {"message", message}, {"code", status}});
}

Task<http::HttpResponse> ready(http::HttpResponse r) {
  co_return r;
}

}  // namespace

FakeKubeApi::FakeKubeApi(std::string namespace_name, std::string token)
    : ns_(std::move(namespace_name)), token_(std::move(token)) {}

FakeKubeApi::~FakeKubeApi() {
  stop();
}

void FakeKubeApi::set_script(FakePodScript script) {
  std::lock_guard lock(mutex_);
  script_ = std::move(script);
}

void FakeKubeApi::route(const std::string& method, const std::string& path, const std::string& kind) {
  server_->route(method, path, [this, kind](http::HttpRequest r) { return ready(handle(kind, r)); });
}

void FakeKubeApi::start() {
  http::HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  server_ = http::make_beast_http_server(io_.get_executor(), o, null_logger());
  route("POST", "/apis/batch/v1/namespaces/" + ns_ + "/jobs", "create-job");
  route("POST", "/api/v1/namespaces/" + ns_ + "/configmaps", "create-configmap");
  route("GET", "/api/v1/namespaces/" + ns_ + "/pods", "list-pods");
  if (auto started = server_->start(); !started) {
    throw std::runtime_error("fake kube api: " + started.error().message());
  }
  port_ = server_->port();
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

void FakeKubeApi::stop() {
  if (!thread_.joinable()) {
    return;
  }
  std::promise<void> stopped;
  boost::asio::post(io_, [this, &stopped] {
    server_->stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

std::string FakeKubeApi::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void FakeKubeApi::add_job_routes(const std::string& job) {
  route("GET", "/apis/batch/v1/namespaces/" + ns_ + "/jobs/" + job, "job:" + job);
  route("DELETE", "/apis/batch/v1/namespaces/" + ns_ + "/jobs/" + job, "delete-job:" + job);
  route("GET", "/api/v1/namespaces/" + ns_ + "/pods/" + job + "-pod", "pod:" + job);
  route("GET", "/api/v1/namespaces/" + ns_ + "/pods/" + job + "-pod/log", "log:" + job);
}

http::HttpResponse FakeKubeApi::handle(const std::string& kind, const http::HttpRequest& request) {
  const auto auth = http::request_header(request, "authorization");
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(
        {kind.substr(0, kind.find(':')) == "delete-job" ? "DELETE" : request.method, request.url, auth, request.body});
  }
  if (auth != "Bearer " + token_) {
    return status_answer(401, "Unauthorized");
  }
  const auto colon = kind.find(':');
  const auto what = kind.substr(0, colon);
  const auto job = colon == std::string::npos ? std::string() : kind.substr(colon + 1);
  if (what == "create-job") {
    return create_job(request);
  }
  std::lock_guard lock(mutex_);
  if (what == "create-configmap") {
    auto body = json::parse(request.body, nullptr, false);
    config_maps_.push_back(body);
    return answer(201, body);
  }
  if (what == "list-pods") {
    json items = json::array();
    for (const auto& j : jobs_) {
      const auto name = j["metadata"]["name"].get<std::string>();
      if (!deleted_jobs_[name]) {
        items.push_back({{"metadata", {{"name", name + "-pod"}}}});
      }
    }
    return answer(200, {{"kind", "PodList"}, {"items", items}});
  }
  if (deleted_jobs_[job]) {
    return status_answer(404, "jobs \"" + job + "\" not found");
  }
  if (what == "delete-job") {
    deleted_jobs_[job] = true;
    return answer(200, {{"kind", "Status"}, {"status", "Success"}});
  }
  if (what == "pod") {
    return pod(job);
  }
  if (what == "log") {
    return log(job);
  }
  return job_status(job);
}

http::HttpResponse FakeKubeApi::create_job(const http::HttpRequest& request) {
  auto body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("metadata") || !body["metadata"].contains("name")) {
    return status_answer(422, "Job is invalid");
  }
  const auto name = body["metadata"]["name"].get<std::string>();
  body["metadata"]["uid"] = "uid-" + name;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(body);
  }
  add_job_routes(name);
  return answer(201, body);
}

http::HttpResponse FakeKubeApi::pod(const std::string& job) {
  const bool done = !script_.hang && log_reads_[job] >= script_.log_chunks.size();
  json status = {
      {"phase", done ? (script_.exit_code == 0 && !script_.deadline_exceeded ? "Succeeded" : "Failed") : "Running"}};
  if (done && !script_.deadline_exceeded) {
    status["containerStatuses"] =
        json::array({{{"name", "agent"}, {"state", {{"terminated", {{"exitCode", script_.exit_code}}}}}}});
  }
  return answer(200, {{"kind", "Pod"}, {"metadata", {{"name", job + "-pod"}}}, {"status", status}});
}

http::HttpResponse FakeKubeApi::job_status(const std::string& job) {
  const bool done = !script_.hang && log_reads_[job] >= script_.log_chunks.size();
  json status = json::object();
  if (done && script_.deadline_exceeded) {
    status["conditions"] = json::array({{{"type", "Failed"}, {"status", "True"}, {"reason", "DeadlineExceeded"}}});
  }
  return answer(200, {{"kind", "Job"}, {"metadata", {{"name", job}}}, {"status", status}});
}

http::HttpResponse FakeKubeApi::log(const std::string& job) {
  auto& reads = log_reads_[job];
  const auto upto = std::min(reads + 1, script_.log_chunks.size());
  std::string text;
  for (std::size_t i = 0; i < upto; ++i) {
    text += script_.log_chunks[i];
  }
  if (reads < script_.log_chunks.size()) {
    ++reads;
  }
  http::HttpResponse r;
  r.status = 200;
  r.headers["content-type"] = "text/plain";
  r.body = text;
  return r;
}

std::vector<KubeRequest> FakeKubeApi::requests(const std::string& method) const {
  std::lock_guard lock(mutex_);
  std::vector<KubeRequest> out;
  for (const auto& r : requests_) {
    if (method.empty() || r.method == method) {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<nlohmann::json> FakeKubeApi::jobs() const {
  std::lock_guard lock(mutex_);
  return jobs_;
}

std::vector<nlohmann::json> FakeKubeApi::config_maps() const {
  std::lock_guard lock(mutex_);
  return config_maps_;
}

std::vector<std::string> FakeKubeApi::deleted() const {
  std::vector<std::string> out;
  for (const auto& r : requests("DELETE")) {
    out.push_back(r.target);
  }
  return out;
}

}  // namespace vigil::test
