#include "bot/core/cluster_choice.h"

#include <algorithm>

namespace vigil {

Result<ClusterChoice> choose_cluster(const KubernetesConfig& kubernetes,
                                     const std::map<std::string, std::string>& labels,
                                     const std::string& channel_cluster) {
  const auto clusters = kubernetes.all_clusters();
  const auto known = [&](const std::string& name) {
    return std::any_of(clusters.begin(), clusters.end(), [&](const ClusterConfig& c) { return c.name == name; });
  };
  std::string names;
  for (const auto& c : clusters) {
    names += (names.empty() ? "" : ", ") + c.name;
  }
  if (const auto label = labels.find("cluster"); label != labels.end() && !label->second.empty()) {
    if (!known(label->second)) {
      return make_error(Errc::InvalidInput, "the alert's cluster label names '" + label->second +
                                                "', which is not a configured cluster (" + names +
                                                "); nothing was run on any cluster");
    }
    return ClusterChoice{label->second, "the alert's cluster label"};
  }
  if (!channel_cluster.empty()) {
    if (!known(channel_cluster)) {
      return make_error(Errc::InvalidConfig,
                        "cluster '" + channel_cluster + "' (the channel's binding) is not configured (" + names + ")");
    }
    return ClusterChoice{channel_cluster, "the channel's binding"};  // or `vigil skills run --cluster`
  }
  return ClusterChoice{kubernetes.default_cluster(), "the default"};
}

}  // namespace vigil
