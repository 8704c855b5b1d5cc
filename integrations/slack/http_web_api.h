#pragma once

#include <chrono>
#include <map>
#include <string>

#include "bot/base/clock.h"
#include "bot/base/metrics.h"
#include "integrations/http/http_client.h"
#include "integrations/slack/rate_limiter.h"
#include "integrations/slack/web_api.h"

namespace vigil::slack {

struct HttpWebApiOptions {
  std::string api_url = "https://slack.com/api/";         // slack.api_url / SLACK_API_URL
  std::string bot_token;                                  // xoxb-…
  std::string app_token;                                  // xapp-… (apps.connections.open only)
  std::chrono::milliseconds timeout{10'000};              // per request
  int max_rate_limit_retries = 5;                         // 429s waited out per call
  int max_error_retries = 3;                              // 5xx / network errors per call
  std::chrono::milliseconds error_backoff{500};           // doubled per retry
  std::chrono::milliseconds default_retry_after{30'000};  // 429 without a Retry-After
};

/// The Web API over an HttpClient: bearer auth, JSON where Slack takes it and form encoding where
/// it requires it, ok:false → Errc::SlackApi, 429 → RateLimiter suspends the key for Retry-After
/// and the call is retried (bounded), 5xx/network → bounded retries with back-off.
class HttpWebApi final : public WebApi {
 public:
  enum class Encoding { Json, Form };

  HttpWebApi(http::HttpClient& http, RateLimiter& limiter, Clock& clock, Logger log, HttpWebApiOptions options,
             Metrics* metrics = nullptr);

  /// One method call with any arguments; returns Slack's whole answer when ok is true.
  Task<Result<nlohmann::json>> call(std::string method, nlohmann::json args, Encoding encoding, bool app_token = false);

  Task<Result<AuthInfo>> auth_test() override;
  Task<Result<std::string>> open_socket_url() override;
  Task<Result<MessageRef>> post_message(OutgoingMessage m) override;
  Task<Result<void>> update_message(MessageRef where, OutgoingMessage m) override;
  Task<Result<std::string>> post_ephemeral(std::string user, OutgoingMessage m) override;
  Task<Result<void>> delete_message(MessageRef where) override;
  Task<Result<void>> add_reaction(MessageRef where, std::string name) override;
  Task<Result<std::string>> views_open(std::string trigger_id, nlohmann::json view) override;
  Task<Result<void>> views_update(std::string view_id, nlohmann::json view, std::string hash) override;
  Task<Result<ChannelInfo>> conversations_info(std::string channel) override;
  Task<Result<ChannelInfo>> conversations_create(std::string name, bool is_private) override;
  Task<Result<void>> conversations_invite(std::string channel, std::vector<std::string> users) override;
  Task<Result<std::vector<ListedMessage>>> recent_messages(std::string channel, std::string thread_ts,
                                                           std::string oldest, int limit) override;
  Task<Result<UserInfo>> users_info(std::string user) override;
  Task<Result<std::vector<std::string>>> usergroup_users(std::string usergroup) override;
  Task<Result<UserInfo>> lookup_user_by_email(std::string email) override;
  Task<Result<UploadTicket>> get_upload_url(std::string filename, std::size_t length) override;
  Task<Result<void>> upload_bytes(std::string upload_url, std::string bytes) override;
  Task<Result<void>> complete_upload(FileShare share) override;
  Task<Result<void>> respond(std::string response_url, ResponseMessage m) override;

 private:
  http::HttpClient& http_;
  RateLimiter& limiter_;
  Clock& clock_;
  Logger log_;
  HttpWebApiOptions options_;
  Metrics* metrics_;
};

}  // namespace vigil::slack
