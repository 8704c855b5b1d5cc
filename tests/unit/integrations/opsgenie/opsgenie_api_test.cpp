#include "integrations/opsgenie/opsgenie_api.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/fake_http_client.h"

namespace vigil::opsgenie {
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

// The shape OpsGenie documents for GET /v2/schedules/{id}/on-calls?flat=true (our own sample).
constexpr const char* kFlat = R"({
  "data": {"_parent": {"id": "d875a654-9b4e-4219-a803-0c26936d18de", "name": "Primary", "enabled": true},
           "onCallRecipients": ["Jo@Example.com", "jo@example.com", "not-an-email"]},
  "took": 0.1, "requestId": "r1"})";

TEST(OpsGenieApi, ParsesFlatRecipients) {
  const auto emails = parse_on_calls(kFlat);
  ASSERT_TRUE(emails);
  EXPECT_EQ(*emails, (std::vector<std::string>{"jo@example.com"}));
  EXPECT_FALSE(parse_on_calls(R"({"data": {"onCallParticipants": []}})"));
  EXPECT_FALSE(parse_on_calls("[]"));
}

TEST(OpsGenieApi, ADeeplyNestedAnswerIsAnErrorNotACrash) {
  constexpr std::size_t kDepth = 200'000;  // nlohmann::json destroys a document recursively
  const std::string nested =
      "{\"data\":{\"onCallRecipients\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}}";
  const auto emails = parse_on_calls(nested);
  ASSERT_FALSE(emails);
  EXPECT_TRUE(emails.error().is(Errc::Protocol));
}

TEST(OpsGenieApi, ScheduleIdOrName) {
  EXPECT_TRUE(is_schedule_id("d875a654-9b4e-4219-a803-0c26936d18de"));
  EXPECT_FALSE(is_schedule_id("Primary On Call"));
  EXPECT_FALSE(is_schedule_id("d875a654-9b4e-4219-a803-0c26936d18dz"));
}

TEST(OpsGenieApi, AsksByNameWithTheGenieKey) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(200, kFlat);
  http.answer(200, kFlat);
  OpsGenieApi api(http, {"https://og.example", "key-9", std::chrono::seconds(4)});
  ASSERT_TRUE(run(io, api.on_call_emails("Primary On Call")));
  ASSERT_TRUE(run(io, api.on_call_emails("d875a654-9b4e-4219-a803-0c26936d18de")));
  EXPECT_EQ(http.requests[0].url,
            "https://og.example/v2/schedules/Primary%20On%20Call/on-calls?flat=true&scheduleIdentifierType=name");
  EXPECT_EQ(http.requests[1].url,
            "https://og.example/v2/schedules/d875a654-9b4e-4219-a803-0c26936d18de/on-calls?flat=true");
  EXPECT_EQ(http.header(0, "Authorization"), "GenieKey key-9");
}

TEST(OpsGenieApi, NotesGoToTheAlertIdAndAcceptA202) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(202, R"({"result": "Request will be processed", "took": 0.1, "requestId": "r"})");
  http.answer(403, R"({"message": "Key is not authorized", "took": 0.0})");
  OpsGenieApi api(http, {"https://og.example", "key-9", std::chrono::seconds(4)});
  ASSERT_TRUE(run(io, api.add_note("ec03dad6-62c8-4c94-b38b-d88f398e900f", "Vigil started triage")));
  EXPECT_EQ(http.requests[0].url,
            "https://og.example/v2/alerts/ec03dad6-62c8-4c94-b38b-d88f398e900f/notes?identifierType=id");
  const auto body = nlohmann::json::parse(http.requests[0].body);
  EXPECT_EQ(body["note"], "Vigil started triage");
  const auto refused = run(io, api.add_note("a", "b"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(Errc::Forbidden));
  EXPECT_NE(refused.error().detail.find("Key is not authorized"), std::string::npos);
}

// The Acknowledge button on the root of a run started by an OpsGenie webhook.
TEST(OpsGenieApi, AcknowledgeGoesToTheAlertIdWithTheNote) {
  boost::asio::io_context io;
  test::FakeHttpClient http;
  http.answer(202, R"({"result": "Request will be processed", "took": 0.1, "requestId": "r"})");
  http.answer(404, R"({"message": "Alert does not exist", "took": 0.0})");
  OpsGenieApi api(http, {"https://og.example", "key-9", std::chrono::seconds(4)});
  ASSERT_TRUE(run(io, api.acknowledge("ec03dad6-62c8-4c94-b38b-d88f398e900f", "Acknowledged in Slack by ana")));
  EXPECT_EQ(http.requests[0].method, "POST");
  EXPECT_EQ(http.requests[0].url,
            "https://og.example/v2/alerts/ec03dad6-62c8-4c94-b38b-d88f398e900f/acknowledge?identifierType=id");
  EXPECT_EQ(nlohmann::json::parse(http.requests[0].body)["note"], "Acknowledged in Slack by ana");
  const auto missing = run(io, api.acknowledge("a", "b"));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(Errc::NotFound));
  EXPECT_NE(missing.error().detail.find("Alert does not exist"), std::string::npos);
}

}  // namespace
}  // namespace vigil::opsgenie
