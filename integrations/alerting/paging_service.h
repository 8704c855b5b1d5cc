#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil::alerting {

/// A paging service's REST API as Vigil uses it (PagerDuty, OpsGenie): who is on call now, and a
/// note on the incident or alert a run is about. Failures are values (Errc::Forbidden for a refused
/// credential, Errc::NotFound, Errc::RateLimited, Errc::Unavailable / Errc::Timeout from the network
/// or a 5xx, Errc::Protocol for an answer that cannot be read), with a detail fit for a log line.
class PagingService {
 public:
  virtual ~PagingService() = default;
  /// "PagerDuty" or "OpsGenie", for people.
  virtual std::string_view name() const = 0;
  /// The e-mail addresses of everyone on call now in `schedule` (lower case, no duplicates).
  virtual Task<Result<std::vector<std::string>>> on_call_emails(std::string schedule) = 0;
  /// A note on incident (PagerDuty) or alert (OpsGenie) `id`.
  virtual Task<Result<void>> add_note(std::string id, std::string text) = 0;
  /// Acknowledges incident (PagerDuty) or alert (OpsGenie) `id`; `note` says who did it in Slack.
  /// A service that cannot acknowledge answers InvalidInput.
  virtual Task<Result<void>> acknowledge(std::string id, std::string note);
};

}  // namespace vigil::alerting

namespace vigil::alerting {

/// The error for a non-2xx answer from a paging service: 401/403 Forbidden, 404 NotFound, 429
/// RateLimited, 5xx Unavailable, anything else Protocol; `detail` names the service, the status and
/// the service's own message (never the request's credentials).
Error paging_status_error(std::string_view service, int status, std::string_view service_message);

/// Lower case, trimmed; empty when it does not look like an e-mail address.
std::string normalise_email(std::string_view email);

}  // namespace vigil::alerting
