#include "integrations/http/connection_table.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

TEST(ConnectionTable, RefusesTheConnectionOverTheClientsLimitAndNotOtherClients) {
  ConnectionTable table(ConnectionLimits{10, 2});
  const auto a = table.admit("10.0.0.1");
  const auto b = table.admit("10.0.0.1");
  ASSERT_TRUE(a.admitted && b.admitted);
  const auto third = table.admit("10.0.0.1");
  EXPECT_FALSE(third.admitted);
  ASSERT_TRUE(third.refused);
  EXPECT_EQ(*third.refused, CloseReason::ClientLimit);
  EXPECT_TRUE(table.admit("10.0.0.2").admitted);
  table.release(*a.admitted);
  EXPECT_TRUE(table.admit("10.0.0.1").admitted);
  EXPECT_EQ(table.open_from("10.0.0.1"), 2u);
}

TEST(ConnectionTable, AtTheCapTheConnectionWaitingLongestForItsHeaderMakesRoom) {
  ConnectionTable table(ConnectionLimits{3, 0});
  const auto first = table.admit("a");
  const auto second = table.admit("b");
  const auto third = table.admit("c");
  table.header_received(*first.admitted);  // being served: never evicted
  const auto fourth = table.admit("d");
  ASSERT_TRUE(fourth.admitted);
  ASSERT_TRUE(fourth.evict);
  EXPECT_EQ(*fourth.evict, *second.admitted);
  EXPECT_FALSE(table.holds(*second.admitted));
  EXPECT_EQ(table.open(), 3u);
  // A kept-alive connection waiting again queues behind those already waiting.
  table.waiting(*first.admitted);
  const auto fifth = table.admit("e");
  ASSERT_TRUE(fifth.evict);
  EXPECT_EQ(*fifth.evict, *third.admitted);
  EXPECT_EQ(table.open_from("c"), 0u);
}

TEST(ConnectionTable, RefusesWhenEveryConnectionIsBeingServed) {
  ConnectionTable table(ConnectionLimits{2, 0});
  const auto a = table.admit("a");
  const auto b = table.admit("b");
  table.header_received(*a.admitted);
  table.header_received(*b.admitted);
  const auto c = table.admit("c");
  EXPECT_FALSE(c.admitted);
  EXPECT_FALSE(c.evict);
  ASSERT_TRUE(c.refused);
  EXPECT_EQ(*c.refused, CloseReason::ServerFull);
  table.release(*b.admitted);
  table.release(*b.admitted);  // twice (an evicted one is released again by its session): no effect
  EXPECT_EQ(table.open(), 1u);
  EXPECT_TRUE(table.admit("c").admitted);
}

TEST(ConnectionTable, ReasonsAreMetricLabels) {
  EXPECT_EQ(to_string(CloseReason::ClientLimit), "client_limit");
  EXPECT_EQ(to_string(CloseReason::ServerFull), "server_full");
  EXPECT_EQ(to_string(CloseReason::Evicted), "evicted");
  EXPECT_EQ(to_string(CloseReason::FirstByteTimeout), "first_byte_timeout");
  EXPECT_EQ(to_string(CloseReason::HeaderTimeout), "header_timeout");
}

}  // namespace
}  // namespace vigil::http
