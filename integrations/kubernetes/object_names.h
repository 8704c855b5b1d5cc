#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/kubernetes/kubectl.h"

namespace vigil::process {
class ChildProcess;
}

namespace vigil::kubernetes {

struct NamespacedName {
  std::string ns;
  std::string name;
  bool operator==(const NamespacedName&) const = default;
};

/// Names of objects that exist in the cluster, so free text ("checkout") can be read as a
/// namespace, a pod or a deployment. Every name came from kubectl's output: untrusted text.
struct ClusterObjects {
  std::vector<std::string> namespaces;
  std::vector<NamespacedName> pods;
  std::vector<NamespacedName> deployments;
  bool empty() const { return namespaces.empty() && pods.empty() && deployments.empty(); }
};

/// The port: whoever reads free text asks it; tests give a fake.
class ObjectNameLookup {
 public:
  virtual ~ObjectNameLookup() = default;
  /// Whatever could be listed (a failure leaves that kind empty; the lookup never fails a run).
  virtual Task<ClusterObjects> list() = 0;
};

/// `kubectl get namespaces --no-headers` → the first column of each line (a header line is skipped).
/// Lines that are not a plain Kubernetes name are dropped.
std::vector<std::string> parse_names(std::string_view output, std::size_t limit = 2000);
/// `kubectl get pods -A --no-headers` → (namespace, name) from the first two columns.
std::vector<NamespacedName> parse_namespaced_names(std::string_view output, std::size_t limit = 5000);

struct ObjectNameOptions {
  std::chrono::milliseconds timeout{5000};         // per kubectl call
  std::size_t output_cap = 512 * 1024;             // bytes of output read per call
  std::map<std::string, std::string> environment;  // the child's environment (KUBECONFIG is added)
};

/// Lists names with the READ-ONLY kubeconfig: `get namespaces`, `get pods -A`, `get deployments -A`,
/// each bounded in time and output.
class KubectlObjectNames final : public ObjectNameLookup {
 public:
  KubectlObjectNames(Kubectl kubectl, process::ChildProcess& runner, ObjectNameOptions options, Logger log);
  Task<ClusterObjects> list() override;

 private:
  Task<std::string> run(std::vector<std::string> argv);
  Kubectl kubectl_;
  process::ChildProcess& runner_;
  ObjectNameOptions options_;
  Logger log_;
};

}  // namespace vigil::kubernetes
