#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/alerting/paging_service.h"
#include "integrations/http/http_client.h"

namespace vigil::opsgenie {

struct OpsGenieApiOptions {
  std::string api_url = "https://api.opsgenie.com";  // EU accounts: https://api.eu.opsgenie.com
  std::string api_key;                               // "Authorization: GenieKey …"
  std::chrono::milliseconds timeout{5'000};
};

/// The OpsGenie REST API (v2): GET /v2/schedules/{id or name}/on-calls?flat=true for who is on call
/// (their user names, which are e-mails) and POST /v2/alerts/{id}/notes.
class OpsGenieApi final : public alerting::PagingService {
 public:
  OpsGenieApi(http::HttpClient& http, OpsGenieApiOptions options);

  std::string_view name() const override { return "OpsGenie"; }
  /// `schedule` is the schedule's id (a UUID) or its name.
  Task<Result<std::vector<std::string>>> on_call_emails(std::string schedule) override;
  /// `alert_id` is the alert's id (alertId in its webhooks), not its alias or tiny id.
  Task<Result<void>> add_note(std::string alert_id, std::string text) override;
  /// POST /v2/alerts/{id}/acknowledge with `note`.
  Task<Result<void>> acknowledge(std::string alert_id, std::string note) override;

 private:
  http::HttpRequest request(std::string method, std::string path_and_query) const;

  http::HttpClient& http_;
  OpsGenieApiOptions options_;
};

/// data.onCallRecipients of a flat on-calls answer, lower case, without duplicates (entries that
/// are not e-mail addresses are left out).
Result<std::vector<std::string>> parse_on_calls(std::string_view body);
/// OpsGenie's own message in an error answer ({"message": …}), or empty.
std::string error_message(std::string_view body);
/// True for a schedule id (a UUID); anything else is taken as the schedule's name.
bool is_schedule_id(std::string_view schedule);

}  // namespace vigil::opsgenie
