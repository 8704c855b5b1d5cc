#include "integrations/alerting/paging_service.h"

#include <algorithm>
#include <cctype>

#include "bot/base/utf8.h"

namespace vigil::alerting {

Task<Result<void>> PagingService::acknowledge(std::string, std::string) {
  co_return make_error(Errc::InvalidInput, std::string(name()) + " cannot acknowledge from Vigil");
}

Error paging_status_error(std::string_view service, int status, std::string_view service_message) {
  std::string detail = std::string(service) + " answered HTTP " + std::to_string(status);
  if (!service_message.empty()) {
    // The service's own text, shortened without cutting a character (the detail ends up in JSON).
    detail += ": " + utf8_prefix(service_message, 200);
  }
  if (status == 401 || status == 403) {
    return make_error(Errc::Forbidden, detail + " (check the API credential and its permissions)");
  }
  if (status == 404) {
    return make_error(Errc::NotFound, detail);
  }
  if (status == 429) {
    return make_error(Errc::RateLimited, detail);
  }
  if (status >= 500) {
    return make_error(Errc::Unavailable, detail);
  }
  return make_error(Errc::Protocol, detail);
}

std::string normalise_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) {
    return {};
  }
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace vigil::alerting
