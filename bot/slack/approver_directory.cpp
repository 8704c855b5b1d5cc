#include "bot/slack/approver_directory.h"

#include <algorithm>

#include "integrations/slack/web_api.h"

namespace vigil {

ApproverDirectory::ApproverDirectory(slack::WebApi& web, Clock& clock, std::chrono::seconds ttl)
    : web_(web), clock_(clock), ttl_(ttl) {}

Task<Result<bool>> ApproverDirectory::is_member(const std::string& group, const std::string& user) {
  const auto now = clock_.now();
  auto it = cache_.find(group);
  if (it == cache_.end() || now - it->second.fetched > ttl_) {
    auto members = co_await web_.usergroup_users(group);
    if (!members) {
      co_return members.error();
    }
    it = cache_.insert_or_assign(group, Entry{std::move(*members), now}).first;
  }
  const auto& m = it->second.members;
  co_return std::find(m.begin(), m.end(), user) != m.end();
}

}  // namespace vigil
