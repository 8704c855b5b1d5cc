#include "bot/core/config.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

std::string app_token() {
  return std::string("xap") + "p-1-A111-222-abcdef";
}
std::string bot_token() {
  return std::string("xox") + "b-111-222-abcdefgh";
}

TEST(Config, DefaultsWithoutFile) {
  const auto load = load_config("", {});
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.slack.api_url, "https://slack.com/api/");
  EXPECT_EQ(load.config.slack.connections, 2);
  EXPECT_EQ(load.config.approvals.expiry, std::chrono::minutes(30));
  EXPECT_EQ(load.config.agent.backend, "runbook");
  EXPECT_FALSE(load.config.slack.has_tokens());
}

TEST(Config, ExampleFileIsValid) {
  const auto path = test::test_data_dir().parent_path() / "deploy" / "config.example.yaml";
  const auto load = load_config(path.string(), {});
  for (const auto& e : load.errors) {
    ADD_FAILURE() << e.to_string();
  }
  EXPECT_TRUE(load.warnings.empty());
  ASSERT_EQ(load.config.channels.size(), 1u);
  EXPECT_EQ(load.config.channels[0].name_pattern, "^inc(ident)?-.*");
}

TEST(Config, EnvironmentOverridesEverySecretAndAddress) {
  const Environment env = {{"SLACK_APP_TOKEN", app_token()},
                           {"SLACK_BOT_TOKEN", bot_token()},
                           {"SLACK_API_URL", "http://127.0.0.1:4000/api"},
                           {"VIGIL_DB", "/tmp/x.db"},
                           {"VIGIL_HTTP_ADDR", "0.0.0.0:8081"},
                           {"VIGIL_ALERTMANAGER_TOKEN", "am-token-123"},
                           {"VIGIL_PAGERDUTY_WEBHOOK_SECRETS", "old-secret-1, new-secret-2"},
                           {"VIGIL_OPSGENIE_TOKEN", "og-token-123"},
                           {"VIGIL_GRAFANA_TOKEN", "gf-token-123"}};
  const auto load = load_config_text("storage:\n  database: other.db\n", "c.yaml", env);
  ASSERT_TRUE(load.ok());
  const auto& c = load.config;
  EXPECT_TRUE(c.slack.has_tokens());
  EXPECT_EQ(c.slack.api_url, "http://127.0.0.1:4000/api/");
  EXPECT_EQ(c.storage.database, "/tmp/x.db");
  EXPECT_EQ(c.http.listen, "0.0.0.0:8081");
  EXPECT_EQ(c.http.pagerduty_secrets, (std::vector<std::string>{"old-secret-1", "new-secret-2"}));
  EXPECT_EQ(c.secret_values().size(), 7u);
}

TEST(Config, ReportsEveryProblemWithLineAndColumn) {
  const std::string yaml =
      "slack:\n"
      "  connections: 11\n"
      "  pong_timeout: soon\n"
      "approvals:\n"
      "  users: [U123, bob]\n"
      "  two_approvers_for: [critical]\n"
      "agent:\n"
      "  backend: chatgpt\n"
      "  max_concurrent: zero\n";
  const auto load = load_config_text(yaml, "bad.yaml", {});
  ASSERT_EQ(load.errors.size(), 6u);
  EXPECT_EQ(load.errors[0].to_string(), "bad.yaml:2:16: slack.connections: must be between 1 and 10");
  EXPECT_EQ(load.errors[1].to_string(),
            "bad.yaml:3:17: slack.pong_timeout: expected a duration such as 30s, 5m, 2h or 7d");
  EXPECT_EQ(load.errors[2].to_string(), "bad.yaml:5:17: approvals.users: 'bob' is not a Slack user id (U… or W…)");
  EXPECT_EQ(load.errors[3].to_string(),
            "bad.yaml:6:23: approvals.two_approvers_for: 'critical' is not a risk level (low, medium, high)");
  EXPECT_EQ(load.errors[4].line, 8);
  EXPECT_EQ(load.errors[4].key, "agent.backend");
  EXPECT_EQ(load.errors[5].key, "agent.max_concurrent");
}

TEST(Config, LoggingFormatValidated) {
  const auto load = load_config_text("logging:\n  format: xml\n", "f.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].to_string(), "f.yaml:2:11: logging.format: must be one of: text, json");
}

TEST(Config, UnknownKeysAreWarningsWithSuggestion) {
  const auto load = load_config_text("slack:\n  conections: 3\nstorage:\n  databse: x.db\n", "w.yaml", {});
  EXPECT_TRUE(load.ok());
  ASSERT_EQ(load.warnings.size(), 2u);
  EXPECT_EQ(load.warnings[0].to_string(), "w.yaml:2:3: slack.conections: unknown key, did you mean 'connections'?");
  EXPECT_EQ(load.warnings[1].to_string(), "w.yaml:4:3: storage.databse: unknown key, did you mean 'database'?");
}

TEST(Config, InlineSecretsAreRefused) {
  const auto load = load_config_text("slack:\n  bot_token: abc\n", "s.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].to_string().find("s.yaml:2:14: slack.bot_token: secrets are not read"), std::string::npos)
      << load.errors[0].to_string();
}

TEST(Config, TokensFromFiles) {
  test::TempDir dir;
  test::write_file(dir / "app", app_token() + "\n");
  test::write_file(dir / "bot", bot_token() + "\n");
  const auto yaml =
      "slack:\n  app_token_file: " + (dir / "app").string() + "\n  bot_token_file: " + (dir / "bot").string() + "\n";
  const auto load = load_config_text(yaml, "t.yaml", {});
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.slack.app_token, app_token());
  EXPECT_EQ(load.config.slack.bot_token, bot_token());
  const auto missing = load_config_text("slack:\n  app_token_file: /nonexistent/token\n", "t.yaml", {});
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].line, 2);
}

TEST(Config, WrongTokenKindsAreErrors) {
  const auto load = load_config_text("", "", {{"SLACK_APP_TOKEN", bot_token()}, {"SLACK_BOT_TOKEN", app_token()}});
  EXPECT_EQ(load.errors.size(), 2u);
}

TEST(Config, YamlSyntaxErrorHasPosition) {
  const auto load = load_config_text("slack:\n  connections: [1, 2\n", "y.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_GT(load.errors[0].line, 0);
  EXPECT_NE(load.errors[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(Config, ChannelBindingsValidated) {
  const auto load = load_config_text(
      "channels:\n  - id: C0123\n    backend: codex\n  - name_pattern: '(['\n  - auto_triage: false\n", "ch.yaml", {});
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(load.errors[0].key, "channels[1].name_pattern");
  EXPECT_EQ(load.errors[1].key, "channels[2]");
  EXPECT_EQ(load.config.channels[0].backend, "codex");
}

TEST(Config, SameKubeconfigForBothRolesRefused) {
  const auto load = load_config_text(
      "kubernetes:\n  enabled: true\n  read_only_kubeconfig: /k\n  remediation_kubeconfig: /k\n", "k.yaml", {});
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].key, "kubernetes.remediation_kubeconfig");
}

TEST(Config, RelativePathsAreRelativeToTheFilesFolder) {
  const auto load = load_config_text(
      "storage:\n  database: state/v.db\nskills:\n  dirs: [runbooks, /opt/skills, ../team-skills]\n"
      "agent:\n  knowledge_dirs: [notes]\n"
      "kubernetes:\n  read_only_kubeconfig: kube/ro\n  remediation_kubeconfig: /etc/kube/rw\n",
      "/etc/vigil/vigil.yaml", {});
  ASSERT_TRUE(load.ok());
  const auto& c = load.config;
  EXPECT_EQ(c.storage.database, "/etc/vigil/state/v.db");
  EXPECT_EQ(c.skills.dirs, (std::vector<std::string>{"/etc/vigil/runbooks", "/opt/skills", "/etc/team-skills"}));
  EXPECT_EQ(c.agent.knowledge_dirs, std::vector<std::string>{"/etc/vigil/notes"});
  EXPECT_EQ(c.kubernetes.read_only_kubeconfig, "/etc/vigil/kube/ro");
  EXPECT_EQ(c.kubernetes.remediation_kubeconfig, "/etc/kube/rw");
}

TEST(Config, DefaultDatabaseIsNextToTheFileAndTheEnvironmentsInTheWorkingDirectory) {
  EXPECT_EQ(load_config_text("", "/etc/vigil/vigil.yaml", {}).config.storage.database, "/etc/vigil/vigil.db");
  EXPECT_EQ(load_config_text("", "", {}).config.storage.database, "vigil.db");
  EXPECT_EQ(load_config_text("", "/etc/vigil/vigil.yaml", {{"VIGIL_DB", "data/v.db"}}).config.storage.database,
            "data/v.db");
  EXPECT_EQ(
      load_config_text("storage:\n  database: \":memory:\"\n", "/etc/vigil/vigil.yaml", {}).config.storage.database,
      ":memory:");
}

TEST(Config, SecretFilesAreReadRelativeToTheFilesFolder) {
  test::TempDir dir;
  test::write_file(dir / "secrets" / "app-token", app_token() + "\n");
  test::write_file(dir / "vigil.yaml", "slack:\n  app_token_file: secrets/app-token\n");
  const auto load = load_config((dir / "vigil.yaml").string(), {});
  for (const auto& e : load.errors) {
    ADD_FAILURE() << e.to_string();
  }
  EXPECT_EQ(load.config.slack.app_token, app_token());
  EXPECT_EQ(load.config.slack.app_token_file, (dir / "secrets" / "app-token").string());
}

TEST(Config, WithoutSkillsDirsTheShippedSkillsAreUsed) {
  const auto load = load_config_text("logging:\n  level: info\n", "/etc/vigil/vigil.yaml", {});
  ASSERT_TRUE(load.ok());
  EXPECT_TRUE(load.config.skills.shipped);
  ASSERT_EQ(load.config.skills.dirs.size(), 1u);
  // The first candidate that exists; for this test binary, the checkout it was built from.
  const auto candidates = shipped_skill_dirs();
  EXPECT_NE(std::find(candidates.begin(), candidates.end(), load.config.skills.dirs[0]), candidates.end());
  const std::filesystem::path shipped = load.config.skills.dirs[0];
  EXPECT_TRUE(std::filesystem::exists(shipped / "pod-crashloop.yaml"));
  EXPECT_EQ(missing_skills_warning(load.config).find("no skills in " + load.config.skills.dirs[0]), 0u);
}

TEST(Config, MissingSkillsWarningNamesTheFoldersSearched) {
  Config shipped_not_found;
  shipped_not_found.source_file = "/etc/vigil/vigil.yaml";
  const auto warning = missing_skills_warning(shipped_not_found);
  EXPECT_EQ(warning.find("no skills: the skills shipped with Vigil are not in "), 0u) << warning;
  for (const auto& dir : shipped_skill_dirs()) {
    EXPECT_NE(warning.find(dir), std::string::npos) << warning;
  }
  EXPECT_NE(warning.find("; set skills.dirs in /etc/vigil/vigil.yaml"), std::string::npos) << warning;

  const auto configured = load_config_text("skills:\n  dirs: [a, /b]\n", "/etc/vigil/vigil.yaml", {});
  EXPECT_EQ(missing_skills_warning(configured.config),
            "no skills in /etc/vigil/a, /b; check skills.dirs in /etc/vigil/vigil.yaml");
  // `dirs: []` asks for none: nothing to warn about.
  EXPECT_EQ(missing_skills_warning(load_config_text("skills:\n  dirs: []\n", "v.yaml", {}).config), "");
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("45"), std::chrono::seconds(45));
  EXPECT_EQ(parse_duration("5m"), std::chrono::seconds(300));
  EXPECT_EQ(parse_duration("2h"), std::chrono::seconds(7200));
  EXPECT_EQ(parse_duration("7d"), std::chrono::seconds(7 * 86400));
  EXPECT_FALSE(parse_duration("5 minutes"));
  EXPECT_FALSE(parse_duration("-1s"));
}

TEST(Config, DurationsWithoutAUnitAreSecondsWithAWarning) {
  const auto load = load_config_text("agent:\n  timeout: 15\n  grace: 0\napprovals:\n  expiry: 30m\n", "d.yaml", {});
  EXPECT_TRUE(load.ok());
  EXPECT_EQ(load.config.agent.timeout, std::chrono::seconds(15));
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_EQ(load.warnings[0].to_string(),
            "d.yaml:2:12: agent.timeout: a number without a unit is read as seconds; write 15s (or m, h, d) to say "
            "which");
}

TEST(Config, SlackIdsOfTheWrongKindSayWhatTheyAre) {
  EXPECT_EQ(slack_id_problem("C0123ABCD", SlackIdKind::Channel), "");
  EXPECT_EQ(slack_id_problem("G0123ABCD", SlackIdKind::Channel), "");
  EXPECT_EQ(slack_id_problem("U0123ABCD", SlackIdKind::User), "");
  EXPECT_EQ(slack_id_problem("W0123ABCD", SlackIdKind::User), "");
  EXPECT_EQ(slack_id_problem("S0123ABCD", SlackIdKind::UserGroup), "");
  EXPECT_EQ(slack_id_problem("B0ALERTMANAGER", SlackIdKind::Bot), "");
  EXPECT_EQ(slack_id_problem("#alerts", SlackIdKind::Channel),
            "'#alerts' is a channel name, not a Slack channel id (C… or G…): the id is at the bottom of the "
            "channel's details (e.g. C0123ABCD)");
  EXPECT_EQ(slack_id_problem("U0123ABCD", SlackIdKind::Channel),
            "'U0123ABCD' is a Slack user id (U… or W…), not a Slack channel id (C… or G…)");
  EXPECT_EQ(slack_id_problem("S0123ABCD", SlackIdKind::User),
            "'S0123ABCD' is a Slack user group id (S…), not a Slack user id (U… or W…)");
  EXPECT_EQ(slack_id_problem("U0123ABCD", SlackIdKind::UserGroup),
            "'U0123ABCD' is a Slack user id (U… or W…), not a Slack user group id (S…)");
  EXPECT_EQ(slack_id_problem("@alice", SlackIdKind::User),
            "'@alice' is a name, not a Slack user id (U… or W…) (e.g. "
            "U0123ABCD)");
  EXPECT_EQ(slack_id_problem("alerts", SlackIdKind::Channel), "'alerts' is not a Slack channel id (C… or G…)");
  EXPECT_EQ(slack_id_problem("Calerts", SlackIdKind::Channel), "'Calerts' is not a Slack channel id (C… or G…)");
  EXPECT_EQ(slack_id_problem("", SlackIdKind::Bot), "'' is not a Slack bot id (B…)");
}

TEST(Config, IdsOfTheWrongKindInTheFileAreReportedAtTheirLine) {
  const auto load = load_config_text(
      "http:\n  alert_channel: '#alerts'\napprovals:\n  users: [U0123ABCD, S0456EFGH]\n  groups: [U0777]\n"
      "channels:\n  - id: C0123ABCD\n    alert_bots: [U0ALERTS]\n",
      "ids.yaml", {});
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(
      load.errors[0].to_string(),
      "ids.yaml:4:22: approvals.users: 'S0456EFGH' is a Slack user group id (S…), not a Slack user id (U… or W…)");
  EXPECT_EQ(load.errors[1].to_string(),
            "ids.yaml:5:12: approvals.groups: 'U0777' is a Slack user id (U… or W…), not a Slack user group id (S…)");
  ASSERT_EQ(load.warnings.size(), 2u);
  EXPECT_EQ(load.warnings[0].to_string(),
            "ids.yaml:8:18: channels[0].alert_bots: 'U0ALERTS' is a Slack user id (U… or W…), not a Slack bot id "
            "(B…); alert_bots names the bot_id of the messages that are alerts");
  EXPECT_EQ(load.warnings[1].to_string(),
            "ids.yaml:2:18: http.alert_channel: '#alerts' is a channel name, not a Slack channel id (C… or G…): the "
            "id is at the bottom of the channel's details (e.g. C0123ABCD); webhook alerts are posted there, and "
            "Slack's API takes the id");
}

TEST(Config, WebhooksWithoutAnAlertChannelAreAWarning) {
  const Environment tokens = {{"VIGIL_ALERTMANAGER_TOKEN", "am-token-123"}, {"VIGIL_GRAFANA_TOKEN", "gf-token-1"}};
  const auto without = load_config_text("http:\n  listen: 127.0.0.1:9090\n", "w.yaml", tokens);
  ASSERT_TRUE(without.ok());
  ASSERT_EQ(without.warnings.size(), 1u);
  EXPECT_EQ(without.warnings[0].to_string(),
            "w.yaml:2:3: http.alert_channel: not set, so /webhooks/alertmanager, /webhooks/grafana answer every "
            "alert with 503 (no alert channel): set it to the channel id (C…) where webhook alerts are posted");
  EXPECT_TRUE(load_config_text("http:\n  alert_channel: C0ALERTS\n", "w.yaml", tokens).warnings.empty());
  EXPECT_TRUE(load_config_text("http:\n  listen: 127.0.0.1:9090\n", "w.yaml", {}).warnings.empty())
      << "no webhook secret: no webhook, nothing to warn about";
  Config config;
  config.http.pagerduty_secrets = {"s1"};
  EXPECT_NE(webhook_channel_warning(config).find("/webhooks/pagerduty answer"), std::string::npos);
  config.http.alert_channel = "C0ALERTS";
  EXPECT_EQ(webhook_channel_warning(config), "");
}

TEST(Config, MissingKubeconfigsAndFoldersAreWarningsAtTheirLine) {
  test::TempDir dir;
  test::write_file(dir / "kube" / "ro", "apiVersion: v1\n");
  std::filesystem::create_directories(dir / "skills");
  const auto file = (dir / "vigil.yaml").string();
  const auto load = load_config_text(
      "kubernetes:\n  enabled: true\n  read_only_kubeconfig: kube/ro\n  remediation_kubeconfig: kube/rw\n"
      "skills:\n  dirs: [skills, team-skills]\nagent:\n  knowledge_dirs: [notes]\n",
      file, {});
  ASSERT_TRUE(load.ok());
  std::vector<std::string> seen;
  for (const auto& w : load.warnings) {
    seen.push_back(w.to_string());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      file + ":4:27: kubernetes.remediation_kubeconfig: no file at " + (dir / "kube" / "rw").string(),
                      file + ":6:18: skills.dirs: no folder at " + (dir / "team-skills").string(),
                      file + ":8:20: agent.knowledge_dirs: no folder at " + (dir / "notes").string(),
                  }));
  // Kubernetes off: its kubeconfigs are not used, so they are not checked.
  const auto off = load_config_text("kubernetes:\n  enabled: false\n  read_only_kubeconfig: /nowhere/ro\n", file, {});
  EXPECT_TRUE(off.warnings.empty());
  const auto unset = load_config_text("kubernetes:\n  enabled: true\n", file, {});
  ASSERT_EQ(unset.warnings.size(), 2u);
  EXPECT_EQ(unset.warnings[0].to_string(),
            file + ":2:12: kubernetes.read_only_kubeconfig: not set: kubectl steps cannot run without it");
}

}  // namespace
}  // namespace vigil
