#include "integrations/pagerduty/pagerduty_signature.h"

#include <gtest/gtest.h>

namespace vigil::pagerduty {
namespace {

TEST(PagerDutySignature, KnownVector) {
  // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
  EXPECT_EQ(sign_v3("key", "The quick brown fox jumps over the lazy dog"),
            "v1=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(PagerDutySignature, AcceptsAnyOfSeveralSignaturesAndSecrets) {
  const std::string body = R"({"event":{}})";
  const auto good = sign_v3("new-secret", body);
  EXPECT_TRUE(verify_v3_signature(good, body, {"new-secret"}));
  EXPECT_TRUE(verify_v3_signature("v1=deadbeef, " + good, body, {"old-secret", "new-secret"}));
  EXPECT_TRUE(verify_v3_signature(sign_v3("old-secret", body) + "," + good, body, {"old-secret"}));
}

TEST(PagerDutySignature, RefusesForgeries) {
  const std::string body = R"({"event":{}})";
  EXPECT_FALSE(verify_v3_signature(sign_v3("other", body), body, {"secret"}));
  EXPECT_FALSE(verify_v3_signature(sign_v3("secret", body), body + " ", {"secret"}));
  EXPECT_FALSE(verify_v3_signature("", body, {"secret"}));
  EXPECT_FALSE(verify_v3_signature("v1=", body, {"secret"}));
  EXPECT_FALSE(verify_v3_signature(sign_v3("", body), body, {""}));
  EXPECT_FALSE(verify_v3_signature(sign_v3("secret", body).substr(3), body, {"secret"}));
}

}  // namespace
}  // namespace vigil::pagerduty
