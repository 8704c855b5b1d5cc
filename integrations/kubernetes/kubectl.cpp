#include "integrations/kubernetes/kubectl.h"

#include <array>
#include <string_view>

namespace vigil::kubernetes {
namespace {

// Global kubectl flags that choose identity, cluster or credentials.
constexpr std::array<std::string_view, 16> kForbiddenFlags = {
    "--kubeconfig",
    "--token",
    "--as",
    "--as-group",
    "--as-uid",
    "--server",
    "-s",
    "--context",
    "--cluster",
    "--user",
    "--username",
    "--password",
    "--client-key",
    "--client-certificate",
    "--certificate-authority",
    "--insecure-skip-tls-verify",
};

bool is_forbidden(std::string_view arg) {
  for (auto flag : kForbiddenFlags) {
    if (arg == flag) {
      return true;
    }
    if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=') {
      return true;
    }
  }
  return false;
}

}  // namespace

Kubectl::Kubectl(KubectlOptions options) : options_(std::move(options)) {}

bool Kubectl::is_kubectl(const std::vector<std::string>& argv) {
  return !argv.empty() && argv[0] == "kubectl";
}

Result<KubectlInvocation> Kubectl::prepare(const std::vector<std::string>& argv, bool approved_mutation) const {
  if (!is_kubectl(argv)) {
    return make_error(Errc::InvalidInput, "not a kubectl command");
  }
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (is_forbidden(argv[i])) {
      return make_error(Errc::Forbidden, "kubectl argument '" + argv[i] +
                                             "' is not allowed: credentials and cluster come from "
                                             "the configuration");
    }
  }
  const std::string& kubeconfig = approved_mutation ? options_.remediation_kubeconfig : options_.read_only_kubeconfig;
  if (kubeconfig.empty()) {
    return make_error(Errc::InvalidConfig, approved_mutation ? "kubernetes.remediation_kubeconfig is not set"
                                                             : "kubernetes.read_only_kubeconfig is not set");
  }
  KubectlInvocation inv;
  inv.argv = argv;
  inv.argv[0] = options_.kubectl.empty() ? std::string("kubectl") : options_.kubectl;
  inv.env["KUBECONFIG"] = kubeconfig;
  return inv;
}

}  // namespace vigil::kubernetes
