#include "integrations/kubernetes/kubectl_access.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace vigil::kubernetes {
namespace {

struct ResourceKind {
  std::string resource;
  std::string group;
};

// The resource kinds the shipped runbooks name, by every spelling kubectl accepts for them.
std::optional<ResourceKind> kind_of(std::string name) {
  static const std::map<std::string, ResourceKind> kinds = {
      {"pod", {"pods", ""}},
      {"pods", {"pods", ""}},
      {"po", {"pods", ""}},
      {"node", {"nodes", ""}},
      {"nodes", {"nodes", ""}},
      {"no", {"nodes", ""}},
      {"event", {"events", ""}},
      {"events", {"events", ""}},
      {"ev", {"events", ""}},
      {"deployment", {"deployments", "apps"}},
      {"deployments", {"deployments", "apps"}},
      {"deploy", {"deployments", "apps"}},
      {"replicaset", {"replicasets", "apps"}},
      {"replicasets", {"replicasets", "apps"}},
      {"rs", {"replicasets", "apps"}},
  };
  if (const auto slash = name.find('/'); slash != std::string::npos) {
    name = name.substr(0, slash);
  }
  const auto it = kinds.find(name);
  return it == kinds.end() ? std::nullopt : std::optional<ResourceKind>(it->second);
}

// The words of argv that are not flags or flag values (a flag's value is the next word only for
// the value-taking flags the runbooks use).
std::vector<std::string> positionals(const std::vector<std::string>& argv) {
  static const std::vector<std::string> takes_value = {"-n", "--namespace", "-o", "--output",   "--for",
                                                       "-l", "--selector",  "-c", "--container"};
  std::vector<std::string> words;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (a == "--") {
      words.insert(words.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (std::find(takes_value.begin(), takes_value.end(), a) != takes_value.end()) {
      ++i;
    } else if (a.empty() || a[0] != '-') {
      words.push_back(a);
    }
  }
  return words;
}

bool names_one(const std::vector<std::string>& words, std::size_t kind_at) {
  return words.size() > kind_at + 1 || words[kind_at].find('/') != std::string::npos;
}

Result<std::vector<KubeAccess>> unknown(const std::vector<std::string>& argv) {
  std::string text;
  for (std::size_t i = 0; i < argv.size() && i < 4; ++i) {
    text += (i ? " " : "") + argv[i];
  }
  return make_error(Errc::InvalidInput, "no known API permissions for '" + text + "'");
}

std::vector<KubeAccess> rollout_access(const std::string& action) {
  std::vector<KubeAccess> a = {{"get", "deployments", "apps"}};
  if (action == "history" || action == "undo") {
    a.push_back({"list", "replicasets", "apps"});
  }
  if (action == "status") {
    a.push_back({"list", "deployments", "apps"});
    a.push_back({"watch", "deployments", "apps"});
  }
  if (action == "restart" || action == "undo") {
    a.push_back({"patch", "deployments", "apps"});
  }
  return a;
}

std::vector<KubeAccess> describe_access(const ResourceKind& kind) {
  std::vector<KubeAccess> a = {{"get", kind.resource, kind.group}, {"list", "events", ""}};
  if (kind.resource == "deployments") {
    a.push_back({"list", "replicasets", "apps"});
  }
  if (kind.resource == "nodes") {
    a.push_back({"list", "pods", ""});
  }
  return a;
}

std::vector<KubeAccess> logs_access(const std::string& target) {
  std::vector<KubeAccess> a = {{"get", "pods", ""}, {"get", "pods/log", ""}};
  if (const auto kind = kind_of(target); target.find('/') != std::string::npos && kind && kind->resource != "pods") {
    a.push_back({"get", kind->resource, kind->group});
    a.push_back({"list", "pods", ""});
  }
  return a;
}

}  // namespace

bool KubeAccess::operator<(const KubeAccess& o) const {
  return std::tie(group, resource, verb) < std::tie(o.group, o.resource, o.verb);
}

std::string KubeAccess::to_string() const {
  const auto slash = resource.find('/');
  const auto base = resource.substr(0, slash);
  return verb + " " + base + (group.empty() ? "" : "." + group) +
         (slash == std::string::npos ? "" : "/" + resource.substr(slash + 1));
}

Result<std::vector<KubeAccess>> required_access(const std::vector<std::string>& argv) {
  const auto words = positionals(argv);
  if (words.empty()) {
    return unknown(argv);
  }
  const auto& command = words[0];
  if ((command == "get" || command == "describe") && words.size() >= 2) {
    const auto kind = kind_of(words[1]);
    if (!kind) {
      return unknown(argv);
    }
    if (command == "describe") {
      return describe_access(*kind);
    }
    return std::vector<KubeAccess>{{names_one(words, 1) ? "get" : "list", kind->resource, kind->group}};
  }
  if (command == "logs" && words.size() >= 2) {
    return logs_access(words[1]);
  }
  if (command == "events") {
    return std::vector<KubeAccess>{{"list", "events", ""}};
  }
  if (command == "top" && words.size() >= 2) {
    const auto kind = kind_of(words[1]);
    if (!kind || (kind->resource != "pods" && kind->resource != "nodes")) {
      return unknown(argv);
    }
    const bool one = names_one(words, 1);
    std::vector<KubeAccess> a = {{one ? "get" : "list", kind->resource, "metrics.k8s.io"}};
    if (kind->resource == "nodes") {
      a.push_back({one ? "get" : "list", "nodes", ""});
    }
    return a;
  }
  if (command == "rollout" && words.size() >= 3) {
    const auto& action = words[1];
    if (action != "history" && action != "status" && action != "restart" && action != "undo") {
      return unknown(argv);
    }
    return rollout_access(action);
  }
  if (command == "patch" && words.size() >= 2) {
    const auto kind = kind_of(words[1]);
    if (!kind) {
      return unknown(argv);
    }
    return std::vector<KubeAccess>{{"patch", kind->resource, kind->group}};
  }
  if (command == "scale" && words.size() >= 2) {
    // With a precondition (--current-replicas) kubectl reads the scale and updates it; without, it
    // patches it.
    const bool precondition = std::any_of(argv.begin(), argv.end(), [](const std::string& a) {
      return a.rfind("--current-replicas", 0) == 0 || a.rfind("--current_replicas", 0) == 0;
    });
    if (precondition) {
      return std::vector<KubeAccess>{{"get", "deployments", "apps"},
                                     {"get", "deployments/scale", "apps"},
                                     {"update", "deployments/scale", "apps"}};
    }
    return std::vector<KubeAccess>{{"get", "deployments", "apps"}, {"patch", "deployments/scale", "apps"}};
  }
  if ((command == "cordon" || command == "uncordon") && words.size() >= 2) {
    return std::vector<KubeAccess>{{"get", "nodes", ""}, {"patch", "nodes", ""}};
  }
  return unknown(argv);
}

std::vector<std::string> can_i_argv(const KubeAccess& access, const std::string& namespace_name) {
  const auto slash = access.resource.find('/');
  const auto base = access.resource.substr(0, slash);
  std::vector<std::string> argv = {"auth", "can-i", access.verb,
                                   base + (access.group.empty() ? "" : "." + access.group)};
  if (slash != std::string::npos) {
    argv.push_back("--subresource=" + access.resource.substr(slash + 1));
  }
  if (access.resource == "nodes" || base == "nodes") {
    return argv;  // cluster-scoped
  }
  if (namespace_name.empty()) {
    argv.push_back("-A");
  } else {
    argv.insert(argv.end(), {"-n", namespace_name});
  }
  return argv;
}

}  // namespace vigil::kubernetes
