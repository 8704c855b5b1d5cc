#include "bot/ops/webhook_auth.h"

#include <array>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "integrations/http/http_server.h"
#include "integrations/pagerduty/pagerduty_signature.h"

namespace vigil {
namespace {

using Digest = std::array<unsigned char, EVP_MAX_MD_SIZE>;

// Comparing digests keeps the comparison constant time whatever the lengths are.
Digest sha256(std::string_view text) {
  Digest d{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

}  // namespace

WebhookAuth::WebhookAuth(HttpConfig config) : config_(std::move(config)) {}

bool WebhookAuth::bearer_matches(std::string_view authorization, std::string_view token) {
  if (token.empty()) {
    return false;
  }
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return false;
    }
  }
  auto presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') {
    presented.remove_prefix(1);
  }
  while (!presented.empty() && (presented.back() == ' ' || presented.back() == '\r')) {
    presented.remove_suffix(1);
  }
  const auto a = sha256(presented);
  const auto b = sha256(token);
  return CRYPTO_memcmp(a.data(), b.data(), 32) == 0;
}

bool WebhookAuth::is_configured(std::string_view source) const {
  if (source == "alertmanager") {
    return !config_.alertmanager_token.empty();
  }
  if (source == "grafana") {
    return !config_.grafana_token.empty();
  }
  if (source == "opsgenie") {
    return !config_.opsgenie_token.empty();
  }
  if (source == "pagerduty") {
    for (const auto& s : config_.pagerduty_secrets) {
      if (!s.empty()) {
        return true;
      }
    }
  }
  return false;
}

WebhookAuth::Decision WebhookAuth::check(std::string_view source, const http::HttpRequest& request) const {
  if (source != "alertmanager" && source != "grafana" && source != "opsgenie" && source != "pagerduty") {
    return Decision::UnknownSource;
  }
  if (!is_configured(source)) {
    return Decision::NotConfigured;
  }
  if (source == "pagerduty") {
    const auto signature = http::request_header(request, "x-pagerduty-signature");
    return pagerduty::verify_v3_signature(signature, request.body, config_.pagerduty_secrets) ? Decision::Accepted
                                                                                              : Decision::Unauthorized;
  }
  const std::string& token = source == "alertmanager" ? config_.alertmanager_token
                             : source == "grafana"    ? config_.grafana_token
                                                      : config_.opsgenie_token;
  return bearer_matches(http::request_header(request, "authorization"), token) ? Decision::Accepted
                                                                               : Decision::Unauthorized;
}

}  // namespace vigil
