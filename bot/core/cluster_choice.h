#pragma once

#include <map>
#include <string>

#include "bot/base/error.h"
#include "bot/core/config.h"

namespace vigil {

/// The cluster a run works on, and what chose it (said in the run's thread).
struct ClusterChoice {
  std::string name;
  std::string reason;  // "the alert's cluster label", "the channel's binding", "the default"
};

/// Which cluster a run uses when several are configured: the incident's `cluster` label when it
/// has one, else the channel's binding (`channel_cluster`), else the default. A label or binding
/// that names no configured cluster is an error that says which ones exist: such a run touches no
/// cluster rather than the wrong one. Pure.
Result<ClusterChoice> choose_cluster(const KubernetesConfig& kubernetes,
                                     const std::map<std::string, std::string>& labels,
                                     const std::string& channel_cluster);

}  // namespace vigil
