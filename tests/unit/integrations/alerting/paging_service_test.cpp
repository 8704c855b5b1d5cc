#include "integrations/alerting/paging_service.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::alerting {
namespace {

TEST(PagingStatusError, KindFollowsTheStatusAndTheTextNamesIt) {
  const auto refused = paging_status_error("PagerDuty", 401, "Unauthenticated");
  EXPECT_TRUE(refused.is(Errc::Forbidden));
  EXPECT_EQ(refused.detail,
            "PagerDuty answered HTTP 401: Unauthenticated (check the API credential and its permissions)");
  EXPECT_TRUE(paging_status_error("OpsGenie", 404, "").is(Errc::NotFound));
  EXPECT_EQ(paging_status_error("OpsGenie", 404, "").detail, "OpsGenie answered HTTP 404");
  EXPECT_TRUE(paging_status_error("OpsGenie", 429, "slow down").is(Errc::RateLimited));
  EXPECT_TRUE(paging_status_error("PagerDuty", 503, "").is(Errc::Unavailable));
  EXPECT_TRUE(paging_status_error("PagerDuty", 400, "bad").is(Errc::Protocol));
}

// The service's message is cut at 200 bytes; a cut inside a character made the detail invalid
// UTF-8, and dumping it into JSON (a Slack reply, a stored event) threw.
TEST(PagingStatusError, ALongMessageIsCutOnACharacterBoundary) {
  std::string message = "x";
  for (int i = 0; i < 100; ++i) {
    message += "\xc3\xa9";  // é, two bytes: byte 200 falls inside the 100th
  }
  const auto e = paging_status_error("PagerDuty", 400, message);
  const std::string prefix = "PagerDuty answered HTTP 400: ";
  ASSERT_EQ(e.detail.rfind(prefix, 0), 0u);
  EXPECT_EQ(e.detail.size(), prefix.size() + 199);  // "x" and 99 whole characters
  EXPECT_NO_THROW((void)nlohmann::json(e.detail).dump());
}

}  // namespace
}  // namespace vigil::alerting
