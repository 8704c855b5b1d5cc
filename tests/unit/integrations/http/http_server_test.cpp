#include "integrations/http/http_server.h"

#include <gtest/gtest.h>

namespace vigil::http {
namespace {

TEST(HttpServer, ParsesListenAddresses) {
  const auto a = parse_listen_address("127.0.0.1:9090");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9090);
  EXPECT_EQ(parse_listen_address(":8080")->first, "0.0.0.0");
  EXPECT_EQ(parse_listen_address("[::1]:0")->first, "::1");
  EXPECT_EQ(parse_listen_address("localhost:1")->first, "127.0.0.1");
  EXPECT_FALSE(parse_listen_address("9090"));
  EXPECT_FALSE(parse_listen_address("host:99999"));
  EXPECT_FALSE(parse_listen_address("host:12a"));
  EXPECT_FALSE(parse_listen_address("host:"));
}

TEST(HttpServer, RequestPathAndHeaders) {
  EXPECT_EQ(request_path("/webhooks/grafana?token=x"), "/webhooks/grafana");
  EXPECT_EQ(request_path("/healthz"), "/healthz");
  HttpRequest r;
  r.headers = {{"authorization", "Bearer t"}};
  EXPECT_EQ(request_header(r, "authorization"), "Bearer t");
  EXPECT_EQ(request_header(r, "x-missing"), "");
}

}  // namespace
}  // namespace vigil::http
