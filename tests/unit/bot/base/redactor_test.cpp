#include "bot/base/redactor.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

// Fake-looking but shape-exact secrets, assembled at run time so no token-shaped literal sits in
// the source tree.
std::string slack_bot_token() {
  return std::string("xox") + "b-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx";
}
std::string slack_app_token() {
  return std::string("xap") + "p-1-A0123456789-1234567890123-abcdef0123456789";
}
std::string aws_key() {
  return std::string("AKI") + "AIOSFODNN7EXAMPLE";
}

TEST(Redactor, RemovesSlackTokens) {
  Redactor r;
  const auto out = r.redact("posting with " + slack_bot_token() + " and " + slack_app_token());
  EXPECT_EQ(out.find("xoxb-"), std::string::npos) << out;
  EXPECT_EQ(out.find("xapp-"), std::string::npos) << out;
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos);
}

TEST(Redactor, RemovesAwsGcpGithubAndBearer) {
  Redactor r;
  const std::string text = "key=" + aws_key() +
                           " aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
                           "gcp AIzaSyA1234567890abcdefghijklmnopqrstuv\n"
                           "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
                           "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def-ghi\n"
                           "Authorization: Basic dXNlcjpwYXNzd29yZA==\n";
  const auto out = r.redact(text);
  EXPECT_EQ(out.find(aws_key()), std::string::npos) << out;
  EXPECT_EQ(out.find("wJalrXUtnFEMI"), std::string::npos) << out;
  EXPECT_EQ(out.find("AIzaSyA"), std::string::npos) << out;
  EXPECT_EQ(out.find("ghp_abc"), std::string::npos) << out;
  EXPECT_EQ(out.find("eyJhbGci"), std::string::npos) << out;
  EXPECT_EQ(out.find("dXNlcjpwYXNzd29yZA"), std::string::npos) << out;
  EXPECT_NE(out.find("Authorization: Bearer [REDACTED]"), std::string::npos) << out;
}

TEST(Redactor, RemovesPemKeysAndUrlPasswords) {
  Redactor r;
  const std::string pem =
      std::string("-----BEGIN RSA PRI") + "VATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----";
  const auto out = r.redact("before\n" + pem + "\nafter postgres://admin:hunter2@db:5432/app");
  EXPECT_EQ(out.find("MIIEpAIBAAKCAQEA"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_NE(out.find("before"), std::string::npos);
  EXPECT_NE(out.find("after postgres://admin:[REDACTED]@db:5432/app"), std::string::npos) << out;
}

TEST(Redactor, RemovesPasswordKeyValues) {
  Redactor r;
  const auto out = r.redact("DB_PASSWORD=s3cr3tvalue api_key: \"abcd1234efgh\" user=bob");
  EXPECT_EQ(out.find("s3cr3tvalue"), std::string::npos) << out;
  EXPECT_EQ(out.find("abcd1234efgh"), std::string::npos) << out;
  EXPECT_NE(out.find("user=bob"), std::string::npos);
}

// The literal pre-check that lets most text skip the regexes must not skip a match: case-insensitive
// rules match in any case, and a secret far into a long text is still found.
TEST(Redactor, FindsSecretsInAnyCaseAfterLongPlainText) {
  Redactor r;
  std::string plain;
  while (plain.size() < 100'000) {
    plain += "2026-12-04T14:00:00Z INFO checkout request path=/api/cart status=200\n";
  }
  const auto out = r.redact(plain +
                            "AUTHORIZATION: BEARER abcdefgh12345678\n"
                            "HTTPS://ADMIN:Hunter2Hunter2@db.internal/app\n"
                            "ApiKey=0123456789abcdef ClientSecret: zyxwvu987654\n" +
                            slack_bot_token());
  EXPECT_EQ(out.find("abcdefgh12345678"), std::string::npos);
  EXPECT_EQ(out.find("Hunter2Hunter2"), std::string::npos);
  EXPECT_EQ(out.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(out.find("zyxwvu987654"), std::string::npos);
  EXPECT_EQ(out.find(slack_bot_token()), std::string::npos);
  EXPECT_EQ(out.substr(0, plain.size()), plain);
  EXPECT_NE(out.find("AUTHORIZATION: BEARER [REDACTED]"), std::string::npos);
}

TEST(Redactor, RemovesKubernetesSecretDataInYamlAndJson) {
  Redactor r;
  const std::string yaml =
      "apiVersion: v1\n"
      "data:\n"
      "  password: c3VwZXJzZWNyZXQ=\n"
      "  username: YWRtaW4=\n"
      "kind: Secret\n"
      "metadata:\n"
      "  name: db-creds\n";
  const auto out = r.redact(yaml);
  EXPECT_EQ(out.find("c3VwZXJzZWNyZXQ="), std::string::npos) << out;
  EXPECT_EQ(out.find("YWRtaW4="), std::string::npos) << out;
  EXPECT_NE(out.find("name: db-creds"), std::string::npos) << out;

  const std::string json =
      R"({"apiVersion":"v1","kind":"Secret","data":{"token":"dG9rZW4tdmFsdWU=","ca.crt":"LS0tLS1CRUdJTg=="},"metadata":{"name":"sa"}})";
  const auto jout = r.redact(json);
  EXPECT_EQ(jout.find("dG9rZW4tdmFsdWU="), std::string::npos) << jout;
  EXPECT_EQ(jout.find("LS0tLS1CRUdJTg=="), std::string::npos) << jout;
  EXPECT_NE(jout.find("\"name\":\"sa\""), std::string::npos) << jout;
}

TEST(Redactor, LeavesConfigMapDataAlone) {
  Redactor r;
  const std::string yaml = "kind: ConfigMap\ndata:\n  mode: fast\n";
  EXPECT_EQ(r.redact(yaml), yaml);
}

TEST(Redactor, ConfiguredPatternsAndLiteralSecrets) {
  Redactor r;
  ASSERT_TRUE(r.add_pattern("INTERNAL-[0-9]{4}"));
  r.add_secret("webhook-shared-secret-42");
  const auto out = r.redact("ticket INTERNAL-1234 sig webhook-shared-secret-42 ok");
  EXPECT_EQ(out, "ticket [REDACTED] sig [REDACTED] ok");
  EXPECT_FALSE(r.add_pattern("(unclosed"));
}

TEST(Redactor, PlainTextUnchanged) {
  Redactor r;
  const std::string text = "pod api-7d9f crash-looping: OOMKilled, exit code 137, restarts 12";
  EXPECT_EQ(r.redact(text), text);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// Real-looking secrets inside real kubectl output and a real alert annotation.
TEST(Redactor, SecretsInsideKubectlOutputAndAlertAnnotations) {
  Redactor r;
  const std::string describe =
      test::read_file(test::fixtures_dir() / "kubernetes" / "kubectl_describe_pod_crashloopbackoff.txt");
  const std::string leaked = describe +
                             "\n    Environment:\n      DATABASE_URL:  postgres://app:Sup3rS3cret@db.prod:5432/app\n"
                             "      AWS_ACCESS_KEY_ID:  " +
                             std::string("AKI") +
                             "AQWERTYUIOPASDFGH\n"
                             "      SLACK_TOKEN:  " +
                             std::string("xox") + "b-2222222222-3333333333-zzzzzzzzzzzzzzzzzzzzzzzz\n";
  const auto out = r.redact(leaked);
  EXPECT_EQ(out.find("Sup3rS3cret"), std::string::npos);
  EXPECT_EQ(out.find("AQWERTYUIOPASDFGH"), std::string::npos);
  EXPECT_EQ(out.find("zzzzzzzzzzzzzzzzzzzzzzzz"), std::string::npos);
  EXPECT_NE(out.find("CrashLoopBackOff"), std::string::npos) << "ordinary output must survive";

  std::string alert = test::read_file(test::fixtures_dir() / "alertmanager" / "webhook_firing_two_alerts_zulip.json");
  const auto pos = alert.find("\"description\": \"");
  ASSERT_NE(pos, std::string::npos);
  alert.insert(pos + 16, "Authorization: Bearer abcdef0123456789abcdef ");
  const auto aout = r.redact(alert);
  EXPECT_EQ(aout.find("abcdef0123456789abcdef"), std::string::npos);
  EXPECT_NE(aout.find("High CPU Temperature"), std::string::npos);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// Issue 21: the token rules used to start with \b, so a token glued to a word slipped through,
// and so did one percent-encoded, JSON-escaped or wrapped over two lines.
TEST(Redactor, TokensGluedToAWordLetterDigitOrUnderscore) {
  Redactor r;
  EXPECT_EQ(r.redact("abc" + slack_bot_token() + " end"), "abc[REDACTED] end");
  EXPECT_EQ(r.redact("_" + slack_bot_token()), "_[REDACTED]");
  EXPECT_EQ(r.redact("id9" + aws_key() + "."), "id9[REDACTED].");
  EXPECT_EQ(r.redact("x" + slack_app_token()), "x[REDACTED]");
  EXPECT_EQ(r.redact("TOKEN_" + std::string("gh") + "p_abcdefghijklmnopqrstuvwxyz0123456789"), "TOKEN_[REDACTED]");
}

TEST(Redactor, PercentEncodedTokens) {
  Redactor r;
  const std::string encoded = std::string("xox") + "b%2D1234567890%2d0987654321%2DAbCdEfGhIjKlMnOpQrStUvWx";
  EXPECT_EQ(r.redact("GET /hook?token=" + encoded + "&ok=1"), "GET /hook?token=[REDACTED]&ok=1");
  // Every character encoded, and an AWS key id in a query string.
  std::string all;
  for (const char c : aws_key()) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
    all += buf;
  }
  EXPECT_EQ(r.redact("key=" + all + " done"), "key=[REDACTED] done");
}

TEST(Redactor, TokenSplitAcrossALineBreak) {
  Redactor r;
  const auto token = slack_bot_token();
  EXPECT_EQ(r.redact("token " + token.substr(0, 16) + "\n" + token.substr(16) + " end"), "token [REDACTED] end");
  EXPECT_EQ(r.redact("token " + token.substr(0, 3) + "\r\n" + token.substr(3) + "\nnext line"),
            "token [REDACTED]\nnext line");
  // An escaped line break inside a JSON string.
  EXPECT_EQ(r.redact(R"({"log":")" + token.substr(0, 20) + "\\n" + token.substr(20) + R"("})"),
            R"({"log":"[REDACTED]"})");
}

TEST(Redactor, JsonEscapedTokens) {
  Redactor r;
  const std::string escaped = std::string("xox") + "b\\u002d1234567890\\u002D0987654321\\u002dAbCdEfGhIjKlMnOpQrStUvWx";
  EXPECT_EQ(r.redact(R"({"text":")" + escaped + R"(","ok":true})"), R"({"text":"[REDACTED]","ok":true})");
  // JSON inside a JSON string: the backslash itself escaped.
  const std::string twice = std::string("gh") + "p\\\\u005fabcdefghijklmnopqrstuvwxyz0123456789";
  EXPECT_EQ(r.redact(R"({"body":"{\"t\":\")" + twice + R"(\"}"})"), R"({"body":"{\"t\":\"[REDACTED]\"}"})");
}

TEST(Redactor, ConfiguredSecretsAlsoEncoded) {
  Redactor r;
  r.add_secret("webhook-shared-secret-42");
  EXPECT_EQ(r.redact("sig=webhook%2Dshared%2Dsecret%2D42 ok"), "sig=[REDACTED] ok");
}

TEST(Redactor, OrdinaryWordsAndEscapesStay) {
  Redactor r;
  for (const std::string text : {
           "PWD=/home/x",
           "OLDPWD=/home/alex PWD=~/src",
           "node disk-pressure-threshold-exceeded on task-runner-2024-Q3-report",
           "CPU at 95%, memory 50%-60%",
           "path C:\\new\\temp and a \\u00e9 and a%20b",
           "line one ends with sk\n-and the next starts with a dash",
           "tokens: 5, passwords rotated, secrets synced",
       }) {
    EXPECT_EQ(r.redact(text), text);
  }
}

}  // namespace
}  // namespace vigil
