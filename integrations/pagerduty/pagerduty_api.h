#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/alerting/paging_service.h"
#include "integrations/http/http_client.h"

namespace vigil::pagerduty {

struct PagerDutyApiOptions {
  std::string api_url = "https://api.pagerduty.com";
  std::string token;       // REST API key: "Authorization: Token token=…"
  std::string from_email;  // "From" on writes (notes): a PagerDuty user's e-mail
  std::chrono::milliseconds timeout{5'000};
};

/// The PagerDuty REST API (v2): GET /oncalls for who is on call in a schedule (users included, so
/// their e-mails come in one request) and POST /incidents/{id}/notes.
class PagerDutyApi final : public alerting::PagingService {
 public:
  PagerDutyApi(http::HttpClient& http, PagerDutyApiOptions options);

  std::string_view name() const override { return "PagerDuty"; }
  Task<Result<std::vector<std::string>>> on_call_emails(std::string schedule) override;
  Task<Result<void>> add_note(std::string incident_id, std::string text) override;
  /// PUT /incidents/{id} with status "acknowledged" (From: the configured e-mail).
  Task<Result<void>> acknowledge(std::string incident_id, std::string note) override;

 private:
  http::HttpRequest request(std::string method, std::string path_and_query) const;

  http::HttpClient& http_;
  PagerDutyApiOptions options_;
};

/// The e-mails in a GET /oncalls answer (oncalls[].user.email), lower case, without duplicates.
Result<std::vector<std::string>> parse_oncalls(std::string_view body);
/// PagerDuty's own message in an error answer ({"error":{"message","errors"}}), or empty.
std::string error_message(std::string_view body);

}  // namespace vigil::pagerduty
