#include "integrations/agents/agent_failure.h"

#include <gtest/gtest.h>

namespace vigil::agents {
namespace {

using Status = AgentTurnResult::Status;

AgentTurnResult failed_with(std::vector<std::string> api_errors, Status status = Status::Failed) {
  AgentTurnResult t;
  t.status = status;
  t.exit_code = status == Status::Failed ? std::optional<int>(1) : std::nullopt;
  t.api_errors = std::move(api_errors);
  return t;
}

TEST(AgentFailure, ClassifiesEachCliWordingOfAnApiError) {
  EXPECT_EQ(classify_api_error("529 overloaded"), ApiErrorKind::ServerError);
  EXPECT_EQ(classify_api_error("server_error: API Error: 500 {\"type\":\"api_error\"}"), ApiErrorKind::ServerError);
  EXPECT_EQ(classify_api_error("unexpected status 503 Service Unavailable"), ApiErrorKind::ServerError);
  EXPECT_EQ(classify_api_error("FatalApiError: [503 Service Unavailable] UNAVAILABLE"), ApiErrorKind::ServerError);
  EXPECT_EQ(classify_api_error("stream disconnected before completion: error sending request for url"),
            ApiErrorKind::Network);
  EXPECT_EQ(classify_api_error("API Error: Connection error."), ApiErrorKind::Network);
  EXPECT_EQ(classify_api_error("TypeError: fetch failed (ECONNRESET)"), ApiErrorKind::Network);
  EXPECT_EQ(classify_api_error("authentication_failed: Invalid API key · Please run /login"), ApiErrorKind::Auth);
  EXPECT_EQ(classify_api_error("API Error: 401 {\"type\":\"authentication_error\"}"), ApiErrorKind::Auth);
  EXPECT_EQ(classify_api_error("unexpected status 403 Forbidden"), ApiErrorKind::Auth);
  EXPECT_EQ(classify_api_error("429 rate_limit"), ApiErrorKind::Other);
  EXPECT_EQ(classify_api_error("invalid_request: prompt is too long"), ApiErrorKind::Other);
  // Numbers that are not a status on their own are not one.
  EXPECT_EQ(classify_api_error("pod checkout-5003 restarted 1500 times"), ApiErrorKind::Other);
}

TEST(AgentFailure, RetriesOnceAfterAServerOrNetworkErrorAndSaysWhy) {
  const auto overloaded = decide_retry(failed_with({"529 overloaded"}), false, false);
  EXPECT_TRUE(overloaded.retry);
  EXPECT_EQ(overloaded.reason, "a server error from the model's API (529 overloaded)");
  const auto network = decide_retry(failed_with({"stream disconnected before completion"}), false, false);
  EXPECT_TRUE(network.retry);
  EXPECT_EQ(network.reason, "a network error reaching the model's API (stream disconnected before completion)");
}

TEST(AgentFailure, NeverOnATimeoutACancelOrAKill) {
  for (const auto status : {Status::TimedOut, Status::Cancelled, Status::Killed, Status::Succeeded}) {
    EXPECT_FALSE(decide_retry(failed_with({"529 overloaded"}, status), false, false).retry) << to_string(status);
  }
}

TEST(AgentFailure, NeverOnAnAuthFailureEvenWithAServerErrorBeside) {
  EXPECT_FALSE(
      decide_retry(failed_with({"529 overloaded", "authentication_failed: Invalid API key"}), false, false).retry);
}

TEST(AgentFailure, NeverOnANonZeroExitWithOutputOrWithoutAnApiError) {
  EXPECT_FALSE(decide_retry(failed_with({"529 overloaded"}), true, false).retry) << "output would be thrown away";
  EXPECT_FALSE(decide_retry(failed_with({}), false, false).retry) << "a plain non-zero exit is the agent's own";
  EXPECT_FALSE(decide_retry(failed_with({"429 rate_limit"}), false, false).retry);
}

TEST(AgentFailure, NeverTwice) {
  EXPECT_FALSE(decide_retry(failed_with({"529 overloaded"}), false, true).retry);
}

}  // namespace
}  // namespace vigil::agents
