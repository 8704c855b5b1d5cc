#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/task.h"
#include "bot/core/config.h"

namespace vigil {

namespace slack {
class WebApi;
}

/// Which channels are incident channels, and how each behaves. Bound by id, or by a name pattern
/// (the name is looked up once with conversations.info and cached, never per message).
class ChannelBindings {
 public:
  ChannelBindings(std::vector<ChannelBinding> bindings, slack::WebApi& web, Clock& clock,
                  std::chrono::seconds ttl = std::chrono::minutes(10));

  /// The binding of a channel, or nullopt when Vigil is not bound there.
  Task<std::optional<ChannelBinding>> find(std::string channel_id);
  /// The binding, if the channel's name is already known (no Web API call).
  std::optional<ChannelBinding> find_cached(const std::string& channel_id) const;
  /// For tests and the sandbox: a channel's name without asking Slack.
  void remember_name(const std::string& channel_id, const std::string& name);
  bool empty() const { return bindings_.empty(); }

 private:
  std::optional<ChannelBinding> match(const std::string& id, const std::string& name) const;
  std::vector<ChannelBinding> bindings_;
  slack::WebApi& web_;
  Clock& clock_;
  std::chrono::seconds ttl_;
  struct Name {
    std::string name;
    std::chrono::system_clock::time_point at;
  };
  std::map<std::string, Name> names_;
};

}  // namespace vigil
