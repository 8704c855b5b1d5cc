// One process per SQLite file (issue 22): a second `vigil serve`, or a `vigil skills run`, on the
// database a running Vigil holds is refused with the holder's pid before it touches the file; the
// reading commands still work; a holder killed with SIGKILL leaves no lock behind.
#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/test_paths.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

class OneProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "vigil.yaml", "skills:\n  dirs: [" + test::shipped_skills_dir().string() +
                                              "]\nstorage:\n  database: " + db() +
                                              "\nkubernetes:\n  enabled: true\n  kubectl: /bin/true\n"
                                              "  read_only_kubeconfig: /nonexistent/ro\n"
                                              "  remediation_kubeconfig: /nonexistent/rw\n");
  }
  std::string db() const { return (dir_.path() / "vigil.db").string(); }
  pid_t serve(const std::string& log) {
    return test::start_vigil({"--config", (dir_ / "vigil.yaml").string(), "serve", "--sandbox"},
                             {"VIGIL_SANDBOX_ADDR=127.0.0.1:0", "VIGIL_HTTP_ADDR=127.0.0.1:0"}, log);
  }
  bool started(const std::string& log) {
    return test::eventually(
        [&] { return test::read_file(log).find("Sandbox: open http://127.0.0.1:") != std::string::npos; }, 20s);
  }
  test::TempDir dir_;
};

TEST_F(OneProcess, ASecondVigilOnTheSameDatabaseIsRefusedWithTheHoldersPid) {
  const auto first_log = (dir_ / "first.log").string();
  const pid_t first = serve(first_log);
  ASSERT_GT(first, 0);
  ASSERT_TRUE(started(first_log)) << test::read_file(first_log);
  const auto size_before = std::filesystem::file_size(db());

  const auto second_log = (dir_ / "second.log").string();
  const pid_t second = serve(second_log);
  ASSERT_GT(second, 0);
  EXPECT_EQ(test::wait_exit(second, 20s), 1) << test::read_file(second_log);
  const auto said = test::read_file(second_log);
  EXPECT_NE(said.find("the database " + db() + " is in use by another Vigil process (pid " + std::to_string(first) +
                      "): one process per SQLite file"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("Sandbox: open"), std::string::npos) << "it never started: " << said;
  EXPECT_EQ(std::filesystem::file_size(db()), size_before) << "nothing was written";

  // A terminal run would recover (mark interrupted) what the server is running: refused too.
  const auto run = test::run_process({test::vigil_binary().string(), "--config", (dir_ / "vigil.yaml").string(),
                                      "skills", "run", "pod-crashloop", "namespace=demo", "pod=x", "--dry-run"},
                                     {{"VIGIL_CONFIG", ""}, {"VIGIL_DB", ""}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("is in use by another Vigil process (pid " + std::to_string(first) + ")"), std::string::npos)
      << run.err;
  // Reading is fine while it runs.
  const auto list =
      test::run_process({test::vigil_binary().string(), "--config", (dir_ / "vigil.yaml").string(), "runs", "list"},
                        {{"VIGIL_CONFIG", ""}, {"VIGIL_DB", ""}});
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;

  // Killed outright, the holder leaves no lock: the next one starts.
  ::kill(first, SIGKILL);
  test::wait_exit(first, 20s);
  const auto third_log = (dir_ / "third.log").string();
  const pid_t third = serve(third_log);
  ASSERT_GT(third, 0);
  EXPECT_TRUE(started(third_log)) << test::read_file(third_log);
  ::kill(third, SIGTERM);
  EXPECT_EQ(test::wait_exit(third, 20s), 0) << test::read_file(third_log);
}

}  // namespace
}  // namespace vigil
