#include "bot/cli/doctor_command.h"

#include <iostream>
#include <map>
#include <memory>
#include <set>

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

// One `kubectl auth can-i` question: with this kubeconfig, is this allowed?
struct Question {
  std::string kubeconfig;
  KubeAccess access;
  bool operator<(const Question& o) const {
    return kubeconfig != o.kubeconfig ? kubeconfig < o.kubeconfig : access < o.access;
  }
};

struct Answer {
  bool allowed = false;
  std::string said;  // what kubectl said when it could not answer yes or no
};

struct DoctorSetup {
  std::string kubectl;
  std::string read_only;
  std::string remediation;
  std::string dry_run;
  std::string namespace_name;
  std::vector<std::string> env_allowlist;
  std::string kubeconfig_for(skills::StepIdentity identity) const {
    switch (identity) {
      case skills::StepIdentity::ReadOnly:
        return read_only;
      case skills::StepIdentity::DryRun:
        return dry_run.empty() ? remediation : dry_run;
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
    const auto args = kubernetes::can_i_argv(q.access, setup.namespace_name);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    // The environment a skill's kubectl step gets (agent.env_allowlist), with the step's kubeconfig.
    spec.env =
        process::make_environment(setup.env_allowlist, {{"KUBECONFIG", q.kubeconfig}}, process::process_environment());
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
      const auto kubeconfig = setup.kubeconfig_for(step.identity);
      for (const auto& need : step.needs) {
        ++checked;
        const auto& answer = answers.at({kubeconfig, need});
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

int cmd_doctor(const std::string& config_path, const std::string& namespace_name) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  if (!config->kubernetes.enabled) {
    std::cout << "kubernetes.enabled is false: no cluster to check\n";
    return kExitOk;
  }
  const DoctorSetup setup{config->kubernetes.kubectl,
                          config->kubernetes.read_only_kubeconfig,
                          config->kubernetes.remediation_kubeconfig,
                          config->kubernetes.dry_run_kubeconfig,
                          namespace_name,
                          config->agent.env_allowlist};
  skills::SkillCatalog catalog(true);
  catalog.load_dirs(config->skills.dirs);
  std::set<Question> questions;
  for (const auto* skill : catalog.all()) {
    for (const auto& step : skills::skill_access(*skill)) {
      for (const auto& need : step.needs) {
        questions.insert({setup.kubeconfig_for(step.identity), need});
      }
    }
  }
  for (const auto& access : must_be_refused()) {
    questions.insert({setup.read_only, access});
  }
  std::cout << "kubeconfigs: read-only " << setup.read_only << ", remediation " << setup.remediation << ", dry runs "
            << setup.kubeconfig_for(skills::StepIdentity::DryRun) << "; "
            << (namespace_name.empty() ? std::string("in every namespace") : "in namespace " + namespace_name) << "\n";
  boost::asio::io_context io{1};
  SystemClock clock;
  process::ChildProcess runner(clock, null_logger());
  std::map<Question, Answer> answers;
  spawn(io.get_executor(), ask_all(runner, setup, questions, answers), null_logger(), "doctor");
  io.run();
  if (answers.size() != questions.size()) {
    std::cerr << "vigil doctor: not every question was answered\n";
    return kExitFailure;
  }
  const int failing = report_skills(catalog, setup, answers) + report_read_only(setup, answers);
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
  auto* doctor = app.add_subcommand(
      "doctor", "ask the cluster (kubectl auth can-i) whether every skill step may run, before an incident does");
  doctor->add_option("-n,--namespace", *namespace_name,
                     "check in this namespace (default: every namespace, as a ClusterRoleBinding grants)");
  doctor->callback(
      [&config_path, &exit_code, namespace_name] { exit_code = cmd_doctor(config_path, *namespace_name); });
}

}  // namespace vigil
