#pragma once

#include <string>
#include <vector>

#include "bot/base/error.h"

namespace vigil::kubernetes {

/// One API permission a kubectl call needs: a verb on a resource (with its subresource, e.g.
/// "pods/log", "deployments/scale") in an API group ("" is the core group).
struct KubeAccess {
  std::string verb;
  std::string resource;
  std::string group;
  bool operator<(const KubeAccess& o) const;
  bool operator==(const KubeAccess& o) const = default;
  /// "patch deployments.apps", "get pods/log": as `kubectl auth can-i` takes it (verb, then
  /// resource[.group][/subresource] split as it expects: see can_i_argv).
  std::string to_string() const;
};

/// What the API server will be asked for when kubectl runs `argv` (argv[0] is "kubectl"): for the
/// commands the shipped runbooks use (get, describe, logs, events, top, rollout
/// history|status|restart|undo, patch, scale, cordon, uncordon), the reads each does first and the write
/// it makes. An error names a command it does not know (so the RBAC test cannot pass unseen).
Result<std::vector<KubeAccess>> required_access(const std::vector<std::string>& argv);

/// `kubectl auth can-i` arguments for one permission (after "kubectl"): verb, resource as
/// resource.group, --subresource when there is one, then -A or -n NAMESPACE.
std::vector<std::string> can_i_argv(const KubeAccess& access, const std::string& namespace_name);

}  // namespace vigil::kubernetes
