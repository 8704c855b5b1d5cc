#include "integrations/agents/agent_failure.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "bot/base/utf8.h"

namespace vigil::agents {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return text.find(n) != std::string::npos; });
}

// A three-digit HTTP status 5xx standing on its own ("529", "status 503", "HTTP/1.1 502").
bool has_5xx_status(const std::string& text) {
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    const bool starts = i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]));
    const bool ends = i + 3 == text.size() || !std::isalnum(static_cast<unsigned char>(text[i + 3]));
    if (starts && ends && text[i] == '5' && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(text[i + 2]))) {
      return true;
    }
  }
  return false;
}

bool has_status(const std::string& text, std::string_view status) {
  for (auto at = text.find(status); at != std::string::npos; at = text.find(status, at + 1)) {
    const bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    const auto end = at + status.size();
    const bool ends = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

std::string_view kind_phrase(ApiErrorKind kind) {
  return kind == ApiErrorKind::Network ? "a network error reaching the model's API"
                                       : "a server error from the model's API";
}

}  // namespace

ApiErrorKind classify_api_error(std::string_view raw) {
  const auto text = lower(raw);
  if (has_status(text, "401") || has_status(text, "403") ||
      contains_any(text, {"authentication", "unauthorized", "invalid api key", "invalid x-api-key", "api key not valid",
                          "permission_denied", "billing", "credit balance", "not logged in", "please run /login"})) {
    return ApiErrorKind::Auth;
  }
  if (has_5xx_status(text) || contains_any(text, {"overloaded", "server_error", "internal server error",
                                                  "service unavailable", "bad gateway", "gateway timeout"})) {
    return ApiErrorKind::ServerError;
  }
  if (contains_any(
          text, {"econnreset", "econnrefused", "etimedout", "enotfound", "eai_again", "socket hang up", "network error",
                 "connection error", "connection reset", "connection refused", "connection closed", "fetch failed",
                 "stream disconnected", "error sending request", "dns error", "timed out waiting for the server"})) {
    return ApiErrorKind::Network;
  }
  return ApiErrorKind::Other;
}

RetryDecision decide_retry(const AgentTurnResult& turn, bool left_output, bool already_retried) {
  if (already_retried || left_output || turn.status != AgentTurnResult::Status::Failed) {
    return {};
  }
  const std::string* transient = nullptr;
  ApiErrorKind transient_kind = ApiErrorKind::Other;
  for (const auto& e : turn.api_errors) {
    const auto kind = classify_api_error(e);
    if (kind == ApiErrorKind::Auth) {
      return {};
    }
    if ((kind == ApiErrorKind::Network || kind == ApiErrorKind::ServerError) && transient == nullptr) {
      transient = &e;
      transient_kind = kind;
    }
  }
  if (transient == nullptr) {
    return {};
  }
  std::string reason(kind_phrase(transient_kind));
  reason += " (" + utf8_prefix(*transient, 200) + ")";
  return {true, reason};
}

}  // namespace vigil::agents
