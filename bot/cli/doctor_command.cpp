#include "bot/cli/doctor_command.h"

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/cli/cli.h"
#include "integrations/process/child_process.h"
#include "skills/skill_access.h"
#include "skills/skill_catalog.h"

namespace vigil {
namespace {

using kubernetes::KubeAccess;

// Whose credentials: a kubeconfig, and the context in it (empty: its current-context).
struct Identity {
  std::string kubeconfig;
  std::string context;
  bool operator<(const Identity& o) const { return std::tie(kubeconfig, context) < std::tie(o.kubeconfig, o.context); }
  std::string to_string() const { return kubeconfig + (context.empty() ? "" : " (context " + context + ")"); }
};

// One `kubectl auth can-i` question: with this identity, is this allowed?
struct Question {
  Identity identity;
  KubeAccess access;
  bool operator<(const Question& o) const {
    return std::tie(identity.kubeconfig, identity.context, access) <
           std::tie(o.identity.kubeconfig, o.identity.context, o.access);
  }
};

struct Answer {
  bool allowed = false;
  std::string said;  // what kubectl said when it could not answer yes or no
};

// One cluster's identities, as a skill's kubectl steps get them (kubectl.h).
struct DoctorSetup {
  std::string kubectl;
  Identity read_only;
  Identity remediation;
  Identity dry_run;  // empty kubeconfig: the remediation identity's
  std::string namespace_name;
  std::vector<std::string> env_allowlist;
  Identity identity_for(skills::StepIdentity identity) const {
    switch (identity) {
      case skills::StepIdentity::ReadOnly:
        return read_only;
      case skills::StepIdentity::DryRun:
        return dry_run.kubeconfig.empty() ? remediation : dry_run;
      case skills::StepIdentity::Remediation:
        return remediation;
    }
    return read_only;
  }
};

Task<> ask_all(process::ChildProcess& runner, const DoctorSetup& setup, const std::set<Question>& questions,
               std::map<Question, Answer>& answers) {
  for (const auto& q : questions) {
    process::ProcessSpec spec;
    spec.argv = {setup.kubectl};
    if (!q.identity.context.empty()) {
      spec.argv.push_back("--context=" + q.identity.context);
    }
    const auto args = kubernetes::can_i_argv(q.access, setup.namespace_name);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    // The environment a skill's kubectl step gets (agent.env_allowlist), with the step's kubeconfig.
    spec.env = process::make_environment(setup.env_allowlist, {{"KUBECONFIG", q.identity.kubeconfig}},
                                         process::process_environment());
    spec.timeout = std::chrono::seconds(30);
    spec.grace = std::chrono::seconds(1);
    auto ran = co_await runner.run(std::move(spec));
    Answer a;
    if (!ran) {
      a.said = ran.error().detail;
    } else {
      const auto first = ran->out.substr(0, ran->out.find('\n'));
      a.allowed = ran->exit_code == 0 && first == "yes";
      if (first != "yes" && first != "no") {
        const auto err = ran->err.substr(0, ran->err.find('\n'));
        a.said = err.empty() ? "kubectl exited " + std::to_string(ran->exit_code.value_or(-1)) : err;
      }
    }
    answers[q] = std::move(a);
  }
}

std::string why_not(const KubeAccess& access, const Answer& answer) {
  return "cannot " + access.to_string() + (answer.said.empty() ? "" : " (kubectl: " + answer.said + ")");
}

// Prints each skill's result; returns how many steps would fail.
int report_skills(const skills::SkillCatalog& catalog, const DoctorSetup& setup,
                  const std::map<Question, Answer>& answers) {
  int failing = 0;
  for (const auto* skill : catalog.all()) {
    std::vector<std::string> problems;
    int checked = 0;
    for (const auto& step : skills::skill_access(*skill)) {
      if (!step.error.empty()) {
        problems.push_back(step.step + ": " + step.error);
        continue;
      }
      const auto identity = setup.identity_for(step.identity);
      for (const auto& need : step.needs) {
        ++checked;
        const auto& answer = answers.at({identity, need});
        if (!answer.allowed) {
          problems.push_back(step.step + " (" + std::string(to_string(step.identity)) +
                             " kubeconfig): " + why_not(need, answer));
        }
      }
    }
    if (problems.empty()) {
      std::cout << skill->id << ": ok (" << checked << " permissions)\n";
      continue;
    }
    std::cout << skill->id << ": " << problems.size() << " would fail\n";
    for (const auto& p : problems) {
      std::cout << "  " << p << "\n";
    }
    failing += static_cast<int>(problems.size());
  }
  return failing;
}

// The read-only kubeconfig must not be able to write or read Secrets.
const std::vector<KubeAccess>& must_be_refused() {
  static const std::vector<KubeAccess> refused = {
      {"patch", "deployments", "apps"}, {"delete", "pods", ""}, {"get", "secrets", ""}};
  return refused;
}

int report_read_only(const DoctorSetup& setup, const std::map<Question, Answer>& answers) {
  std::vector<std::string> granted;
  for (const auto& access : must_be_refused()) {
    if (answers.at({setup.read_only, access}).allowed) {
      granted.push_back(access.to_string());
    }
  }
  if (granted.empty()) {
    std::cout << "read-only kubeconfig: ok (may not patch deployments, delete pods or read secrets)\n";
    return 0;
  }
  std::cout << "read-only kubeconfig: may write or read secrets; it must not:\n";
  for (const auto& g : granted) {
    std::cout << "  can " << g << "\n";
  }
  return static_cast<int>(granted.size());
}

DoctorSetup setup_for(const Config& config, const ClusterConfig& cluster, const std::string& namespace_name) {
  return DoctorSetup{config.kubernetes.kubectl,
                     {cluster.read_only_kubeconfig, cluster.read_only_context},
                     {cluster.remediation_kubeconfig, cluster.remediation_context},
                     {cluster.dry_run_kubeconfig, cluster.dry_run_context},
                     namespace_name,
                     config.agent.env_allowlist};
}

// Asks one cluster every question and prints what would fail; returns how many problems.
int check_cluster(const skills::SkillCatalog& catalog, const DoctorSetup& setup) {
  std::set<Question> questions;
  for (const auto* skill : catalog.all()) {
    for (const auto& step : skills::skill_access(*skill)) {
      for (const auto& need : step.needs) {
        questions.insert({setup.identity_for(step.identity), need});
      }
    }
  }
  for (const auto& access : must_be_refused()) {
    questions.insert({setup.read_only, access});
  }
  std::cout << "kubeconfigs: read-only " << setup.read_only.to_string() << ", remediation "
            << setup.remediation.to_string() << ", dry runs "
            << setup.identity_for(skills::StepIdentity::DryRun).to_string() << "; "
            << (setup.namespace_name.empty() ? std::string("in every namespace")
                                             : "in namespace " + setup.namespace_name)
            << "\n";
  boost::asio::io_context io{1};
  SystemClock clock;
  process::ChildProcess runner(clock, null_logger());
  std::map<Question, Answer> answers;
  spawn(io.get_executor(), ask_all(runner, setup, questions, answers), null_logger(), "doctor");
  io.run();
  if (answers.size() != questions.size()) {
    std::cerr << "vigil doctor: not every question was answered\n";
    return 1;
  }
  return report_skills(catalog, setup, answers) + report_read_only(setup, answers);
}

int cmd_doctor(const std::string& config_path, const std::string& namespace_name, const std::string& only_cluster) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  if (!config->kubernetes.enabled) {
    std::cout << "kubernetes.enabled is false: no cluster to check\n";
    return kExitOk;
  }
  auto clusters = config->kubernetes.all_clusters();
  if (!only_cluster.empty()) {
    std::erase_if(clusters, [&](const ClusterConfig& c) { return c.name != only_cluster; });
    if (clusters.empty()) {
      std::cerr << "vigil doctor: no cluster named " << only_cluster << " (kubernetes.cluster, kubernetes.clusters)\n";
      return kExitUsage;
    }
  }
  skills::SkillCatalog catalog(true);
  catalog.load_dirs(config->skills.dirs);
  int failing = 0;
  const bool several = config->kubernetes.several_clusters();
  for (const auto& cluster : clusters) {
    if (several) {
      std::cout << "cluster " << cluster.name << ":\n";
    }
    failing += check_cluster(catalog, setup_for(*config, cluster, namespace_name));
  }
  if (failing == 0) {
    std::cout << "nothing would fail\n";
    return kExitOk;
  }
  std::cout << failing << " problem" << (failing == 1 ? "" : "s")
            << ": fix the roles or kubeconfigs before an incident needs them (deploy/kubernetes/rbac-*.yaml "
               "grant what the shipped skills use)\n";
  return kExitFailure;
}

}  // namespace

void register_doctor_command(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto namespace_name = std::make_shared<std::string>();
  auto only_cluster = std::make_shared<std::string>();
  auto* doctor = app.add_subcommand(
      "doctor", "ask the cluster (kubectl auth can-i) whether every skill step may run, before an incident does");
  doctor->add_option("-n,--namespace", *namespace_name,
                     "check in this namespace (default: every namespace, as a ClusterRoleBinding grants)");
  doctor->add_option("--cluster", *only_cluster, "check only this cluster (default: every configured cluster)");
  doctor->callback([&config_path, &exit_code, namespace_name, only_cluster] {
    exit_code = cmd_doctor(config_path, *namespace_name, *only_cluster);
  });
}

}  // namespace vigil
