#include "integrations/kubernetes/kubernetes_agent_runner.h"

#include <fstream>
#include <optional>

#include <boost/asio/this_coro.hpp>

#include "integrations/http/url.h"
#include "integrations/kubernetes/agent_pod_frames.h"

namespace vigil::kubernetes {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
using nlohmann::json;

/// A value deep in an API object, or null when any step is missing or of the wrong kind.
const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) {
      return nullptr;
    }
    cur = &(*cur)[key];
  }
  return cur;
}

std::string string_at(const json& j, std::initializer_list<const char*> path) {
  const auto* v = at(j, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

bool read_regular(const fs::path& file, std::string& out) {
  std::error_code ec;
  if (fs::symlink_status(file, ec).type() != fs::file_type::regular) {
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return static_cast<bool>(in) || in.eof();
}

/// The Pod's log as it grows: complete lines go to the frame reader or the stream parser, every
/// byte to agent.log (capped).
class LogFollower {
 public:
  LogFollower(const agents::Workspace& ws, std::string backend, agents::AgentRunner::EventSink sink, std::size_t cap)
      : log_(ws.log_path(), std::ios::binary | std::ios::app),
        backend_(std::move(backend)),
        sink_(std::move(sink)),
        cap_(cap) {}

  /// `full` is the whole log so far; `final`: the Pod has ended, an unterminated last line counts.
  void take(const std::string& full, bool final) {
    while (consumed_ < full.size()) {
      const auto nl = full.find('\n', consumed_);
      if (nl == std::string::npos && !final) {
        return;
      }
      const auto end = nl == std::string::npos ? full.size() : nl;
      line(std::string_view(full).substr(consumed_, end - consumed_));
      consumed_ = nl == std::string::npos ? full.size() : nl + 1;
    }
  }

  void finish() {
    if (parser_) {
      for (const auto& e : parser_->finish()) {
        sink_(e);
      }
    }
  }

  const PodFrameReader& frames() const { return frames_; }
  const std::optional<agents::AgentStreamParser>& parser() const { return parser_; }

 private:
  void line(std::string_view text) {
    if (written_ < cap_) {
      log_ << text << '\n';
      log_.flush();
      written_ += text.size() + 1;
    }
    if (frames_.feed(text)) {
      return;
    }
    if (!parser_) {
      parser_.emplace(agents::detect_stream_format(backend_, text));
    }
    for (const auto& e : parser_->feed_line(text)) {
      sink_(e);
    }
  }

  std::ofstream log_;
  std::string backend_;
  agents::AgentRunner::EventSink sink_;
  std::size_t cap_;
  std::size_t consumed_ = 0;
  std::size_t written_ = 0;
  PodFrameReader frames_;
  std::optional<agents::AgentStreamParser> parser_;
};

bool pod_ended(const std::string& phase) {
  return phase == "Succeeded" || phase == "Failed";
}

std::optional<int> terminated_exit_code(const json& pod) {
  const auto* statuses = at(pod, {"status", "containerStatuses"});
  if (statuses == nullptr || !statuses->is_array()) {
    return std::nullopt;
  }
  for (const auto& s : *statuses) {
    if (const auto* code = at(s, {"state", "terminated", "exitCode"}); code != nullptr && code->is_number_integer()) {
      return code->get<int>();
    }
  }
  return std::nullopt;
}

/// The reason a Job failed ("DeadlineExceeded", "BackoffLimitExceeded"), empty while it has not.
std::string job_failure(const json& job) {
  const auto* conditions = at(job, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) {
    return "";
  }
  for (const auto& c : *conditions) {
    if (string_at(c, {"type"}) == "Failed" && string_at(c, {"status"}) == "True") {
      const auto reason = string_at(c, {"reason"});
      return reason.empty() ? std::string("Failed") : reason;
    }
  }
  return "";
}

Task<bool> cancelled_now() {
  const auto cs = co_await net::this_coro::cancellation_state;
  co_return cs.cancelled() != net::cancellation_type::none;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> agent_context_files(const agents::Workspace& ws, std::size_t cap) {
  std::vector<std::pair<std::string, std::string>> files;
  std::size_t total = 0;
  auto add = [&](const fs::path& file) {
    std::string content;
    if (read_regular(file, content) && total + content.size() <= cap) {
      total += content.size();
      files.emplace_back(fs::relative(file, ws.dir()).generic_string(), std::move(content));
    }
  };
  add(ws.dir() / "PROMPT.md");
  std::error_code ec;
  std::vector<fs::path> context;
  for (fs::recursive_directory_iterator it(ws.dir() / "context", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      context.push_back(it->path());
    }
  }
  std::sort(context.begin(), context.end());
  for (const auto& file : context) {
    add(file);
  }
  add(ws.output_dir() / "summary.md");
  return files;
}

struct KubernetesAgentRunner::Followed {
  enum class End { Finished, Cancelled, VigilDeadline, ApiError };
  End end = End::Finished;
  std::string phase;
  std::optional<int> exit_code;
  std::string job_failure;
  Error error;
};

KubernetesAgentRunner::KubernetesAgentRunner(KubeApi& api, Clock& clock, KubernetesRunnerOptions options,
                                             agents::AgentCliOptions cli, Logger log)
    : api_(api), clock_(clock), options_(std::move(options)), cli_(std::move(cli)), log_(std::move(log)) {}

std::string KubernetesAgentRunner::ns_path(const std::string& api, const std::string& resource) const {
  return api + "/namespaces/" + options_.job.namespace_name + "/" + resource;
}

Task<Result<void>> KubernetesAgentRunner::create_job(const AgentJobRequest& request,
                                                     const std::vector<std::pair<std::string, std::string>>& files) {
  const auto job_object = agent_job(options_.job, request);
  const auto jobs = ns_path("/apis/batch/v1", "jobs");
  auto job = co_await api_.create(jobs, job_object);
  if (!job) {
    co_return job.error();
  }
  const auto uid = string_at(*job, {"metadata", "uid"});
  const auto map_object = context_config_map(options_.job, request, files, uid);
  const auto maps = ns_path("/api/v1", "configmaps");
  auto map = co_await api_.create(maps, map_object);
  if (!map) {
    const char* why = "its context could not be created";
    co_await delete_job(request.name, why);
    co_return map.error();
  }
  log_->info("agent job {}/{} created for run {}", options_.job.namespace_name, request.name, request.run_id);
  co_return Result<void>();
}

Task<void> KubernetesAgentRunner::delete_job(const std::string& name, const char* why) {
  co_await net::this_coro::reset_cancellation_state();
  const auto job = ns_path("/apis/batch/v1", "jobs/" + name);
  auto removed = co_await api_.remove(job);
  if (!removed && !removed.error().is(Errc::NotFound)) {
    log_->warn("agent job {} ({}) could not be deleted: {}", name, why, removed.error().message());
  } else {
    log_->info("agent job {} deleted: {}", name, why);
  }
}

// long-function: one polling loop, each step a named call
Task<KubernetesAgentRunner::Followed> KubernetesAgentRunner::follow(const AgentJobRequest& request,
                                                                    const agents::Workspace& workspace,
                                                                    const EventSink& sink) {
  Followed f;
  LogFollower logs(workspace, request.backend, sink, cli_.output_cap * 32);
  const auto deadline = clock_.now() + cli_.timeout + options_.start_allowance;
  const auto selector = http::url_encode("job-name=" + request.name);
  const auto job_path = ns_path("/apis/batch/v1", "jobs/" + request.name);
  std::string pod;
  for (;;) {
    if (pod.empty()) {
      const auto list = ns_path("/api/v1", "pods") + "?labelSelector=" + selector;
      auto pods = co_await api_.get(list);
      if (pods && at(*pods, {"items"}) != nullptr && (*pods)["items"].is_array() && !(*pods)["items"].empty()) {
        pod = string_at((*pods)["items"][0], {"metadata", "name"});
      }
    }
    if (!pod.empty()) {
      const auto pod_path = ns_path("/api/v1", "pods/" + pod);
      auto status = co_await api_.get(pod_path);
      f.phase = status ? string_at(*status, {"status", "phase"}) : "";
      if (!f.phase.empty() && f.phase != "Pending") {
        const auto log_path = ns_path("/api/v1", "pods/" + pod + "/log") +
                              "?container=agent&limitBytes=" + std::to_string(options_.log_cap);
        auto text = co_await api_.get_text(log_path);
        logs.take(text ? *text : std::string(), pod_ended(f.phase));
      }
      if (pod_ended(f.phase)) {
        f.exit_code = terminated_exit_code(*status);
        break;
      }
    }
    auto job = co_await api_.get(job_path);
    if (!job && job.error().is(Errc::NotFound)) {
      f.end = Followed::End::ApiError;
      f.error = make_error(Errc::AgentFailed, "the agent's Job is gone");
      break;
    }
    if (job && !(f.job_failure = job_failure(*job)).empty()) {
      break;
    }
    if (clock_.now() >= deadline) {
      f.end = Followed::End::VigilDeadline;
      break;
    }
    const bool slept = co_await clock_.sleep_for(options_.poll);
    const bool cancelled = co_await cancelled_now();
    if (!slept || cancelled) {
      f.end = Followed::End::Cancelled;
      break;
    }
  }
  logs.finish();
  if (f.end == Followed::End::Finished && f.job_failure.empty() && f.phase == "Failed") {
    auto job = co_await api_.get(job_path);
    if (job) {
      f.job_failure = job_failure(*job);
    }
  }
  if (!f.exit_code) {
    f.exit_code = logs.frames().exit_code();
  }
  for (const auto& [name, content] : logs.frames().outputs()) {
    std::error_code ec;
    fs::create_directories(workspace.output_dir(), ec);
    if (auto w = agents::write_private_file(workspace.output_dir() / name, content); !w) {
      log_->warn("agent output {} not kept: {}", name, w.error().message());
    }
  }
  if (logs.parser()) {
    session_ = logs.parser()->session_id();
    malformed_ = logs.parser()->malformed_lines();
    usage_ = logs.parser()->usage();
    api_errors_ = logs.parser()->api_errors();
  }
  co_return f;
}

Task<Result<agents::AgentTurnResult>> KubernetesAgentRunner::run_turn(const agents::Workspace& workspace,
                                                                      agents::AgentTurn turn, EventSink sink) {
  co_await net::this_coro::throw_if_cancelled(false);
  if (!turn.question.empty()) {
    if (auto r = agents::write_private_file(workspace.dir() / "context" / "follow-up.md", turn.question + "\n"); !r) {
      co_return r.error();
    }
  }
  const auto started = clock_.now();
  AgentJobRequest request;
  request.name = agent_job_name(turn.run_id, to_unix_ms(started));
  request.run_id = turn.run_id;
  request.backend = cli_.backend;
  request.command = cli_.command;
  request.timeout = std::chrono::ceil<std::chrono::seconds>(cli_.timeout);
  request.session_id = turn.session_id;
  request.follow_up = !turn.question.empty();
  const auto files = agent_context_files(workspace, options_.context_cap);
  if (auto created = co_await create_job(request, files); !created) {
    co_return created.error();
  }
  auto followed = co_await follow(request, workspace, sink);
  agents::AgentTurnResult result;
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - started);
  result.exit_code = followed.exit_code;
  result.session_id = session_;
  result.malformed_lines = malformed_;
  result.usage = usage_;  // tokens and cost, as the CLI's stream in the Pod's log reported them
  result.api_errors = api_errors_;
  using Status = agents::AgentTurnResult::Status;
  using End = Followed::End;
  if (followed.end == End::Cancelled) {
    const char* why = "cancelled";
    co_await delete_job(request.name, why);
    result.status = Status::Cancelled;
    result.error = "cancelled";
  } else if (followed.end == End::VigilDeadline || followed.job_failure == "DeadlineExceeded") {
    const char* why = "timed out";
    co_await delete_job(request.name, why);
    result.status = Status::TimedOut;
    result.error = "timed out after " + std::to_string(request.timeout.count()) + "s";
  } else if (followed.end == End::ApiError) {
    co_return followed.error;
  } else if (followed.phase == "Succeeded" && followed.exit_code.value_or(0) == 0) {
    result.status = Status::Succeeded;
  } else {
    result.status = Status::Failed;
    result.error = "agent pod " + (followed.phase.empty() ? std::string("failed") : followed.phase) +
                   (followed.exit_code ? ", exit code " + std::to_string(*followed.exit_code) : std::string()) +
                   (followed.job_failure.empty() ? std::string() : " (" + followed.job_failure + ")");
  }
  co_return result;
}

}  // namespace vigil::kubernetes
