// The silence Vigil asks Alertmanager for: equality matchers from the alert's labels, RFC 3339
// times, and the id in Alertmanager's answer.
#include "integrations/alertmanager/alertmanager_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::alertmanager {
namespace {

TEST(AlertmanagerSilence, BodyHasEqualityMatchersTimesAuthorAndComment) {
  SilenceRequest s;
  s.matchers = matchers_for({{"alertname", "KubePodCrashLooping"}, {"namespace", "shop"}, {"empty", ""}});
  s.starts_at = 1'800'000'000;
  s.ends_at = 1'800'003'600;
  s.created_by = "ana (U0ONCALL01) via Vigil";
  s.comment = "Vigil incident 1234abcd";
  const auto j = nlohmann::json::parse(silence_body(s));
  ASSERT_EQ(j["matchers"].size(), 2u);  // the empty value is left out
  EXPECT_EQ(
      j["matchers"][0],
      (nlohmann::json{{"name", "alertname"}, {"value", "KubePodCrashLooping"}, {"isRegex", false}, {"isEqual", true}}));
  EXPECT_EQ(j["startsAt"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(j["endsAt"], "2027-01-15T09:00:00Z");
  EXPECT_EQ(j["createdBy"], "ana (U0ONCALL01) via Vigil");
  EXPECT_EQ(j["comment"], "Vigil incident 1234abcd");
}

TEST(AlertmanagerSilence, TheAnswersIdOrAProtocolError) {
  auto id = parse_silence_id(R"({"silenceID":"7d8e1f2a-0000-4000-8000-000000000001"})");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "7d8e1f2a-0000-4000-8000-000000000001");
  EXPECT_FALSE(parse_silence_id("{}"));
  EXPECT_FALSE(parse_silence_id("not json"));
  EXPECT_FALSE(parse_silence_id(R"({"silenceID":42})"));
}

}  // namespace
}  // namespace vigil::alertmanager
