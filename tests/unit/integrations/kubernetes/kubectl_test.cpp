// The kubectl argv check reads arguments as kubectl (pflag) parses them. Every bypass listed here
// was seen reaching the real kubectl v1.32 while only "--flag" and "--flag=" were matched.
#include "integrations/kubernetes/kubectl.h"

#include <gtest/gtest.h>

#include "integrations/kubernetes/kubectl_args.h"

namespace vigil::kubernetes {
namespace {

std::vector<std::string> get_pods(std::vector<std::string> extra) {
  std::vector<std::string> argv = {"kubectl", "get", "pods"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST(KubectlArgs, EveryFormKubectlReadsAsAnIdentityFlagIsFound) {
  for (const std::string bypass : {
           "-shttp://127.0.0.1:16443",         // --server's shorthand with its value attached
           "--as_group=system:masters",        // kubectl turns _ into - in flag names
           "--insecure_skip_tls_verify=true",  //
           "--client_key=/tmp/key.pem",        //
           "--as_uid=0",                       //
           "-s",                               // the shorthand alone (value in the next argument)
           "-s=https://127.0.0.1:6443",        //
           "-ws",                              // a cluster of boolean shorthands ending in -s
           "-Aws",                             //
           "--kubeconfig",                     // the long forms, bare and with =
           "--kubeconfig=/etc/vigil/remediation.kubeconfig",
           "--token=abc",
           "--as=admin",
           "--server=https://x",
           "--context=prod",
           "--cluster=prod",
           "--user=admin",
           "--tls_server_name=evil",
           "--cache-dir=/var/lib/vigil",
           "--profile-output=/var/lib/vigil/vigil.db",
       }) {
    SCOPED_TRACE(bypass);
    const auto found = identity_flag(get_pods({"-n", "shop", bypass, "x"}));
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, bypass);
  }
}

TEST(KubectlArgs, OrdinaryArgumentsPass) {
  for (const std::vector<std::string>& fine : std::vector<std::vector<std::string>>{
           {"-n", "kube-system"},
           {"-nkube-system"},  // -n takes the rest as its value: "kube-system", not -s
           {"-n=kube-system"},
           {"-lapp=checkout,tier=web"},
           {"-oyaml"},
           {"-o", "jsonpath={.items[*].status}"},
           {"--namespace=shop", "--selector", "app=web"},
           {"--all-namespaces", "--show-labels", "--sort-by=.metadata.name"},
           {"-A", "-w"},
           {"--", "-shttp://127.0.0.1:16443"},  // after "--" kubectl reads no flags
       }) {
    EXPECT_FALSE(identity_flag(get_pods(fine))) << fine.front();
  }
  // The program's own name and flag-looking words are not kubectl flags.
  EXPECT_FALSE(identity_flag({"kubectl", "logs", "web-1", "--tail=200", "--previous"}));
}

TEST(KubectlArgs, TheLastDryRunFlagCounts) {
  EXPECT_EQ(effective_dry_run({"kubectl", "scale", "--dry-run=server"}), "server");
  EXPECT_EQ(effective_dry_run({"kubectl", "scale", "--dry_run=server"}), "server");
  EXPECT_EQ(effective_dry_run({"kubectl", "scale", "--dry-run"}), "client");
  EXPECT_EQ(effective_dry_run({"kubectl", "scale", "--dry-run=server", "--dry-run=none"}), "none");
  EXPECT_FALSE(effective_dry_run({"kubectl", "scale", "--replicas=3"}));
  EXPECT_FALSE(effective_dry_run({"kubectl", "get", "--", "--dry-run=server"}));
}

class KubectlIdentities : public ::testing::Test {
 protected:
  KubectlOptions options() const {
    KubectlOptions o;
    o.kubectl = "/usr/bin/kubectl";
    o.read_only_kubeconfig = "/etc/vigil/ro";
    o.remediation_kubeconfig = "/etc/vigil/rw";
    return o;
  }
  static std::string kubeconfig(const Result<KubectlInvocation>& inv) {
    return inv ? inv->env.at("KUBECONFIG") : "refused: " + inv.error().detail;
  }
};

TEST_F(KubectlIdentities, AServerDryRunRunsAsTheWriteIdentityAndNothingElseDoes) {
  const Kubectl k(options());
  const std::vector<std::string> restart = {"kubectl", "rollout", "restart", "deployment/web", "-n", "shop"};
  auto server_dry = restart;
  server_dry.push_back("--dry-run=server");
  // The API server authorises a server-side dry run like the write: the read-only identity would be
  // Forbidden every time.
  EXPECT_EQ(kubeconfig(k.prepare(server_dry, KubectlIdentity::DryRun)), "/etc/vigil/rw");
  // A dry run that is not server-side, or is switched off again, needs no write access.
  auto client_dry = restart;
  client_dry.push_back("--dry-run=client");
  EXPECT_EQ(kubeconfig(k.prepare(client_dry, KubectlIdentity::DryRun)), "/etc/vigil/ro");
  auto undone = server_dry;
  undone.push_back("--dry-run=none");
  EXPECT_EQ(kubeconfig(k.prepare(undone, KubectlIdentity::DryRun)), "/etc/vigil/ro");
  EXPECT_EQ(kubeconfig(k.prepare(restart, KubectlIdentity::DryRun)), "/etc/vigil/ro");
  // Outside a dry run, --dry-run=server changes nothing: diagnostics stay read-only.
  EXPECT_EQ(kubeconfig(k.prepare(server_dry, KubectlIdentity::ReadOnly)), "/etc/vigil/ro");
  EXPECT_EQ(kubeconfig(k.prepare(restart, KubectlIdentity::Remediation)), "/etc/vigil/rw");
  // A dedicated dry-run identity, when configured.
  auto with_dry = options();
  with_dry.dry_run_kubeconfig = "/etc/vigil/dry";
  EXPECT_EQ(kubeconfig(Kubectl(with_dry).prepare(server_dry, KubectlIdentity::DryRun)), "/etc/vigil/dry");
}

// A cluster picked by context: Vigil adds --context right after the program, after the argv was
// checked (a skill's own --context is refused), so it comes before any `--`.
TEST_F(KubectlIdentities, AContextIsEachIdentitysOwnAndComesFirst) {
  auto o = options();
  o.read_only_context = "eu-reader";
  o.remediation_context = "eu-admin";
  const Kubectl k(o);
  const std::vector<std::string> logs = {"kubectl", "logs", "-n", "shop", "--", "web-1"};
  const auto read = k.prepare(logs, KubectlIdentity::ReadOnly);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->argv,
            (std::vector<std::string>{"/usr/bin/kubectl", "--context=eu-reader", "logs", "-n", "shop", "--", "web-1"}));
  EXPECT_EQ(read->env.at("KUBECONFIG"), "/etc/vigil/ro");
  const std::vector<std::string> restart = {"kubectl", "rollout", "restart", "deployment/web", "-n", "shop"};
  const auto write = k.prepare(restart, KubectlIdentity::Remediation);
  ASSERT_TRUE(write);
  EXPECT_EQ(write->argv[1], "--context=eu-admin");
  auto dry = restart;
  dry.push_back("--dry-run=server");
  EXPECT_EQ(k.prepare(dry, KubectlIdentity::DryRun)->argv[1], "--context=eu-admin") << "the write identity's";
  o.dry_run_kubeconfig = "/etc/vigil/dry";
  o.dry_run_context = "eu-dry";
  EXPECT_EQ(Kubectl(o).prepare(dry, KubectlIdentity::DryRun)->argv[1], "--context=eu-dry");
  auto own = logs;
  own.insert(own.begin() + 1, "--context=prod");
  EXPECT_FALSE(k.prepare(own, KubectlIdentity::ReadOnly)) << "a skill never picks its own context";
  EXPECT_EQ(Kubectl(options()).prepare(logs, KubectlIdentity::ReadOnly)->argv[1], "logs") << "no context: none added";
}

TEST_F(KubectlIdentities, AnIdentityFlagIsRefusedWhateverTheIdentity) {
  const Kubectl k(options());
  for (const auto identity : {KubectlIdentity::ReadOnly, KubectlIdentity::DryRun, KubectlIdentity::Remediation}) {
    const auto inv = k.prepare({"kubectl", "get", "pods", "--as_group=system:masters"}, identity);
    ASSERT_FALSE(inv);
    EXPECT_TRUE(inv.error().is(Errc::Forbidden));
    EXPECT_EQ(inv.error().detail,
              "kubectl argument '--as_group=system:masters' is not allowed: credentials and cluster come from the "
              "configuration");
  }
}

}  // namespace
}  // namespace vigil::kubernetes
