#include "handlers/handler_context.h"

namespace vigil::handlers {

Task<bool> HandlerContext::is_approver(const std::string& user) const {
  // The gate's policy: configured users and groups, and whoever is on call now.
  std::string who = user;
  const bool allowed = co_await gate.is_configured_approver(std::move(who));
  co_return allowed;
}

}  // namespace vigil::handlers
