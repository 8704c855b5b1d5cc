#include "integrations/pagerduty/pagerduty_api.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/fake_http_client.h"

namespace vigil::pagerduty {
namespace {

template <class T>
T run(boost::asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) {
      std::rethrow_exception(e);
    }
    out = std::move(value);
  });
  io.restart();
  io.run();
  return std::move(*out);
}

// The shape PagerDuty documents for GET /oncalls with include[]=users (our own sample).
constexpr const char* kOnCalls = R"({
  "oncalls": [
    {"user": {"id": "PU1", "type": "user", "name": "Ada", "email": "Ada@Example.com"},
     "schedule": {"id": "PSCHED1", "type": "schedule_reference"},
     "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"},
     "escalation_level": 1, "start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z"},
    {"user": {"id": "PU1", "type": "user", "name": "Ada", "email": "ada@example.com"},
     "schedule": {"id": "PSCHED1", "type": "schedule_reference"},
     "escalation_policy": {"id": "PEP2", "type": "escalation_policy_reference"},
     "escalation_level": 2, "start": null, "end": null},
    {"user": {"id": "PU2", "type": "user_reference", "summary": "Bob"},
     "schedule": null, "escalation_policy": {"id": "PEP1"}, "escalation_level": 1}
  ],
  "limit": 100, "offset": 0, "more": false, "total": null})";

TEST(PagerDutyApi, ParsesOnCallEmailsOnceEach) {
  const auto emails = parse_oncalls(kOnCalls);
  ASSERT_TRUE(emails);
  EXPECT_EQ(*emails, (std::vector<std::string>{"ada@example.com"}));
  EXPECT_TRUE(parse_oncalls(R"({"oncalls": []})")->empty());
  EXPECT_FALSE(parse_oncalls("<html>"));
  EXPECT_FALSE(parse_oncalls(R"({"error": {}})"));
}

TEST(PagerDutyApi, ADeeplyNestedAnswerIsAnErrorNotACrash) {
  constexpr std::size_t kDepth = 200'000;  // nlohmann::json destroys a document recursively
  const std::string nested = "{\"oncalls\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  const auto emails = parse_oncalls(nested);
  ASSERT_FALSE(emails);
  EXPECT_TRUE(emails.error().is(Errc::Protocol));
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(400, nested);
  PagerDutyApi api(http, {"https://pd.example", "tok-123", "", std::chrono::seconds(3)});
  const auto refused = run(io, api.on_call_emails("P1"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("HTTP 400"), std::string::npos) << refused.error().detail;
}

TEST(PagerDutyApi, AsksForTheScheduleWithUsersAndTheV2Headers) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(200, kOnCalls);
  PagerDutyApi api(http, {"https://pd.example/", "tok-123", "vigil@example.com", std::chrono::seconds(3)});
  const auto emails = run(io, api.on_call_emails("PSCHED1"));
  ASSERT_TRUE(emails) << emails.error().message();
  ASSERT_EQ(http.requests.size(), 1u);
  const auto& r = http.requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "https://pd.example/oncalls?schedule_ids%5B%5D=PSCHED1&include%5B%5D=users&earliest=true&limit=100");
  EXPECT_EQ(http.header(0, "Authorization"), "Token token=tok-123");
  EXPECT_EQ(http.header(0, "Accept"), "application/vnd.pagerduty+json;version=2");
  EXPECT_EQ(r.timeout, std::chrono::seconds(3));
}

TEST(PagerDutyApi, ErrorsNameTheStatusAndPagerDutysMessage) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(401, R"({"error": {"message": "Unauthenticated", "code": 2006}})");
  http.answer(503, "");
  http.answer(429, "{}");
  PagerDutyApi api(http, {"https://pd.example", "tok-123", "", std::chrono::seconds(3)});
  const auto refused = run(io, api.on_call_emails("P1"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(Errc::Forbidden));
  EXPECT_NE(refused.error().detail.find("HTTP 401: Unauthenticated"), std::string::npos) << refused.error().detail;
  EXPECT_EQ(refused.error().detail.find("tok-123"), std::string::npos);
  EXPECT_TRUE(run(io, api.on_call_emails("P1")).error().is(Errc::Unavailable));
  EXPECT_TRUE(run(io, api.on_call_emails("P1")).error().is(Errc::RateLimited));
  const auto down = run(io, api.on_call_emails("P1"));  // the fallback: connection refused
  EXPECT_TRUE(down.error().is(Errc::Unavailable));
}

TEST(PagerDutyApi, NotesCarryFromAndTheContent) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(201, R"({"note": {"id": "PN1", "content": "x"}})");
  http.answer(400, R"({"error": {"message": "Invalid Input Provided", "errors": ["Requester User Not Found"]}})");
  PagerDutyApi api(http, {"https://pd.example", "tok-123", "vigil@example.com", std::chrono::seconds(3)});
  ASSERT_TRUE(run(io, api.add_note("PFQZPSY", "Vigil started triage")));
  const auto& r = http.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://pd.example/incidents/PFQZPSY/notes");
  EXPECT_EQ(http.header(0, "From"), "vigil@example.com");
  EXPECT_EQ(http.header(0, "Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"note", {{"content", "Vigil started triage"}}}}));
  const auto bad = run(io, api.add_note("PFQZPSY", "x"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("Requester User Not Found"), std::string::npos) << bad.error().detail;
}

}  // namespace
}  // namespace vigil::pagerduty
