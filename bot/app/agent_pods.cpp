#include "bot/app/agent_pods.h"

#include "integrations/http/beast_http_client.h"
#include "integrations/process/child_process.h"

namespace vigil {

kubernetes::KubernetesRunnerOptions kubernetes_runner_options(const AgentKubernetesConfig& k) {
  kubernetes::KubernetesRunnerOptions o;
  o.job.namespace_name = k.namespace_name;
  o.job.image = k.image;
  o.job.service_account = k.service_account;
  o.job.api_key_secret = k.api_key_secret;
  o.job.resources = {k.cpu_request, k.memory_request, k.cpu_limit, k.memory_limit, k.workspace_size};
  o.job.ttl_after_finished = k.ttl_after_finished;
  o.poll = std::chrono::duration_cast<std::chrono::milliseconds>(k.poll);
  return o;
}

namespace {

/// Stands in when no Pod can be created: every turn fails with the reason.
class RefusingRunner final : public agents::AgentRunner {
 public:
  explicit RefusingRunner(Error why) : why_(std::move(why)) {}
  Task<Result<agents::AgentTurnResult>> run_turn(const agents::Workspace&, agents::AgentTurn, EventSink) override {
    co_return why_;
  }

 private:
  Error why_;
};

}  // namespace

std::unique_ptr<AgentPods> AgentPods::make(boost::asio::any_io_executor ex, const Config& config, Clock& clock,
                                           const Logging& logging) {
  if (config.agent.isolation != "kubernetes") {
    return nullptr;
  }
  const auto& k = config.agent.kubernetes;
  kubernetes::KubeApiOptions api{k.api_server, k.token_file, k.ca_file};
  auto resolved = kubernetes::resolve_kube_api(api, process::process_environment());
  std::optional<Error> unusable;
  if (!resolved) {
    unusable = resolved.error();
  }
  auto log = logging.make("agent.pods");
  if (unusable) {
    log->error("agent.isolation is kubernetes but {}: agent runs will fail", unusable->detail);
  }
  http::BeastHttpClientOptions http_options;
  http_options.ca_file = resolved && resolved->api_server.starts_with("https://") ? k.ca_file : "";
  auto http = http::make_beast_http_client(ex, http_options, log);
  return std::unique_ptr<AgentPods>(new AgentPods(std::move(http), resolved ? *resolved : api,
                                                  kubernetes_runner_options(k), clock, std::move(log), unusable));
}

AgentPods::AgentPods(std::unique_ptr<http::HttpClient> http, kubernetes::KubeApiOptions api,
                     kubernetes::KubernetesRunnerOptions options, Clock& clock, Logger log,
                     std::optional<Error> unusable)
    : http_(std::move(http)),
      api_(*http_, std::move(api)),
      options_(std::move(options)),
      clock_(clock),
      log_(std::move(log)),
      unusable_(std::move(unusable)) {}

agents::AgentRunnerFactory AgentPods::factory() {
  return [this](const agents::AgentCliOptions& cli) -> std::unique_ptr<agents::AgentRunner> {
    if (unusable_) {
      return std::make_unique<RefusingRunner>(*unusable_);
    }
    return std::make_unique<kubernetes::KubernetesAgentRunner>(api_, clock_, options_, cli, log_);
  };
}

RunManagerOptions with_agent_pods(RunManagerOptions options, AgentPods* pods) {
  if (pods != nullptr) {
    options.agent_runner = pods->factory();
  }
  return options;
}

}  // namespace vigil
