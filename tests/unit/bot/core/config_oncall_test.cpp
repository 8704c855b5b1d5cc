// approvals.oncall, pagerduty and opsgenie: secrets only from the environment or files, shown as ***,
// redacted, and every inconsistency reported with its place in the file.
#include <algorithm>

#include <gtest/gtest.h>

#include "bot/core/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

bool has_secret(const Config& c, const std::string& value) {
  const auto s = c.secret_values();
  return std::find(s.begin(), s.end(), value) != s.end();
}

std::string errors_of(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) {
    out += e.to_string() + "\n";
  }
  return out;
}

TEST(ConfigOnCall, PagerDutyScheduleWithTheTokenFromTheEnvironment) {
  const std::string yaml =
      "approvals:\n"
      "  users: [U0LEAD]\n"
      "  oncall:\n"
      "    pagerduty_schedule: PSCHED1\n"
      "    cache: 2m\n"
      "    max_stale: 10m\n"
      "pagerduty:\n"
      "  api_url: http://127.0.0.1:9999/\n"
      "  notes: true\n"
      "  from_email: vigil@example.com\n";
  const auto load = load_config_text(yaml, "c.yaml", {{"VIGIL_PAGERDUTY_API_TOKEN", "pd-api-token-1"}});
  ASSERT_TRUE(load.ok()) << errors_of(load);
  EXPECT_TRUE(load.warnings.empty());
  const auto& c = load.config;
  EXPECT_TRUE(c.approvals.oncall.enabled());
  EXPECT_EQ(c.approvals.oncall.pagerduty_schedule, "PSCHED1");
  EXPECT_EQ(c.approvals.oncall.cache, std::chrono::minutes(2));
  EXPECT_EQ(c.approvals.oncall.max_stale, std::chrono::minutes(10));
  EXPECT_EQ(c.pagerduty.api_token, "pd-api-token-1");
  EXPECT_TRUE(c.pagerduty.notes);
  EXPECT_TRUE(has_secret(c, "pd-api-token-1"));
  const auto shown = render_config(c);
  EXPECT_EQ(shown.find("pd-api-token-1"), std::string::npos) << shown;
  EXPECT_NE(shown.find("api_token: \"***\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("pagerduty_schedule: PSCHED1"), std::string::npos) << shown;
  // What `config show` prints reads back as the same configuration (secrets aside).
  EXPECT_NE(shown.find("cache: 120s"), std::string::npos) << shown;
}

TEST(ConfigOnCall, DefaultsAreOffWithTheServicesPublicUrls) {
  const auto load = load_config_text("", "", {});
  ASSERT_TRUE(load.ok());
  EXPECT_FALSE(load.config.approvals.oncall.enabled());
  EXPECT_EQ(load.config.approvals.oncall.cache, std::chrono::seconds(60));
  EXPECT_EQ(load.config.pagerduty.api_url, "https://api.pagerduty.com");
  EXPECT_EQ(load.config.opsgenie.api_url, "https://api.opsgenie.com");
  EXPECT_FALSE(load.config.pagerduty.notes);
  EXPECT_FALSE(load.config.opsgenie.notes);
}

TEST(ConfigOnCall, OpsGenieKeyFromAFileIsReadTrimmedAndRedacted) {
  test::TempDir dir;
  test::write_file(dir / "og.key", "og-api-key-42\n");
  const std::string yaml =
      "approvals:\n"
      "  groups: [S0SRE]\n"
      "  oncall:\n"
      "    opsgenie_schedule: Primary On Call\n"
      "opsgenie:\n"
      "  api_key_file: " +
      (dir / "og.key").string() +
      "\n"
      "  notes: true\n";
  const auto load = load_config_text(yaml, "c.yaml", {});
  ASSERT_TRUE(load.ok()) << errors_of(load);
  EXPECT_EQ(load.config.opsgenie.api_key, "og-api-key-42");
  EXPECT_EQ(load.config.approvals.oncall.opsgenie_schedule, "Primary On Call");
  EXPECT_TRUE(has_secret(load.config, "og-api-key-42"));
  EXPECT_EQ(render_config(load.config).find("og-api-key-42"), std::string::npos);
}

TEST(ConfigOnCall, AnInlineSecretIsAnErrorAtItsPlace) {
  const std::string yaml =
      "pagerduty:\n"
      "  api_token: abc\n"
      "opsgenie:\n"
      "  api_key: def\n";
  const auto load = load_config_text(yaml, "c.yaml", {});
  ASSERT_EQ(load.errors.size(), 2u) << errors_of(load);
  EXPECT_EQ(load.errors[0].to_string(),
            "c.yaml:2:14: pagerduty.api_token: secrets are not read from the configuration file; set "
            "VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
  EXPECT_EQ(load.errors[1].to_string(),
            "c.yaml:4:12: opsgenie.api_key: secrets are not read from the configuration file; set "
            "VIGIL_OPSGENIE_API_KEY or opsgenie.api_key_file");
}

TEST(ConfigOnCall, OnCallWithoutATokenPointsAtTheSchedule) {
  const std::string yaml =
      "approvals:\n"
      "  users: [U0LEAD]\n"
      "  oncall:\n"
      "    pagerduty_schedule: PSCHED1\n";
  const auto load = load_config_text(yaml, "c.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u) << errors_of(load);
  EXPECT_EQ(load.errors[0].to_string(),
            "c.yaml:4:25: approvals.oncall.pagerduty_schedule: needs a PagerDuty API token: set "
            "VIGIL_PAGERDUTY_API_TOKEN or pagerduty.api_token_file");
}

TEST(ConfigOnCall, BothSchedulesIsAnError) {
  const std::string yaml =
      "approvals:\n"
      "  users: [U0LEAD]\n"
      "  oncall:\n"
      "    pagerduty_schedule: PSCHED1\n"
      "    opsgenie_schedule: ops\n";
  const auto load =
      load_config_text(yaml, "c.yaml", {{"VIGIL_PAGERDUTY_API_TOKEN", "t1"}, {"VIGIL_OPSGENIE_API_KEY", "k1"}});
  ASSERT_EQ(load.errors.size(), 1u) << errors_of(load);
  EXPECT_EQ(load.errors[0].to_string(),
            "c.yaml:5:24: approvals.oncall: set pagerduty_schedule or opsgenie_schedule, not both");
}

TEST(ConfigOnCall, NotesNeedATokenAndPagerDutyAFromAddress) {
  const std::string yaml =
      "pagerduty:\n"
      "  notes: true\n"
      "opsgenie:\n"
      "  notes: yes\n"
      "  api_url: ftp://x\n";
  const auto load = load_config_text(yaml, "c.yaml", {});
  const auto text = errors_of(load);
  ASSERT_EQ(load.errors.size(), 4u) << text;
  EXPECT_NE(text.find("c.yaml:5:12: opsgenie.api_url: must start with https:// or http://"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:2:10: pagerduty.notes: notes need a PagerDuty API token"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:2:10: pagerduty.from_email: notes need pagerduty.from_email"), std::string::npos) << text;
  EXPECT_NE(text.find("c.yaml:4:10: opsgenie.notes: notes need an OpsGenie API key"), std::string::npos) << text;
}

TEST(ConfigOnCall, BadScheduleIdAndUnknownKeys) {
  const std::string yaml =
      "approvals:\n"
      "  users: [U0LEAD]\n"
      "  oncall:\n"
      "    pagerduty_schedule: 'P 1/2'\n"
      "    cahce: 30s\n"
      "pagerduty:\n"
      "  from_email: nobody\n";
  const auto load = load_config_text(yaml, "c.yaml", {{"VIGIL_PAGERDUTY_API_TOKEN", "t1"}});
  const auto text = errors_of(load);
  ASSERT_EQ(load.errors.size(), 2u) << text;
  EXPECT_EQ(load.errors[0].key, "approvals.oncall.pagerduty_schedule");
  EXPECT_EQ(load.errors[0].line, 4);
  EXPECT_EQ(load.errors[1].to_string(),
            "c.yaml:7:15: pagerduty.from_email: expected the e-mail address of a PagerDuty user");
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_EQ(load.warnings[0].to_string(), "c.yaml:5:5: approvals.oncall.cahce: unknown key, did you mean 'cache'?");
}

TEST(ConfigOnCall, OnlyOnCallApproversIsAWarning) {
  const std::string yaml =
      "approvals:\n"
      "  oncall:\n"
      "    opsgenie_schedule: 3f9c6d52-0000-4000-8000-0123456789ab\n";
  const auto load = load_config_text(yaml, "c.yaml", {{"VIGIL_OPSGENIE_API_KEY", "k1"}});
  ASSERT_TRUE(load.ok()) << errors_of(load);
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_EQ(load.warnings[0].key, "approvals.oncall");
  EXPECT_NE(load.warnings[0].message.find("nobody can approve"), std::string::npos);
}

}  // namespace
}  // namespace vigil
