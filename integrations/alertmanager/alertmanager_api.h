#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/alertmanager/alert_groups.h"
#include "integrations/http/http_client.h"

namespace vigil::alertmanager {

/// One matcher of a silence: `name` equals `value` (no regular expressions: Vigil silences exactly the
/// alert it was shown).
struct SilenceMatcher {
  std::string name;
  std::string value;
};

/// A silence as POST /api/v2/silences takes it. Times are Unix seconds.
struct SilenceRequest {
  std::vector<SilenceMatcher> matchers;
  long long starts_at = 0;
  long long ends_at = 0;
  std::string created_by;
  std::string comment;
};

/// The equality matchers that silence exactly the alert with these labels (empty values left out:
/// Alertmanager refuses a silence whose matchers all match the empty string).
std::vector<SilenceMatcher> matchers_for(const LabelSet& labels);
/// RFC 3339 in UTC, as Alertmanager reads it ("2026-12-06T23:10:00Z").
std::string rfc3339(long long unix_seconds);
/// The JSON body of POST /api/v2/silences.
std::string silence_body(const SilenceRequest& silence);
/// The silenceID in Alertmanager's answer; a Protocol error when it has none.
Result<std::string> parse_silence_id(std::string_view body);

struct AlertmanagerApiOptions {
  std::string url;        // Alertmanager's address, e.g. http://alertmanager:9093
  std::string api_token;  // sent as a bearer token when set
  std::chrono::milliseconds timeout{5'000};
};

/// Alertmanager's API v2: the alert groups (read) and new silences (the Silence button).
class AlertmanagerApi {
 public:
  AlertmanagerApi(http::HttpClient& http, AlertmanagerApiOptions options);
  virtual ~AlertmanagerApi() = default;

  const std::string& url() const { return options_.url; }
  /// GET /api/v2/alerts/groups (active alerts; silenced and inhibited ones included).
  virtual Task<Result<std::vector<AlertGroup>>> alert_groups();
  /// POST /api/v2/silences: the new silence's id.
  virtual Task<Result<std::string>> create_silence(SilenceRequest silence);

 private:
  http::HttpClient& http_;
  AlertmanagerApiOptions options_;
};

}  // namespace vigil::alertmanager
