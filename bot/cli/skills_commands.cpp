#include "bot/cli/skills_commands.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "bot/base/clock.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/cli/cli.h"
#include "bot/core/config.h"
#include "bot/app/runtime_setup.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "integrations/process/child_process.h"
#include "skills/skill_catalog.h"
#include "skills/step_executor.h"
#include "bot/cli/terminal_gate.h"

namespace vigil {
namespace {

namespace net = boost::asio;

struct SkillsState {
  std::vector<std::string> dirs;
  std::string skill;
  std::vector<std::string> assignments;
  bool dry_run = false;
  bool yes = false;
  std::string run_id;
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
    std::cerr << total.errors.size() << " problem" << (total.errors.size() == 1 ? "" : "s")
              << " in the skills\n";
    return kExitUsage;
  }
  std::cout << count << " skill" << (count == 1 ? "" : "s") << " ok\n";
  return kExitOk;
}

std::string random_id() {
  std::random_device rd;
  std::ostringstream out;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) {
      out << '-';
    }
    out << hex[rd() % 16];
  }
  return out.str();
}

// Runs the executor and keeps its report; a named coroutine (no capturing coroutine lambdas).
Task<> drive(skills::StepExecutor& executor, skills::SkillRun run,
             std::optional<Result<skills::SkillRunReport>>& out) {
  out = co_await executor.run(std::move(run));
}

int cmd_run(const std::string& config_path, const SkillsState& st) {
  const auto config = load_config_or_report(config_path);
  if (!config) {
    return kExitUsage;
  }
  skills::SkillCatalog catalog(config->kubernetes.enabled);
  const auto load = catalog.load_dirs(config->skills.dirs);
  print_diagnostics(load);
  const skills::Skill* skill = catalog.find(st.skill);
  if (!skill) {
    std::cerr << "vigil: no skill '" << st.skill << "' (see vigil skills list)\n";
    return kExitUsage;
  }
  if (!catalog.is_available(*skill)) {
    std::cerr << "vigil: skill " << skill->id << " is " << catalog.availability(*skill) << "\n";
    return kExitUsage;
  }
  std::map<std::string, std::string> params;
  for (const auto& a : st.assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "vigil: expected key=value, got '" << a << "'\n";
      return kExitUsage;
    }
    params[a.substr(0, eq)] = a.substr(eq + 1);
  }

  auto redactor = std::make_shared<Redactor>();
  for (const auto& secret : config->secret_values()) {
    redactor->add_secret(secret);
  }
  LogOptions log_options;
  log_options.level = spdlog::level::warn;
  Logging logging(log_options, redactor);

  auto opened = Store::open(config->storage.database);
  if (!opened) {
    std::cerr << "vigil: " << opened.error().detail << "\n";
    return kExitFailure;
  }
  auto& store = **opened;
  SystemClock clock;
  const std::string user = cli_actor();
  std::string run_id = st.run_id;
  if (run_id.empty() || !store.get_run(run_id)) {
    RunRecord run;
    run.id = run_id.empty() ? random_id() : run_id;
    run.trigger_kind = "cli";
    run.trigger_key = "cli:" + run.id;
    run.requester = user;
    run.text = "vigil skills run " + skill->id;
    run.backend = "runbook";
    run.skill = skill->id;
    run.state = RunState::Running;
    run.created_at = to_unix(clock.now());
    run.started_at = run.created_at;
    if (auto created = store.create_run(run); !created) {
      std::cerr << "vigil: " << created.error().detail << "\n";
      return kExitFailure;
    }
    run_id = run.id;
  } else {
    store.transition_run(run_id, {RunState::AwaitingApproval, RunState::Interrupted, RunState::Queued},
                         RunState::Running, to_unix_ms(clock.now()), user, "resumed from the CLI");
  }
  std::cout << "run " << run_id << ": " << skill->id << (st.dry_run ? " (dry run)" : "") << "\n";

  auto options = executor_options(*config);
  options.redact = [redactor](std::string_view text) { return redactor->redact(text); };

  net::io_context io;
  process::ChildProcess runner(clock, logging.make("process"));
  skills::TerminalGate gate(std::cin, std::cout, st.yes, user, store, clock);
  StoreStepJournal journal(store, clock);
  skills::StepExecutor executor(journal, runner, gate, clock, options, logging.make("skills"));
  skills::SkillRun run;
  run.run_id = run_id;
  run.skill = *skill;
  run.params = params;
  run.requester = user;
  run.dry_run = st.dry_run;

  std::optional<Result<skills::SkillRunReport>> report;
  net::cancellation_signal cancel;
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      std::cerr << "\nvigil: stopping the running step\n";
      cancel.emit(net::cancellation_type::terminal);
    }
  });
  spawn(io.get_executor(), drive(executor, std::move(run), report), logging.make("skills"),
        "skills run", cancel.slot());
  while (!report && io.run_one() > 0) {
  }
  signals.cancel();

  if (!report) {
    std::cerr << "vigil: the run did not finish\n";
    return kExitFailure;
  }
  if (!*report) {
    std::cerr << "vigil: " << report->error().detail << "\n";
    store.set_run_error(run_id, report->error().detail);
    store.transition_run(run_id, {RunState::Running}, RunState::Failed, to_unix_ms(clock.now()));
    return report->error().is(Errc::InvalidInput) ? kExitUsage : kExitFailure;
  }
  const auto& r = **report;
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
    std::cout << redactor->redact(text) << (text.empty() || text.back() == '\n' ? "" : "\n");
  }
  std::cout << "\n" << skill->id << ": " << to_string(r.outcome) << " — " << r.message;
  if (r.verification != skills::Verification::NotRun) {
    std::cout << " (" << to_string(r.verification) << ")";
  }
  std::cout << "\n";
  const auto now = to_unix_ms(clock.now());
  RunState final_state = RunState::Succeeded;
  switch (r.outcome) {
    case skills::RunOutcome::Succeeded:
    case skills::RunOutcome::DryRun:
      final_state = RunState::Succeeded;
      break;
    case skills::RunOutcome::Cancelled:
      final_state = RunState::Cancelled;
      break;
    default:
      final_state = RunState::Failed;
      break;
  }
  store.set_run_summary(run_id, skill->id + ": " + std::string(to_string(r.outcome)) + " — " + r.message);
  store.transition_run(run_id, {RunState::Running, RunState::AwaitingApproval}, final_state, now);
  return final_state == RunState::Succeeded ? kExitOk : kExitFailure;
}

}  // namespace

void register_skills_commands(CLI::App& app, const std::string& config_path, int& exit_code) {
  auto state = std::make_shared<SkillsState>();
  auto* skills = app.add_subcommand("skills", "list, validate and run skills (runbooks)");
  skills->require_subcommand(1);

  auto* list = skills->add_subcommand("list", "the loaded skills and whether they are available");
  list->callback([&config_path, &exit_code] { exit_code = cmd_list(config_path); });

  auto* validate = skills->add_subcommand(
      "validate", "check skill files; every problem as file:line:col, exit 2 on problems");
  validate->add_option("dirs", state->dirs, "skill directories")->required();
  validate->callback([state, &exit_code] { exit_code = cmd_validate(*state); });

  auto* run = skills->add_subcommand("run", "run a skill from the terminal; approvals asked here");
  run->add_option("skill", state->skill, "skill id")->required();
  run->add_option("params", state->assignments, "parameters as key=value");
  run->add_flag("--dry-run", state->dry_run, "run read-only steps; show gated steps' dry runs only");
  run->add_flag("--yes", state->yes, "approve every gated step without asking");
  run->add_option("--run", state->run_id, "resume this run id (or create it)");
  run->callback([state, &config_path, &exit_code] { exit_code = cmd_run(config_path, *state); });
}

}  // namespace vigil
