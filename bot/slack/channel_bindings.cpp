#include "bot/slack/channel_bindings.h"

#include <boost/regex.hpp>

#include "integrations/slack/web_api.h"

namespace vigil {

ChannelBindings::ChannelBindings(std::vector<ChannelBinding> bindings, slack::WebApi& web, Clock& clock,
                                 std::chrono::seconds ttl)
    : bindings_(std::move(bindings)), web_(web), clock_(clock), ttl_(ttl) {}

std::optional<ChannelBinding> ChannelBindings::match(const std::string& id, const std::string& name) const {
  for (const auto& b : bindings_) {
    if (!b.id.empty() && b.id == id) {
      return b;
    }
  }
  if (name.empty()) {
    return std::nullopt;
  }
  for (const auto& b : bindings_) {
    if (b.name_pattern.empty()) {
      continue;
    }
    try {
      if (boost::regex_search(name, boost::regex(b.name_pattern))) {
        return b;
      }
    } catch (const std::exception&) {
      // validated when the configuration was loaded
    }
  }
  return std::nullopt;
}

std::optional<ChannelBinding> ChannelBindings::find_cached(const std::string& channel_id) const {
  const auto it = names_.find(channel_id);
  return match(channel_id, it == names_.end() ? std::string() : it->second.name);
}

void ChannelBindings::remember_name(const std::string& channel_id, const std::string& name) {
  names_[channel_id] = Name{name, clock_.now()};
}

Task<std::optional<ChannelBinding>> ChannelBindings::find(std::string channel_id) {
  if (auto by_id = match(channel_id, ""); by_id) {
    co_return by_id;
  }
  bool needs_name = false;
  for (const auto& b : bindings_) {
    needs_name = needs_name || !b.name_pattern.empty();
  }
  if (!needs_name) {
    co_return std::nullopt;
  }
  auto it = names_.find(channel_id);
  if (it == names_.end() || clock_.now() - it->second.at > ttl_) {
    auto info = co_await web_.conversations_info(channel_id);
    if (!info) {
      // Unknown for now: not bound; asked again after the TTL.
      names_[channel_id] = Name{"", clock_.now()};
      co_return std::nullopt;
    }
    names_[channel_id] = Name{info->name, clock_.now()};
  }
  co_return match(channel_id, names_[channel_id].name);
}

}  // namespace vigil
