#include "integrations/http/url.h"

#include <gtest/gtest.h>

#include "integrations/http/proxy_settings.h"

namespace vigil::http {
namespace {

TEST(Url, ParsesSlackUrlsKeepingPathAndQuery) {
  auto u = Url::parse("wss://wss-primary.slack.com/link/?ticket=abc&app_id=A1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "wss");
  EXPECT_EQ(u->host, "wss-primary.slack.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/link/?ticket=abc&app_id=A1");
  EXPECT_EQ(u->host_header(), "wss-primary.slack.com");
  auto local = Url::parse("http://127.0.0.1:8080/api/");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->host_header(), "127.0.0.1:8080");
  EXPECT_FALSE(Url::parse("ftp://x"));
  EXPECT_FALSE(Url::parse("no-scheme"));
  EXPECT_FALSE(Url::parse("http://host:port/"));
}

TEST(Url, EncodesForms) {
  EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(url_decode("a+b%26c"), "a b&c");
}

TEST(ProxySettings, HttpsProxyAndNoProxy) {
  auto p = ProxySettings::from_environment(
      {{"HTTPS_PROXY", "http://user:p%40ss@proxy.corp:3128"}, {"no_proxy", "localhost,.internal, 127.0.0.1"}});
  ASSERT_TRUE(p.https_proxy);
  EXPECT_EQ(p.https_proxy->host, "proxy.corp");
  EXPECT_EQ(p.https_proxy->userinfo, "user:p%40ss");
  EXPECT_TRUE(p.proxy_for(*Url::parse("wss://wss.slack.com/link")));
  EXPECT_FALSE(p.proxy_for(*Url::parse("https://api.internal/x")));
  EXPECT_FALSE(p.proxy_for(*Url::parse("https://127.0.0.1:9/x")));
  EXPECT_FALSE(p.proxy_for(*Url::parse("http://slack.com/"))) << "no HTTP_PROXY set";
  auto all = ProxySettings::from_environment({{"https_proxy", "proxy:1"}, {"NO_PROXY", "*"}});
  EXPECT_FALSE(all.proxy_for(*Url::parse("https://slack.com/")));
  EXPECT_TRUE(ProxySettings::from_environment({{"HTTPS_PROXY", ""}}).https_proxy == std::nullopt);
  EXPECT_EQ(basic_auth("user:pass"), "Basic dXNlcjpwYXNz");
}

}  // namespace
}  // namespace vigil::http
