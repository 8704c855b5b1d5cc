#pragma once

#include <map>
#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil::kubernetes {

struct KubectlOptions {
  std::string kubectl = "kubectl";     // the program run for argv[0] == "kubectl"
  std::string read_only_kubeconfig;    // diagnostics and dry runs
  std::string remediation_kubeconfig;  // only for an approved mutating step
};

/// What a kubectl invocation needs beyond its argv: the program and the KUBECONFIG variable.
struct KubectlInvocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // KUBECONFIG
};

/// Chooses the credentials of a kubectl step. The kubeconfig always travels as the KUBECONFIG
/// environment variable, never as an argument, and an argv that tries to pick its own credentials
/// or cluster (--kubeconfig, --token, --as, --server, --context, …) is refused.
class Kubectl {
 public:
  explicit Kubectl(KubectlOptions options);

  static bool is_kubectl(const std::vector<std::string>& argv);
  /// `approved_mutation`: the argv is an approved mutating step (remediation credentials).
  Result<KubectlInvocation> prepare(const std::vector<std::string>& argv, bool approved_mutation) const;
  const KubectlOptions& options() const { return options_; }

 private:
  KubectlOptions options_;
};

}  // namespace vigil::kubernetes
