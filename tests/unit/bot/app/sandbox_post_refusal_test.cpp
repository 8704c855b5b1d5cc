// Who may post to the sandbox page: only the page itself (its content type, origin and token).
#include <gtest/gtest.h>

#include "bot/app/sandbox_web.h"

namespace vigil {
namespace {

const std::string kToken(32, 'a');

SandboxPostHeaders from_page() {
  return {"application/json", "http://127.0.0.1:8080", "127.0.0.1:8080", kToken};
}

TEST(SandboxPostRefusal, ThePageItselfIsTaken) {
  EXPECT_EQ(sandbox_post_refusal(from_page(), kToken), "");
  auto with_charset = from_page();
  with_charset.content_type = "application/json; charset=utf-8";
  EXPECT_EQ(sandbox_post_refusal(with_charset, kToken), "");
  auto curl = from_page();
  curl.origin.clear();  // no Origin: not a browser, and it carries the token
  EXPECT_EQ(sandbox_post_refusal(curl, kToken), "");
  auto localhost = from_page();
  localhost.origin = "http://LOCALHOST:8080";
  localhost.host = "localhost:8080";
  EXPECT_EQ(sandbox_post_refusal(localhost, kToken), "");
}

TEST(SandboxPostRefusal, AContentTypeOnlyContainingJsonIsRefused) {
  for (const std::string type :
       {"text/plain;charset=application/json", "text/plain", "", "application/json5",
        "multipart/form-data; boundary=application/json", "application/x-www-form-urlencoded"}) {
    auto post = from_page();
    post.content_type = type;
    EXPECT_EQ(sandbox_post_refusal(post, kToken),
              "refused: the content type must be application/json, not '" + type + "'");
  }
}

TEST(SandboxPostRefusal, AnotherOriginIsRefusedEvenWithTheToken) {
  for (const std::string origin : {"https://evil.example", "null", "http://127.0.0.1:8081", "https://127.0.0.1:8080",
                                   "http://127.0.0.1:8080.evil.example"}) {
    auto post = from_page();
    post.origin = origin;
    EXPECT_EQ(sandbox_post_refusal(post, kToken),
              "refused: a request from another origin (" + origin + "); only the sandbox page itself may post");
  }
}

TEST(SandboxPostRefusal, AMissingOrWrongTokenIsRefused) {
  for (const std::string& token : {std::string(), std::string(32, 'b'), kToken.substr(1), kToken + "a"}) {
    auto post = from_page();
    post.token = token;
    EXPECT_EQ(sandbox_post_refusal(post, kToken),
              "refused: missing or wrong page token (X-Vigil-Sandbox-Token); reload the sandbox page");
  }
  auto post = from_page();
  post.token.clear();
  EXPECT_NE(sandbox_post_refusal(post, ""), "") << "an empty page token matches nothing";
}

}  // namespace
}  // namespace vigil
