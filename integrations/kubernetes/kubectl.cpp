#include "integrations/kubernetes/kubectl.h"

#include "integrations/kubernetes/kubectl_args.h"

namespace vigil::kubernetes {

Kubectl::Kubectl(KubectlOptions options) : options_(std::move(options)) {}

bool Kubectl::is_kubectl(const std::vector<std::string>& argv) {
  return !argv.empty() && argv[0] == "kubectl";
}

Result<KubectlInvocation> Kubectl::prepare(const std::vector<std::string>& argv, KubectlIdentity identity) const {
  if (!is_kubectl(argv)) {
    return make_error(Errc::InvalidInput, "not a kubectl command");
  }
  if (const auto flag = identity_flag(argv)) {
    return make_error(Errc::Forbidden, "kubectl argument '" + *flag +
                                           "' is not allowed: credentials and cluster come from the configuration");
  }
  const bool server_dry_run = identity == KubectlIdentity::DryRun && effective_dry_run(argv) == "server";
  std::string kubeconfig = options_.read_only_kubeconfig;
  std::string context = options_.read_only_context;
  std::string setting = "kubernetes.read_only_kubeconfig";
  if (identity == KubectlIdentity::Remediation || (server_dry_run && options_.dry_run_kubeconfig.empty())) {
    kubeconfig = options_.remediation_kubeconfig;
    context = options_.remediation_context;
    setting = "kubernetes.remediation_kubeconfig";
  } else if (server_dry_run) {
    kubeconfig = options_.dry_run_kubeconfig;
    context = options_.dry_run_context;
  }
  if (kubeconfig.empty()) {
    return make_error(Errc::InvalidConfig, setting + " is not set");
  }
  KubectlInvocation inv;
  inv.argv = argv;
  inv.argv[0] = options_.kubectl.empty() ? std::string("kubectl") : options_.kubectl;
  if (!context.empty()) {
    // A global flag right after the program: before any `--`, so kubectl reads it as a flag.
    inv.argv.insert(inv.argv.begin() + 1, "--context=" + context);
  }
  inv.env["KUBECONFIG"] = kubeconfig;
  return inv;
}

}  // namespace vigil::kubernetes
