// `vigil doctor` (bot/cli/doctor_command.cpp) run as the real binary against a stand-in kubectl
// that answers `auth can-i` from the grants listed in the kubeconfig file it is given.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "skills/skill_access.h"
#include "skills/skill_loader.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using test::run_process;
using test::vigil_binary;
namespace fs = std::filesystem;

// kubectl auth can-i VERB RESOURCE[.GROUP] [--subresource=S] [-A | -n NS]: "yes" (exit 0) when the
// line "VERB RESOURCE[/S]" is in $KUBECONFIG (with --context=C first: in $KUBECONFIG.C), else "no"
// (exit 1). Every question is logged.
constexpr const char* kFakeKubectl = R"(#!/bin/sh
grants="$KUBECONFIG"
case "$1" in --context=*) grants="$KUBECONFIG.${1#--context=}"; echo "context ${1#--context=}" >> "$DOCTOR_LOG"; shift ;; esac
[ "$1 $2" = "auth can-i" ] || { echo "unexpected: $*" >&2; exit 9; }
verb=$3; resource=$4; sub=""
for a in "$@"; do case "$a" in --subresource=*) sub="/${a#--subresource=}";; esac; done
echo "$KUBECONFIG $*" >> "$DOCTOR_LOG"
if grep -qx "$verb $resource$sub" "$grants"; then echo yes; exit 0; fi
echo no; exit 1
)";

class DoctorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "kubectl", kFakeKubectl);
    fs::permissions(dir_ / "kubectl", fs::perms::owner_all);
    // What the shipped skills need, as the grants of each identity.
    const auto load = skills::SkillLoader::load_dir(test::shipped_skills_dir().string());
    ASSERT_TRUE(load.ok());
    for (const auto& skill : load.skills) {
      for (const auto& step : skills::skill_access(skill)) {
        auto& grants = step.identity == skills::StepIdentity::ReadOnly ? reads_ : writes_;
        for (const auto& need : step.needs) {
          grants.insert(need.to_string());
        }
      }
    }
  }
  static std::string lines(const std::set<std::string>& grants) {
    std::string text;
    for (const auto& g : grants) {
      text += g + "\n";
    }
    return text;
  }
  test::ProcessOutput doctor(const std::set<std::string>& reads, const std::set<std::string>& writes,
                             const std::vector<std::string>& extra = {}, const std::string& more_clusters = "") {
    test::write_file(dir_ / "ro.kubeconfig", lines(reads));
    test::write_file(dir_ / "rw.kubeconfig", lines(writes));
    test::write_file(dir_ / "vigil.yaml", "kubernetes:\n  enabled: true\n  kubectl: " + (dir_ / "kubectl").string() +
                                              "\n  read_only_kubeconfig: " + (dir_ / "ro.kubeconfig").string() +
                                              "\n  remediation_kubeconfig: " + (dir_ / "rw.kubeconfig").string() +
                                              "\n" + more_clusters +
                                              "storage:\n  database: " + (dir_ / "v.db").string() +
                                              "\nagent:\n  env_allowlist: [PATH, DOCTOR_LOG]\n");
    std::vector<std::string> argv = {vigil_binary().string(), "--config", (dir_ / "vigil.yaml").string(), "doctor"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, {{"DOCTOR_LOG", (dir_ / "asked.log").string()}, {"VIGIL_CONFIG", ""}, {"VIGIL_DB", ""}});
  }

  test::TempDir dir_;
  std::set<std::string> reads_;
  std::set<std::string> writes_;
};

TEST_F(DoctorCli, RolesThatGrantWhatTheSkillsUsePass) {
  const auto r = doctor(reads_, writes_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pod-crashloop: ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node-not-ready: ok ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read-only kubeconfig: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing would fail"), std::string::npos) << r.out;
  // Each question went to the identity that step runs with, in every namespace by default.
  const auto asked = test::read_file(dir_ / "asked.log");
  EXPECT_NE(asked.find((dir_ / "rw.kubeconfig").string() + " auth can-i patch nodes"), std::string::npos) << asked;
  EXPECT_NE(asked.find((dir_ / "ro.kubeconfig").string() + " auth can-i get pods --subresource=log -A"),
            std::string::npos)
      << asked;
}

TEST_F(DoctorCli, AMissingGrantIsNamedWithItsStepAndIdentity) {
  auto writes = writes_;
  writes.erase("patch nodes");
  const auto r = doctor(reads_, writes, {"-n", "shop"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("node-not-ready: 2 would fail"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  cordon (remediation kubeconfig): cannot patch nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  cordon (dry run) (dry run kubeconfig): cannot patch nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in namespace shop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 problems: fix the roles or kubeconfigs"), std::string::npos) << r.out;
}

// Several clusters: each is asked with its own identities (a context in a shared kubeconfig here),
// under its own heading; --cluster checks one.
TEST_F(DoctorCli, EveryClusterIsAskedWithItsOwnIdentities) {
  auto eu_writes = writes_;
  eu_writes.erase("patch nodes");
  test::write_file(dir_ / "all-ro.kubeconfig.eu-reader", lines(reads_));
  test::write_file(dir_ / "all-rw.kubeconfig.eu-admin", lines(eu_writes));
  const std::string eu = "  cluster: us\n  clusters:\n    - name: eu\n      read_only_kubeconfig: " +
                         (dir_ / "all-ro.kubeconfig").string() +
                         "\n      remediation_kubeconfig: " + (dir_ / "all-rw.kubeconfig").string() +
                         "\n      read_only_context: eu-reader\n      remediation_context: eu-admin\n";
  auto r = doctor(reads_, writes_, {}, eu);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto us_at = r.out.find("cluster us:\n");
  const auto eu_at = r.out.find("cluster eu:\n");
  ASSERT_NE(us_at, std::string::npos) << r.out;
  ASSERT_NE(eu_at, std::string::npos) << r.out;
  const auto first_failure = r.out.find(" would fail", us_at);
  EXPECT_GT(first_failure, eu_at) << "nothing fails for us: " << r.out;
  EXPECT_NE(r.out.find("node-not-ready: 2 would fail", eu_at), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("remediation " + (dir_ / "all-rw.kubeconfig").string() + " (context eu-admin)", eu_at),
            std::string::npos)
      << r.out;
  const auto asked = test::read_file(dir_ / "asked.log");
  EXPECT_NE(asked.find("context eu-admin\n" + (dir_ / "all-rw.kubeconfig").string() + " auth can-i patch nodes"),
            std::string::npos)
      << asked;

  r = doctor(reads_, writes_, {"--cluster", "us"}, eu);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("cluster eu:"), std::string::npos) << r.out;
  r = doctor(reads_, writes_, {"--cluster", "mars"}, eu);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("vigil doctor: no cluster named mars"), std::string::npos) << r.err;
}

TEST_F(DoctorCli, AReadOnlyKubeconfigThatCanWriteFails) {
  auto reads = reads_;
  reads.insert("patch deployments.apps");
  reads.insert("get secrets");
  const auto r = doctor(reads, writes_);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("read-only kubeconfig: may write or read secrets; it must not:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  can patch deployments.apps\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  can get secrets\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace vigil
