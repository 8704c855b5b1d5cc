#include "bot/core/cluster_choice.h"

namespace vigil {

Result<ClusterChoice> choose_cluster(const KubernetesConfig& kubernetes,
                                     const std::map<std::string, std::string>& labels,
                                     const std::string& channel_cluster) {
  const auto known = [&](const std::string& name) { return kubernetes.find_cluster(name).has_value(); };
  const auto names = kubernetes.cluster_names();
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
