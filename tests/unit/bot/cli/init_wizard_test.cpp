#include "bot/cli/init_wizard.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "bot/core/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

// Built at run time so no token-shaped literal sits in the repository.
std::string app_token() {
  return std::string("xa") + "pp-1-A0TEST-1111-" + std::string(24, 'a');
}
std::string bot_token() {
  return std::string("xo") + "xb-2222-3333-" + std::string(24, 'b');
}

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

Result<void> run_wizard(const Files& f, const std::string& input, std::string& output, InitTerminal terminal = {}) {
  std::istringstream in(input);
  std::ostringstream out;
  InitWizard wizard(in, out, std::move(terminal));
  auto r = wizard.run(f.config(), f.env());
  output = out.str();
  return r;
}

TEST(InitWizard, InvalidAnswersAreAskedAgainWithTheReason) {
  Files f;
  const std::string input = std::string("not-a-token\n") + bot_token() + "\n" + app_token() + "\n" + app_token() +
                            "\n" + bot_token() + "\n" + "inc-[\n" + "C0123ABCD, #ops-alerts, ^inc-.*\n" + "maybe\n" +
                            "yes\n" + "/nonexistent/kubeconfig\n" + f.ro() + "\n" + f.ro() + "\n" + f.rem() + "\n" +
                            "nagios\n" + "alertmanager, grafana\n" + "#ops-alerts\n" + "U0456\n" + "\n" + "@alice\n" +
                            "U0123ABCD, S0456EFGH\n";
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
  // Webhooks need the channel their alerts go to; Enter takes the first incident channel id.
  EXPECT_NE(out.find("Channel where webhook alerts are posted (http.alert_channel): a channel id, C…/G… "
                     "[C0123ABCD]: "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("'#ops-alerts' is a channel name, not a Slack channel id"), std::string::npos) << out;
  EXPECT_NE(out.find("'U0456' is a Slack user id (U… or W…), not a Slack channel id"), std::string::npos) << out;
  EXPECT_EQ(out.find("typing is not shown"), std::string::npos) << "no terminal, nothing to hide";
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
  EXPECT_EQ(c.http.alert_channel, "C0123ABCD");

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
                                "\nSLACK_BOT_TOKEN=" + bot_token() + "\nVIGIL_OPSGENIE_TOKEN=keepme0123456789\n");
  std::string out;
  const auto r = run_wizard(f, "\n\n\n\n\n\n\n", out);  // Enter everywhere
  ASSERT_TRUE(r) << r.error().detail << "\n" << out;
  EXPECT_NE(out.find("Updating"), std::string::npos);
  EXPECT_NE(out.find("[xapp-***aaaa]"), std::string::npos) << out;
  EXPECT_NE(out.find("[C0999ZZZZ]"), std::string::npos) << out;
  EXPECT_NE(out.find("[no]"), std::string::npos) << out;
  EXPECT_NE(out.find("[opsgenie]"), std::string::npos) << out;
  EXPECT_NE(out.find("[W0111AAAA]"), std::string::npos) << out;
  EXPECT_NE(out.find("(http.alert_channel): a channel id, C…/G… [C0999ZZZZ]"), std::string::npos) << out;
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

  // A second run with one change: the channel list is replaced. Dropping opsgenie from piped answers
  // keeps its token (and so its webhook), and says so.
  ASSERT_TRUE(run_wizard(f, "\n\nC0777YYYY\n\nnone\n\n", out)) << out;
  const auto again = load_config(f.config().string(), Environment{});
  ASSERT_EQ(again.config.channels.size(), 1u);
  EXPECT_EQ(again.config.channels[0].id, "C0777YYYY");
  EXPECT_NE(test::read_file(f.env()).find("VIGIL_OPSGENIE_TOKEN=keepme0123456789\n"), std::string::npos);
  EXPECT_NE(out.find("  kept VIGIL_OPSGENIE_TOKEN in vigil.env: /webhooks/opsgenie still takes alerts (the answers "
                     "do not come from a terminal, so nothing already in vigil.env is replaced; edit the file to "
                     "change it)\n"),
            std::string::npos)
      << out;
}

// An existing env file is merged: its values survive piped answers, new keys are added.
TEST(InitWizard, PipedAnswersNeverReplaceAValueInTheEnvFile) {
  Files f;
  const auto old_bot = std::string("xo") + "xb-9999-8888-" + std::string(24, 'z');
  test::write_file(f.env(), "# mine\nVIGIL_LOG_LEVEL=debug\nSLACK_APP_TOKEN=" + app_token() + "\nSLACK_BOT_TOKEN=" +
                                old_bot + "\nVIGIL_ALERTMANAGER_TOKEN=generated0123456789abcdef\n");
  std::string out;
  const auto input = "\n" + bot_token() + "\nC0123ABCD\nno\nalertmanager, grafana\n\nU0123ABCD\n";
  const auto r = run_wizard(f, input, out);
  ASSERT_TRUE(r) << r.error().detail << "\n" << out;
  EXPECT_NE(out.find("vigil.env exists: its lines and values are kept; answers that are not typed at a terminal "
                     "never replace one.\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  kept SLACK_BOT_TOKEN as it is in vigil.env (the answers do not come from a terminal"),
            std::string::npos)
      << out;
  const auto env = test::read_file(f.env());
  EXPECT_EQ(env.rfind("# mine\nVIGIL_LOG_LEVEL=debug\nSLACK_APP_TOKEN=" + app_token() + "\nSLACK_BOT_TOKEN=" + old_bot +
                          "\nVIGIL_ALERTMANAGER_TOKEN=generated0123456789abcdef\nVIGIL_GRAFANA_TOKEN=",
                      0),
            0u)
      << env;
  EXPECT_EQ(env.find(bot_token()), std::string::npos);
  EXPECT_EQ(load_config(f.config().string(), Environment{}).config.http.alert_channel, "C0123ABCD");
}

// At a terminal: secrets are typed with echo off, and each value already in the env file is replaced
// or removed only when the person says yes.
TEST(InitWizard, AtATerminalSecretsAreHiddenAndReplacingAValueIsAskedFirst) {
  Files f;
  const auto old_bot = std::string("xo") + "xb-9999-8888-" + std::string(24, 'z');
  test::write_file(f.env(), "SLACK_APP_TOKEN=" + app_token() + "\nSLACK_BOT_TOKEN=" + old_bot +
                                "\nVIGIL_ALERTMANAGER_TOKEN=generated0123456789abcdef\n"
                                "VIGIL_GRAFANA_TOKEN=grafana0123456789abcdef\n");
  std::vector<bool> echo;
  InitTerminal terminal;
  terminal.interactive = true;
  terminal.echo = [&echo](bool on) { echo.push_back(on); };
  std::string out;
  // app token: Enter; bot token: a new one; sources: alertmanager only; then the three questions.
  const auto input = "\n" + bot_token() + "\nC0123ABCD\nno\nalertmanager\nC0123ABCD\nU0123ABCD\n" +
                     "yes\n" +  // replace SLACK_BOT_TOKEN
                     "no\n";    // keep VIGIL_GRAFANA_TOKEN
  const auto r = run_wizard(f, input, out, terminal);
  ASSERT_TRUE(r) << r.error().detail << "\n" << out;
  EXPECT_EQ(echo, (std::vector<bool>{false, true, false, true})) << "off around each of the two token answers";
  EXPECT_NE(out.find("Slack app-level token (xapp-…) [xapp-***aaaa] (typing is not shown): "), std::string::npos)
      << out;
  EXPECT_NE(out.find("Replace SLACK_BOT_TOKEN in vigil.env (xoxb-***zzzz) with the new value (xoxb-***bbbb)? "
                     "(yes/no) [no]: "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Remove VIGIL_GRAFANA_TOKEN from vigil.env? While it is set, /webhooks/grafana takes alerts "
                     "(yes/no) [no]: "),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find(bot_token()), std::string::npos);
  const auto env = test::read_file(f.env());
  EXPECT_NE(env.find("SLACK_BOT_TOKEN=" + bot_token() + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("VIGIL_ALERTMANAGER_TOKEN=generated0123456789abcdef\n"), std::string::npos) << env;
  EXPECT_NE(env.find("VIGIL_GRAFANA_TOKEN=grafana0123456789abcdef\n"), std::string::npos) << env;

  // Again, saying yes to the removal.
  const auto again = "\n\n\n\nalertmanager\n\n\nyes\n";
  ASSERT_TRUE(run_wizard(f, again, out, terminal)) << out;
  EXPECT_EQ(test::read_file(f.env()).find("VIGIL_GRAFANA_TOKEN"), std::string::npos);
}

TEST(InitWizard, CreatesNoFolder) {
  test::TempDir dir;
  std::istringstream in(app_token() + "\n");
  std::ostringstream out;
  InitWizard wizard(in, out);
  const auto r = wizard.run(dir / "etc" / "vigil.yaml", dir / "etc" / "vigil.env");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::InvalidInput));
  EXPECT_EQ(r.error().detail, "no folder " + (dir / "etc").string() +
                                  " for vigil.yaml: vigil init creates no folders; create it first, or choose "
                                  "another path (--output, --env-file)");
  EXPECT_EQ(out.str(), "") << "refused before any question";
  const auto env_elsewhere = wizard.run(dir / "vigil.yaml", dir / "secrets" / "vigil.env");
  ASSERT_FALSE(env_elsewhere);
  EXPECT_NE(env_elsewhere.error().detail.find("no folder " + (dir / "secrets").string() + " for vigil.env"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
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
