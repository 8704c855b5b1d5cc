#include "integrations/kubernetes/kubectl_args.h"

#include <algorithm>
#include <array>

namespace vigil::kubernetes {
namespace {

// kubectl's global flags (v1.32 `kubectl options`) that choose who calls, with which credentials,
// against which cluster, or that write files: none may come from a skill's argv.
constexpr std::array<std::string_view, 20> kIdentityFlags = {
    "kubeconfig",
    "token",
    "as",
    "as-group",
    "as-uid",
    "server",
    "context",
    "cluster",
    "user",
    "username",
    "password",
    "client-key",
    "client-certificate",
    "certificate-authority",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "cache-dir",
    "profile",
    "profile-output",
    "kuberc",
};

// Shorthands that take a value in every kubectl command: the rest of a cluster after one of these
// is its value. Any other letter is taken as a boolean, so the scan goes on (safer: `-f` is a
// boolean in `kubectl logs`, and a value elsewhere).
constexpr std::string_view kValueShorthands = "nloL";

bool is_identity_flag(const std::string& name) {
  return std::find(kIdentityFlags.begin(), kIdentityFlags.end(), name) != kIdentityFlags.end();
}

// A cluster of shorthands ("-ws", "-shttp://…", "-n=shop"): whether kubectl would read -s in it.
bool cluster_sets_server(std::string_view cluster) {
  for (const char c : cluster) {
    if (c == 's') {
      return true;
    }
    if (c == '=' || kValueShorthands.find(c) != std::string_view::npos) {
      return false;
    }
  }
  return false;
}

}  // namespace

std::string normalized_flag_name(std::string_view arg) {
  while (!arg.empty() && arg.front() == '-') {
    arg.remove_prefix(1);
  }
  std::string name(arg.substr(0, arg.find('=')));
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::optional<std::string> identity_flag(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& arg = argv[i];
    if (arg == "--") {
      break;
    }
    if (arg.rfind("--", 0) == 0) {
      if (is_identity_flag(normalized_flag_name(arg))) {
        return arg;
      }
    } else if (arg.size() > 1 && arg[0] == '-' && cluster_sets_server(std::string_view(arg).substr(1))) {
      return arg;
    }
  }
  return std::nullopt;
}

std::optional<std::string> effective_dry_run(const std::vector<std::string>& argv) {
  std::optional<std::string> value;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& arg = argv[i];
    if (arg == "--") {
      break;
    }
    if (arg.rfind("--", 0) != 0 || normalized_flag_name(arg) != "dry-run") {
      continue;
    }
    const auto eq = arg.find('=');
    value = eq == std::string::npos ? std::string("client") : arg.substr(eq + 1);
  }
  return value;
}

}  // namespace vigil::kubernetes
