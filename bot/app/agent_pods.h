#pragma once

#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/core/config.h"
#include "bot/core/run_manager.h"
#include "integrations/http/http_client.h"
#include "integrations/kubernetes/kube_api.h"
#include "integrations/kubernetes/kubernetes_agent_runner.h"

namespace vigil {

/// The Kubernetes side of `agent.isolation: kubernetes`: a client of the API server (in-cluster by
/// default) and the factory that gives each agent run a KubernetesAgentRunner, so no agent ever
/// runs in Vigil's own container.
class AgentPods {
 public:
  /// Null when agent.isolation is not kubernetes. When the API server cannot be found, every agent
  /// run fails saying so (never falls back to running the agent in Vigil's container).
  static std::unique_ptr<AgentPods> make(boost::asio::any_io_executor ex, const Config& config, Clock& clock,
                                         const Logging& logging);

  agents::AgentRunnerFactory factory();

 private:
  AgentPods(std::unique_ptr<http::HttpClient> http, kubernetes::KubeApiOptions api,
            kubernetes::KubernetesRunnerOptions options, Clock& clock, Logger log, std::optional<Error> unusable);

  std::unique_ptr<http::HttpClient> http_;
  kubernetes::KubeApi api_;
  kubernetes::KubernetesRunnerOptions options_;
  Clock& clock_;
  Logger log_;
  std::optional<Error> unusable_;  // why no Pod can be created
};

/// The runner options of agent.kubernetes.
kubernetes::KubernetesRunnerOptions kubernetes_runner_options(const AgentKubernetesConfig& k);

/// `options` with agent runs going to `pods` (unchanged when pods is null).
RunManagerOptions with_agent_pods(RunManagerOptions options, AgentPods* pods);

}  // namespace vigil
