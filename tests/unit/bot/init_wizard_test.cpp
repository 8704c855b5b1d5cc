#include "bot/init_wizard.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "bot/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

// Built at run time so no token-shaped literal sits in the repository.
std::string app_token() { return std::string("xa") + "pp-1-A0TEST-1111-" + std::string(24, 'a'); }
std::string bot_token() { return std::string("xo") + "xb-2222-3333-" + std::string(24, 'b'); }

struct Files {
  test::TempDir dir;
  std::filesystem::path config() const { return dir / "vigil.yaml"; }
  std::filesystem::path env() const { return dir / "vigil.env"; }
  std::string ro() const { return (dir / "ro.kubeconfig").string(); }
  std::string rem() const { return (dir / "rem.kubeconfig").string(); }
  Files() {
    test::write_file(dir / "ro.kubeconfig", "apiVersion: v1\nkind: Config\n");
    test::write_file(dir / "rem.kubeconfig", "apiVersion: v1\nkind: Config\n");
  }
};

Result<void> run_wizard(const Files& f, const std::string& input, std::string& output) {
  std::istringstream in(input);
  std::ostringstream out;
  InitWizard wizard(in, out);
  auto r = wizard.run(f.config(), f.env());
  output = out.str();
  return r;
}

TEST(InitWizard, InvalidAnswersAreAskedAgainWithTheReason) {
  Files f;
  const std::string input = std::string("not-a-token\n") + bot_token() + "\n" + app_token() + "\n" +
                            app_token() + "\n" + bot_token() + "\n" +
                            "inc-[\n" + "C0123ABCD, #ops-alerts, ^inc-.*\n" +
                            "maybe\n" + "yes\n" + "/nonexistent/kubeconfig\n" + f.ro() + "\n" +
                            f.ro() + "\n" + f.rem() + "\n" +
                            "nagios\n" + "alertmanager, grafana\n" +
                            "@alice\n" + "U0123ABCD, S0456EFGH\n";
  std::string out;
  const auto r = run_wizard(f, input, out);
  ASSERT_TRUE(r) << r.error().detail << "\n" << out;
  EXPECT_NE(out.find("this token starts with xapp-"), std::string::npos) << out;
  EXPECT_NE(out.find("that is a xoxb- token"), std::string::npos) << out;
  EXPECT_NE(out.find("that is a xapp- token"), std::string::npos) << out;
  EXPECT_NE(out.find("'inc-[' is neither a channel id"), std::string::npos) << out;
  EXPECT_NE(out.find("answer yes or no"), std::string::npos) << out;
  EXPECT_NE(out.find("no file at /nonexistent/kubeconfig"), std::string::npos) << out;
  EXPECT_NE(out.find("must differ from the read-only kubeconfig"), std::string::npos) << out;
  EXPECT_NE(out.find("'nagios' is not one of"), std::string::npos) << out;
  EXPECT_NE(out.find("'@alice' is not a Slack user id"), std::string::npos) << out;
  EXPECT_EQ(out.find(bot_token()), std::string::npos) << "tokens are never echoed back";

  const auto yaml = test::read_file(f.config());
  EXPECT_EQ(yaml.find("xapp-"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("xoxb-"), std::string::npos) << yaml;
  const auto load = load_config(f.config().string(), Environment{});
  ASSERT_TRUE(load.ok()) << (load.errors.empty() ? "" : load.errors[0].to_string());
  const auto& c = load.config;
  ASSERT_EQ(c.channels.size(), 3u);
  EXPECT_EQ(c.channels[0].id, "C0123ABCD");
  EXPECT_EQ(c.channels[1].name_pattern, "^ops-alerts$");
  EXPECT_EQ(c.channels[2].name_pattern, "^inc-.*");
  EXPECT_TRUE(c.kubernetes.enabled);
  EXPECT_EQ(c.kubernetes.read_only_kubeconfig, f.ro());
  EXPECT_EQ(c.kubernetes.remediation_kubeconfig, f.rem());
  EXPECT_EQ(c.approvals.users, std::vector<std::string>{"U0123ABCD"});
  EXPECT_EQ(c.approvals.groups, std::vector<std::string>{"S0456EFGH"});

  const auto env = test::read_file(f.env());
  EXPECT_NE(env.find("SLACK_APP_TOKEN=" + app_token() + "\n"), std::string::npos);
  EXPECT_NE(env.find("SLACK_BOT_TOKEN=" + bot_token() + "\n"), std::string::npos);
  EXPECT_NE(env.find("VIGIL_ALERTMANAGER_TOKEN="), std::string::npos);
  EXPECT_NE(env.find("VIGIL_GRAFANA_TOKEN="), std::string::npos);
  EXPECT_EQ(env.find("VIGIL_OPSGENIE_TOKEN="), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(f.env().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(InitWizard, RerunShowsCurrentValuesAndEnterKeepsThem) {
  Files f;
  // An existing file with a setting the wizard does not ask about, and a custom env line.
  test::write_file(f.config(),
                   "agent:\n  timeout: 20m\nchannels:\n  - id: C0999ZZZZ\n    auto_triage: false\n"
                   "approvals:\n  users: [W0111AAAA]\n");
  test::write_file(f.env(), "VIGIL_LOG_LEVEL=debug\nSLACK_APP_TOKEN=" + app_token() +
                                "\nSLACK_BOT_TOKEN=" + bot_token() +
                                "\nVIGIL_OPSGENIE_TOKEN=keepme0123456789\n");
  std::string out;
  const auto r = run_wizard(f, "\n\n\n\n\n\n", out);  // Enter everywhere
  ASSERT_TRUE(r) << r.error().detail << "\n" << out;
  EXPECT_NE(out.find("Updating"), std::string::npos);
  EXPECT_NE(out.find("[xapp-***aaaa]"), std::string::npos) << out;
  EXPECT_NE(out.find("[C0999ZZZZ]"), std::string::npos) << out;
  EXPECT_NE(out.find("[no]"), std::string::npos) << out;
  EXPECT_NE(out.find("[opsgenie]"), std::string::npos) << out;
  EXPECT_NE(out.find("[W0111AAAA]"), std::string::npos) << out;
  EXPECT_EQ(out.find(app_token()), std::string::npos);

  const auto load = load_config(f.config().string(), Environment{});
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.agent.timeout, std::chrono::minutes(20));
  ASSERT_EQ(load.config.channels.size(), 1u);
  EXPECT_EQ(load.config.channels[0].id, "C0999ZZZZ");
  EXPECT_FALSE(load.config.channels[0].auto_triage) << "the binding's other settings stay";
  EXPECT_EQ(load.config.approvals.users, std::vector<std::string>{"W0111AAAA"});
  const auto env = test::read_file(f.env());
  EXPECT_NE(env.find("VIGIL_LOG_LEVEL=debug\n"), std::string::npos);
  EXPECT_NE(env.find("VIGIL_OPSGENIE_TOKEN=keepme0123456789\n"), std::string::npos);
  EXPECT_NE(env.find("SLACK_APP_TOKEN=" + app_token() + "\n"), std::string::npos);

  // A second run with one change: the token stays, the channel list is replaced.
  ASSERT_TRUE(run_wizard(f, "\n\nC0777YYYY\n\nnone\n\n", out)) << out;
  const auto again = load_config(f.config().string(), Environment{});
  ASSERT_EQ(again.config.channels.size(), 1u);
  EXPECT_EQ(again.config.channels[0].id, "C0777YYYY");
  EXPECT_EQ(test::read_file(f.env()).find("VIGIL_OPSGENIE_TOKEN"), std::string::npos);
}

TEST(InitWizard, InputEndingEarlyWritesNothing) {
  Files f;
  std::string out;
  const auto r = run_wizard(f, app_token() + "\n", out);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::InvalidInput));
  EXPECT_FALSE(std::filesystem::exists(f.config()));
  EXPECT_FALSE(std::filesystem::exists(f.env()));
}

}  // namespace
}  // namespace vigil
