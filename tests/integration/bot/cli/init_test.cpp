// `vigil init` as a user runs it: answers piped to stdin or typed at a terminal (a pseudo-terminal),
// then `vigil config check` on the result.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;

TEST(VigilInit, PipedAnswersWriteAConfigThatChecksAndKeepsTokensOutOfTheYaml) {
  test::TempDir dir;
  const auto app = std::string("xa") + "pp-1-A0INIT-4242-" + std::string(20, 'c');
  const auto bot = std::string("xo") + "xb-4242-4343-" + std::string(20, 'd');
  test::write_file(dir / "ro.kubeconfig", "apiVersion: v1\nkind: Config\n");
  test::write_file(dir / "rem.kubeconfig", "apiVersion: v1\nkind: Config\n");
  std::filesystem::create_directories(dir / "etc");
  const auto config = (dir / "etc" / "vigil.yaml").string();
  const std::string answers = "wrong-kind-of-token\n" + app + "\n" + bot + "\n" + "#incidents, C0123ABCD\n" + "yes\n" +
                              (dir / "ro.kubeconfig").string() + "\n" + (dir / "rem.kubeconfig").string() + "\n" +
                              "alertmanager\n" + "#incidents\n" + "C0123ABCD\n" + "U0123ABCD\n";
  const auto init = run_process({vigil_binary().string(), "init", "--output", config}, {}, answers);
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_NE(init.out.find("this token starts with xapp-"), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("'#incidents' is a channel name, not a Slack channel id"), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("/webhooks/alertmanager"), std::string::npos) << init.out;

  const auto yaml = test::read_file(config);
  EXPECT_EQ(yaml.find(app), std::string::npos);
  EXPECT_EQ(yaml.find(bot), std::string::npos);
  const auto env_file = dir / "etc" / "vigil.env";
  const auto env = test::read_file(env_file);
  EXPECT_NE(env.find("SLACK_BOT_TOKEN=" + bot), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(env_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << "the env file is private";

  const auto token_at = env.find("VIGIL_ALERTMANAGER_TOKEN=") + 25;
  const auto alertmanager_token = env.substr(token_at, env.find('\n', token_at) - token_at);
  const auto check = run_process(
      {vigil_binary().string(), "config", "check", config},
      {{"SLACK_APP_TOKEN", app}, {"SLACK_BOT_TOKEN", bot}, {"VIGIL_ALERTMANAGER_TOKEN", alertmanager_token}});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, config + ": configuration ok\n");
  EXPECT_EQ(check.err, "") << "the webhook has its alert channel";

  // Run again: Enter keeps every value.
  const auto rerun = run_process({vigil_binary().string(), "init", "--output", config}, {}, "\n\n\n\n\n\n\n\n\n");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("[^incidents$, C0123ABCD]"), std::string::npos) << rerun.out;
  EXPECT_EQ(test::read_file(config), yaml);
}

TEST(VigilInit, EndOfInputExitsTwoAndWritesNothing) {
  test::TempDir dir;
  const auto r = run_process({vigil_binary().string(), "init", "--output", (dir / "v.yaml").string()}, {}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "v.yaml"));
}

TEST(VigilInit, AMissingFolderIsRefusedNotCreated) {
  test::TempDir dir;
  const auto r =
      run_process({vigil_binary().string(), "init", "--output", (dir / "etc" / "vigil.yaml").string()}, {}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "vigil init: no folder " + (dir / "etc").string() +
                       " for vigil.yaml: vigil init creates no folders; create it first, or choose another path "
                       "(--output, --env-file)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// A second `vigil init` (say with a new bot token) keeps the generated webhook token the alert
// source was configured with, and the lines it does not manage.
TEST(VigilInit, AnExistingEnvFileIsMergedAndItsTokensSurvive) {
  test::TempDir dir;
  const auto app = std::string("xa") + "pp-1-A0INIT-4242-" + std::string(20, 'c');
  const auto old_bot = std::string("xo") + "xb-4242-4343-" + std::string(20, 'd');
  const auto new_bot = std::string("xo") + "xb-4242-4343-" + std::string(20, 'e');
  const std::string existing = "# ours\nVIGIL_LOG_LEVEL=debug\nSLACK_APP_TOKEN=" + app +
                               "\nSLACK_BOT_TOKEN=" + old_bot +
                               "\nVIGIL_ALERTMANAGER_TOKEN=configured-in-alertmanager-0123\n";
  test::write_file(dir / "vigil.env", existing);
  const auto config = (dir / "vigil.yaml").string();
  const auto r = run_process({vigil_binary().string(), "init", "--output", config}, {},
                             "\n" + new_bot + "\nC0123ABCD\nno\nalertmanager, grafana\nC0ALERTS\nU0123ABCD\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("and merging into " + (dir / "vigil.env").string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  kept SLACK_BOT_TOKEN as it is in vigil.env (the answers do not come from a terminal, "
                       "so nothing already in vigil.env is replaced; edit the file to change it)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find(new_bot), std::string::npos);
  const auto env = test::read_file(dir / "vigil.env");
  EXPECT_EQ(env.rfind(existing + "VIGIL_GRAFANA_TOKEN=", 0), 0u) << env;
  EXPECT_NE(test::read_file(config).find("alert_channel: C0ALERTS"), std::string::npos);
}

// A person at a terminal: typed tokens never appear on the screen, other answers do, and replacing
// a value already in the env file is asked first.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& argv) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      for (const char* name : {"VIGIL_CONFIG", "VIGIL_DB", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"}) {
        ::unsetenv(name);
      }
      std::vector<char*> args;
      for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
      }
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (master_ >= 0) {
      ::close(master_);
    }
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Reads the screen until `text` shows after what was already expected (a bounded wait).
  bool expect(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      if (const auto at = screen_.find(text, seen_); at != std::string::npos) {
        seen_ = at + text.size();
        return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) {
        return false;
      }
    }
  }
  void type(const std::string& line) {
    const auto text = line + "\n";
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // The exit code, after reading the rest of the screen; a program still waiting after 20 s is
  // killed (and the code says so).
  int finish() {
    while (read_some(20000)) {
    }
    if (!closed_) {
      ::kill(pid_, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& screen() const { return screen_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char buffer[4096];
    const auto n = ::read(master_, buffer, sizeof buffer);
    if (n <= 0) {
      closed_ = true;  // EIO: the program closed the terminal (it is exiting)
      return false;
    }
    screen_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  bool closed_ = false;
  std::string screen_;
  std::size_t seen_ = 0;
};

TEST(VigilInit, AtATerminalTokensAreNotEchoedAndReplacingOneIsAskedFirst) {
  test::TempDir dir;
  const auto app = std::string("xa") + "pp-1-A0INIT-4242-" + std::string(20, 'c');
  const auto old_bot = std::string("xo") + "xb-4242-4343-" + std::string(20, 'd');
  const auto new_bot = std::string("xo") + "xb-4242-4343-" + std::string(20, 'e');
  test::write_file(dir / "vigil.env", "SLACK_BOT_TOKEN=" + old_bot + "\n");
  Terminal t({vigil_binary().string(), "init", "--output", (dir / "vigil.yaml").string()});
  ASSERT_TRUE(t.expect("you are asked before one is replaced or removed.")) << t.screen();
  ASSERT_TRUE(t.expect("Slack app-level token (xapp-…) (typing is not shown): ")) << t.screen();
  t.type(app);
  ASSERT_TRUE(t.expect("Slack bot token (xoxb-…) [xoxb-***dddd] (typing is not shown): ")) << t.screen();
  t.type(new_bot);
  ASSERT_TRUE(t.expect("comma-separated: ")) << t.screen();
  t.type("C0123ABCD");
  ASSERT_TRUE(t.expect("C0123ABCD")) << "an ordinary answer is echoed as typed\n" << t.screen();
  ASSERT_TRUE(t.expect("(yes/no) [no]: ")) << t.screen();
  t.type("no");
  ASSERT_TRUE(t.expect("or none) [none]: ")) << t.screen();
  t.type("none");
  ASSERT_TRUE(t.expect("comma-separated: ")) << t.screen();
  t.type("U0123ABCD");
  ASSERT_TRUE(
      t.expect("Replace SLACK_BOT_TOKEN in vigil.env (xoxb-***dddd) with the new value (xoxb-***eeee)? "
               "(yes/no) [no]: "))
      << t.screen();
  t.type("yes");
  EXPECT_EQ(t.finish(), 0) << t.screen();
  EXPECT_EQ(t.screen().find(app), std::string::npos) << t.screen();
  EXPECT_EQ(t.screen().find(new_bot), std::string::npos) << t.screen();
  const auto env = test::read_file(dir / "vigil.env");
  EXPECT_EQ(env, "SLACK_BOT_TOKEN=" + new_bot + "\nSLACK_APP_TOKEN=" + app + "\n");
}

TEST(VigilHealthcheck, FailsWhenNothingListens) {
  test::TempDir dir;
  const auto r =
      run_process({vigil_binary().string(), "healthcheck"}, {{"VIGIL_CONFIG", ""}, {"VIGIL_HTTP_ADDR", "127.0.0.1:1"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil
