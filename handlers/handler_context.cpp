#include "handlers/handler_context.h"

#include <algorithm>

namespace vigil::handlers {

Task<bool> HandlerContext::is_approver(const std::string& user) const {
  const auto& users = config.approvals.users;
  if (std::find(users.begin(), users.end(), user) != users.end()) {
    co_return true;
  }
  for (const auto& g : config.approvals.groups) {
    auto member = co_await directory.is_member(g, user);
    if (member && *member) {
      co_return true;
    }
  }
  co_return false;
}

}  // namespace vigil::handlers
