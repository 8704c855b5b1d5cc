#include "bot/cli/skills_commands.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/base/ids.h"
#include "bot/cli/cli.h"
#include "bot/cli/local_run.h"
#include "bot/core/config.h"
#include "bot/store/store.h"
#include "skills/skill_catalog.h"
#include "skills/step_executor.h"
#include "skills/template.h"

namespace vigil {
namespace {

struct SkillsState {
  std::vector<std::string> dirs;
  std::string skill;
  std::vector<std::string> assignments;
  bool dry_run = false;
  bool yes = false;
  std::string run_id;
  std::string cluster;  // --cluster: the cluster to work on (several configured)
};

void print_diagnostics(const skills::SkillLoad& load) {
  for (const auto& w : load.warnings) {
    std::cerr << w.to_string() << " (warning)\n";
  }
  for (const auto& e : load.errors) {
    std::cerr << e.to_string() << "\n";
  }
}

int cmd_list(const std::string& config_path) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  skills::SkillCatalog catalog(config->kubernetes.enabled);
  const auto load = catalog.load_dirs(config->skills.dirs);
  print_diagnostics(load);
  if (catalog.size() == 0) {
    if (const auto warning = missing_skills_warning(*config); !warning.empty()) {
      std::cerr << "vigil: " << warning << "\n";
    }
    std::cout << "no skills\n";
  }
  for (const auto* s : catalog.all()) {
    std::cout << s->id << "  " << s->title << "  [" << catalog.availability(*s) << "]\n";
  }
  return load.ok() ? kExitOk : kExitUsage;
}

int cmd_validate(const SkillsState& st) {
  skills::SkillLoad total;
  std::size_t count = 0;
  for (const auto& dir : st.dirs) {
    auto load = skills::SkillLoader::load_dir(dir);
    print_diagnostics(load);
    count += load.skills.size();
    total.errors.insert(total.errors.end(), load.errors.begin(), load.errors.end());
  }
  if (!total.ok()) {
    std::cerr << total.errors.size() << " problem" << (total.errors.size() == 1 ? "" : "s") << " in the skills\n";
    return kExitUsage;
  }
  std::cout << count << " skill" << (count == 1 ? "" : "s") << " ok\n";
  return kExitOk;
}

// The skill asked for, when it is known and available here; otherwise says why (exit 2).
const skills::Skill* runnable_skill(const skills::SkillCatalog& catalog, const std::string& id) {
  const skills::Skill* skill = catalog.find(id);
  if (!skill) {
    std::cerr << "vigil: no skill '" << id << "' (see vigil skills list)\n";
    return nullptr;
  }
  if (!catalog.is_available(*skill)) {
    std::cerr << "vigil: skill " << skill->id << " is " << catalog.availability(*skill) << "\n";
    return nullptr;
  }
  return skill;
}

// `key=value` arguments as parameters; nullopt (said on stderr) for one without a key or `=`.
std::optional<std::map<std::string, std::string>> parse_assignments(const std::vector<std::string>& assignments) {
  std::map<std::string, std::string> params;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "vigil: expected key=value, got '" << a << "'\n";
      return std::nullopt;
    }
    params[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return params;
}

// Starts the run; with --run ID resumes the run of that id (a run of this skill) or starts the run
// under that id.
Result<StartResult> start_or_resume(RunManager& manager, Store& store, const SkillsState& st,
                                    const skills::Skill& skill, std::map<std::string, std::string> params,
                                    const std::string& user) {
  if (!st.run_id.empty()) {
    if (const auto existing = store.get_run(st.run_id)) {
      if (existing->skill != skill.id) {
        return make_error(Errc::InvalidInput, "run " + st.run_id + " is a run of " +
                                                  (existing->skill.empty() ? "no skill" : existing->skill) + ", not " +
                                                  skill.id);
      }
      return manager.resume(st.run_id, user);
    }
  }
  RunTrigger trigger;
  trigger.run_id = st.run_id.empty() ? new_uuid() : st.run_id;
  trigger.kind = "cli";
  trigger.key = "cli:" + trigger.run_id;
  trigger.requester = user;
  trigger.text = "vigil skills run " + skill.id;
  trigger.backend = "runbook";
  trigger.skill = skill.id;
  trigger.params = std::move(params);
  trigger.dry_run = st.dry_run;
  trigger.cluster = st.cluster;
  return manager.start(std::move(trigger));
}

// Each step with its argv and (redacted) output, then what the skill came to.
void print_report(const skills::Skill& skill, const skills::SkillRunReport& r, const Redactor& redactor) {
  for (const auto& s : r.steps) {
    std::cout << "\n-- " << s.key << ": " << to_string(s.state) << (s.reused ? " (earlier)" : "");
    if (s.exit_code) {
      std::cout << " exit " << *s.exit_code;
    }
    if (s.signal) {
      std::cout << " signal " << *s.signal;
    }
    std::cout << "\n   $";
    for (const auto& a : s.argv) {
      std::cout << " " << a;
    }
    std::cout << "\n";
    if (!s.note.empty()) {
      std::cout << "   " << s.note << "\n";
    }
    std::string text = s.output;
    if (text.size() > 4000) {
      text = text.substr(0, 4000) + "\n… (truncated; full output in " + s.output_path + ")";
    }
    std::cout << redactor.redact(text) << (text.empty() || text.back() == '\n' ? "" : "\n");
  }
  std::cout << "\n" << skill.id << ": " << to_string(r.outcome) << " — " << r.message;
  if (r.verification != skills::Verification::NotRun) {
    std::cout << " (" << to_string(r.verification) << ")";
  }
  std::cout << "\n";
}

// 0 when the skill succeeded (or its dry run did), 1 for any other outcome.
int skill_exit_code(const skills::SkillRunReport& r) {
  return r.outcome == skills::RunOutcome::Succeeded || r.outcome == skills::RunOutcome::DryRun ? kExitOk : kExitFailure;
}

// Runs a skill through the run manager (the run's row, states, timeline and result are its), with
// approvals asked on the terminal; prints the executor's report as before.
int cmd_run(const std::string& config_path, const SkillsState& st) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  skills::SkillCatalog catalog(config->kubernetes.enabled);
  print_diagnostics(catalog.load_dirs(config->skills.dirs));
  const skills::Skill* skill = runnable_skill(catalog, st.skill);
  if (!skill) {
    return kExitUsage;
  }
  const auto params = parse_assignments(st.assignments);
  if (!params) {
    return kExitUsage;
  }
  // The executor's own check, before a run exists: a refused value is a usage mistake.
  if (auto resolved = skills::resolve_parameters(*skill, *params, skills::Incident{}.values()); !resolved) {
    std::cerr << "vigil: " << resolved.error().detail << "\n";
    return kExitUsage;
  }
  if (!st.cluster.empty() && !config->kubernetes.find_cluster(st.cluster)) {
    std::cerr << "vigil: --cluster " << st.cluster << ": no such cluster (" << config->kubernetes.cluster_names()
              << ")\n";
    return kExitUsage;
  }
  const std::string user = cli_actor();
  std::map<std::string, skills::SkillRunReport> reports;  // by run id
  LocalRunSettings settings;
  settings.log.level = spdlog::level::warn;
  settings.auto_approve = st.yes;
  settings.requester = user;
  settings.on_runbook_report = [&reports](const std::string& id, const skills::SkillRunReport& r) {
    reports.insert_or_assign(id, r);
  };
  auto local = LocalRun::open(*config, catalog, std::move(settings));
  if (!local) {
    std::cerr << "vigil: " << local.error().detail << "\n";
    return kExitFailure;
  }
  auto& manager = (*local)->manager();
  auto started = start_or_resume(manager, (*local)->store(), st, *skill, *params, user);
  if (!started) {
    std::cerr << "vigil: " << started.error().detail << "\n";
    return started.error().is(Errc::InvalidInput) ? kExitUsage : kExitFailure;
  }
  const auto run_id = started->run_id;
  std::cout << "run " << run_id << ": " << skill->id << (st.dry_run ? " (dry run)" : "") << "\n";
  (*local)->run_until_idle([&] {
    std::cerr << "\nvigil: stopping the running step\n";
    (void)manager.cancel(run_id, user);
  });
  const auto report = reports.find(run_id);
  if (report == reports.end()) {
    const auto run = (*local)->store().get_run(run_id);
    std::cerr << "vigil: " << (run && !run->error.empty() ? run->error : std::string("the run did not finish")) << "\n";
    return kExitFailure;
  }
  print_report(*skill, report->second, (*local)->redactor());
  return skill_exit_code(report->second);
}

}  // namespace

void register_skills_commands(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto state = std::make_shared<SkillsState>();
  auto* skills = app.add_subcommand("skills", "list, validate and run skills (runbooks)");
  skills->require_subcommand(1);

  auto* list = skills->add_subcommand("list", "the loaded skills and whether they are available");
  list->callback([&config_path, &exit_code] { exit_code = cmd_list(config_path); });

  auto* validate =
      skills->add_subcommand("validate", "check skill files; every problem as file:line:col, exit 2 on problems");
  validate->add_option("dirs", state->dirs, "skill directories")->required();
  validate->callback([state, &exit_code] { exit_code = cmd_validate(*state); });

  auto* run = skills->add_subcommand("run", "run a skill from the terminal; approvals asked here");
  run->add_option("skill", state->skill, "skill id")->required();
  run->add_option("params", state->assignments, "parameters as key=value");
  run->add_flag("--dry-run", state->dry_run, "run read-only steps; show gated steps' dry runs only");
  run->add_flag("--yes", state->yes, "approve every gated step without asking");
  run->add_option("--run", state->run_id, "resume this run id (or create it)");
  run->add_option("--cluster", state->cluster, "work on this cluster (kubernetes.clusters; default: the default one)");
  run->callback([state, &config_path, &exit_code] { exit_code = cmd_run(config_path, *state); });
}

}  // namespace vigil
