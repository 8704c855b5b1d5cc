#include "bot/ops/webhook_auth.h"

#include <gtest/gtest.h>

#include "integrations/pagerduty/pagerduty_signature.h"

namespace vigil {
namespace {

using Decision = WebhookAuth::Decision;

http::HttpRequest request(std::vector<std::pair<std::string, std::string>> headers, std::string body = "{}") {
  http::HttpRequest r;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

HttpConfig config() {
  HttpConfig c;
  c.alertmanager_token = "am-secret";
  c.grafana_token = "gf-secret";
  c.pagerduty_secrets = {"old-secret", "new-secret"};
  return c;
}

TEST(WebhookAuth, BearerTokensMustMatchExactly) {
  const WebhookAuth auth(config());
  EXPECT_EQ(auth.check("alertmanager", request({{"authorization", "Bearer am-secret"}})), Decision::Accepted);
  EXPECT_EQ(auth.check("alertmanager", request({{"authorization", "bearer am-secret"}})), Decision::Accepted);
  EXPECT_EQ(auth.check("alertmanager", request({{"authorization", "Bearer am-secre"}})), Decision::Unauthorized);
  EXPECT_EQ(auth.check("alertmanager", request({{"authorization", "Bearer am-secretx"}})), Decision::Unauthorized);
  EXPECT_EQ(auth.check("alertmanager", request({{"authorization", "Basic am-secret"}})), Decision::Unauthorized);
  EXPECT_EQ(auth.check("alertmanager", request({})), Decision::Unauthorized);
  // One source's token does not open another.
  EXPECT_EQ(auth.check("grafana", request({{"authorization", "Bearer am-secret"}})), Decision::Unauthorized);
  EXPECT_EQ(auth.check("grafana", request({{"authorization", "Bearer gf-secret"}})), Decision::Accepted);
}

TEST(WebhookAuth, UnconfiguredAndUnknownSourcesAreOff) {
  const WebhookAuth auth(config());
  EXPECT_EQ(auth.check("opsgenie", request({{"authorization", "Bearer "}})), Decision::NotConfigured);
  EXPECT_EQ(auth.check("nagios", request({{"authorization", "Bearer am-secret"}})), Decision::UnknownSource);
  EXPECT_FALSE(auth.is_configured("opsgenie"));
  EXPECT_TRUE(auth.is_configured("pagerduty"));
  EXPECT_FALSE(WebhookAuth::bearer_matches("Bearer ", ""));
}

TEST(WebhookAuth, PagerDutyAcceptsAnyConfiguredSecretDuringRotation) {
  const WebhookAuth auth(config());
  const std::string body = R"({"event":{"event_type":"incident.triggered"}})";
  const auto by_old = pagerduty::sign_v3("old-secret", body);
  const auto by_new = pagerduty::sign_v3("new-secret", body);
  const auto forged = pagerduty::sign_v3("guess", body);
  EXPECT_EQ(auth.check("pagerduty", request({{"x-pagerduty-signature", by_old}}, body)), Decision::Accepted);
  EXPECT_EQ(auth.check("pagerduty", request({{"x-pagerduty-signature", forged + "," + by_new}}, body)),
            Decision::Accepted);
  EXPECT_EQ(auth.check("pagerduty", request({{"x-pagerduty-signature", forged}}, body)), Decision::Unauthorized);
  EXPECT_EQ(auth.check("pagerduty", request({{"x-pagerduty-signature", by_old}}, body + " ")), Decision::Unauthorized);
  EXPECT_EQ(auth.check("pagerduty", request({}, body)), Decision::Unauthorized);
}

}  // namespace
}  // namespace vigil
