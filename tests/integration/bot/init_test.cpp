// `vigil init` as a user runs it: answers piped to stdin, then `vigil config check` on the result.
#include <gtest/gtest.h>
#include <sys/stat.h>

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
  const auto config = (dir / "etc" / "vigil.yaml").string();
  const std::string answers = "wrong-kind-of-token\n" + app + "\n" + bot + "\n" + "#incidents, C0123ABCD\n" +
                              "yes\n" + (dir / "ro.kubeconfig").string() + "\n" +
                              (dir / "rem.kubeconfig").string() + "\n" + "alertmanager\n" +
                              "U0123ABCD\n";
  const auto init = run_process({vigil_binary().string(), "init", "--output", config}, {}, answers);
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_NE(init.out.find("this token starts with xapp-"), std::string::npos) << init.out;
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

  const auto check = run_process({vigil_binary().string(), "config", "check", config},
                                 {{"SLACK_APP_TOKEN", app}, {"SLACK_BOT_TOKEN", bot}});
  EXPECT_EQ(check.exit_code, 0) << check.err;

  // Run again: Enter keeps every value.
  const auto rerun =
      run_process({vigil_binary().string(), "init", "--output", config}, {}, "\n\n\n\n\n\n\n\n");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("[^incidents$, C0123ABCD]"), std::string::npos) << rerun.out;
  EXPECT_EQ(test::read_file(config), yaml);
}

TEST(VigilInit, EndOfInputExitsTwoAndWritesNothing) {
  test::TempDir dir;
  const auto r = run_process({vigil_binary().string(), "init", "--output", (dir / "v.yaml").string()},
                             {}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "v.yaml"));
}

TEST(VigilHealthcheck, FailsWhenNothingListens) {
  test::TempDir dir;
  const auto r = run_process({vigil_binary().string(), "healthcheck"},
                             {{"VIGIL_CONFIG", ""}, {"VIGIL_HTTP_ADDR", "127.0.0.1:1"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil
