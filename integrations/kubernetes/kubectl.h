#pragma once

#include <map>
#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil::kubernetes {

struct KubectlOptions {
  std::string kubectl = "kubectl";     // the program run for argv[0] == "kubectl"
  std::string read_only_kubeconfig;    // diagnostics, and dry runs that are not server-side
  std::string remediation_kubeconfig;  // an approved mutating step, and server-side dry runs
  std::string dry_run_kubeconfig;      // server-side dry runs, when set (else the remediation one)
  /// A context in the chosen kubeconfig (kubectl --context, added by Vigil after the argv was
  /// checked); empty: the kubeconfig's current-context. The dry run's is the remediation one's
  /// unless dry_run_kubeconfig is set.
  std::string read_only_context;
  std::string remediation_context;
  std::string dry_run_context;
};

/// Whose credentials a kubectl call runs with.
enum class KubectlIdentity {
  ReadOnly,     // diagnostics
  DryRun,       // the dry run shown on an approval card: see Kubectl::prepare
  Remediation,  // an approved mutating step
};

/// What a kubectl invocation needs beyond its argv: the program and the KUBECONFIG variable.
struct KubectlInvocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // KUBECONFIG
};

/// Chooses the credentials of a kubectl step. The kubeconfig always travels as the KUBECONFIG
/// environment variable, never as an argument, and an argv that tries to pick its own credentials
/// or cluster (--kubeconfig, --token, --as, --server, --context, …, in any form kubectl reads:
/// kubectl_args.h) is refused.
///
/// A dry run with --dry-run=server runs as the remediation identity (or kubernetes.dry_run_kubeconfig):
/// the API server authorises a server-side dry run exactly like the write itself, so with the
/// read-only identity every such dry run would be Forbidden, and it guarantees that a dry run
/// persists nothing. Any other dry run (client-side, or a read such as `rollout history`) runs read-only.
class Kubectl {
 public:
  explicit Kubectl(KubectlOptions options);

  static bool is_kubectl(const std::vector<std::string>& argv);
  Result<KubectlInvocation> prepare(const std::vector<std::string>& argv, KubectlIdentity identity) const;
  /// `approved_mutation`: the argv is an approved mutating step (remediation credentials).
  Result<KubectlInvocation> prepare(const std::vector<std::string>& argv, bool approved_mutation) const {
    return prepare(argv, approved_mutation ? KubectlIdentity::Remediation : KubectlIdentity::ReadOnly);
  }
  const KubectlOptions& options() const { return options_; }

 private:
  KubectlOptions options_;
};

}  // namespace vigil::kubernetes
