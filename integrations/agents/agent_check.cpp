#include "integrations/agents/agent_check.h"

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "integrations/process/child_process.h"

namespace vigil::agents {
namespace {

namespace fs = std::filesystem;

std::string first_line(std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) {
    text.remove_prefix(1);
  }
  const auto end = text.find('\n');
  auto line = std::string(text.substr(0, end));
  return line.size() > 200 ? line.substr(0, 200) : line;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) {
    words.push_back(w);
  }
  return words;
}

bool is_write_verb(const std::string& verb) {
  return verb != "get" && verb != "list" && verb != "watch";
}

// Every identity may create these reviews (that is how can-i asks); they change nothing.
bool is_self_review(const std::string& resource) {
  return resource.rfind("selfsubject", 0) == 0;
}

// A command in the turn's own sandbox (or unfenced when isolation is none), with the agent's
// environment, so the check sees what a turn would.
Task<Result<process::ProcessResult>> run_as_agent(process::ChildProcess& runner, const AgentCliOptions& options,
                                                  Isolation isolation, const std::string& scratch,
                                                  std::vector<std::string> argv) {
  const bool sandboxed = isolation == Isolation::Bubblewrap;
  process::ProcessSpec spec;
  spec.env = agent_environment(options, "agents-check", scratch, sandboxed);
  spec.working_dir = scratch;
  spec.timeout = std::chrono::seconds(30);
  spec.grace = std::chrono::seconds(1);
  if (sandboxed) {
    const auto path = spec.env.count("PATH") ? spec.env.at("PATH") : std::string();
    const auto sandbox = turn_sandbox(options, scratch, program_folder_to_bind(argv.front(), path));
    argv = sandbox_argv(sandbox, argv);
  }
  spec.argv = std::move(argv);
  auto ran = co_await runner.run(std::move(spec));
  co_return ran;
}

Task<AgentCheckLine> check_binary(process::ChildProcess& runner, const AgentCliOptions& options, Isolation isolation,
                                  const std::string& scratch) {
  AgentCheckLine line{"binary", false, ""};
  AgentTurn probe_turn{"agents-check", "", ""};
  const auto argv = agent_argv(options, probe_turn);
  if (argv.empty()) {
    line.detail = "no program: set agent.command";
    co_return line;
  }
  const auto& program = argv.front();
  const auto path = options.environment.count("PATH") ? options.environment.at("PATH") : std::string();
  const auto found = process::find_program(program, path);
  std::error_code ec;
  if (!found || !fs::is_regular_file(*found, ec) || ::access(found->c_str(), X_OK) != 0) {
    line.detail = program + " not found on the agents' PATH (" + path + ")";
    co_return line;
  }
  if (options.backend == "command") {
    line.ok = true;
    line.detail = *found;
    co_return line;
  }
  std::vector<std::string> version_argv = {*found, "--version"};
  auto ran = co_await run_as_agent(runner, options, isolation, scratch, std::move(version_argv));
  if (!ran || !ran->exit_code || *ran->exit_code != 0) {
    line.detail = *found + " --version failed: " + (ran ? first_line(ran->err + "\n" + ran->out) : ran.error().detail);
    co_return line;
  }
  line.ok = true;
  line.detail = *found + " " + first_line(ran->out);
  co_return line;
}

AgentCheckLine sandbox_line(const IsolationChoice& choice) {
  switch (choice.mode) {
    case Isolation::Bubblewrap:
      return {"sandbox", true,
              "bubblewrap: a sandbox starts (own pid, ipc, uts and mount namespaces; only the "
              "workspace writable)"};
    case Isolation::None:
      return {"sandbox", true, "none: agent.isolation is none, agents run unfenced as Vigil's user"};
    case Isolation::Refused:
      break;
  }
  return {"sandbox", false, choice.refusal};
}

}  // namespace

bool AgentCheckReport::ok() const {
  for (const auto& line : lines) {
    if (!line.ok) {
      return false;
    }
  }
  return !lines.empty();
}

const std::vector<std::string>& credential_variables(std::string_view backend) {
  static const std::vector<std::string> claude = {"ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"};
  static const std::vector<std::string> codex = {"OPENAI_API_KEY", "CODEX_API_KEY"};
  static const std::vector<std::string> gemini = {"GEMINI_API_KEY", "GOOGLE_API_KEY"};
  static const std::vector<std::string> none;
  if (backend == "claude-code") {
    return claude;
  }
  if (backend == "codex") {
    return codex;
  }
  if (backend == "gemini") {
    return gemini;
  }
  return none;
}

AgentCheckLine check_credentials(std::string_view backend, const std::map<std::string, std::string>& environment) {
  const auto& names = credential_variables(backend);
  if (names.empty()) {
    return {"credentials", true, "none needed (the command backend brings its own)"};
  }
  std::string listed;
  for (const auto& name : names) {
    const auto it = environment.find(name);
    if (it != environment.end() && !it->second.empty()) {
      return {"credentials", true, name + " is set"};
    }
    listed += (listed.empty() ? "" : " or ") + name;
  }
  return {"credentials", false, "none: set " + listed + " in Vigil's environment"};
}

std::vector<std::string> write_grants(std::string_view can_i_list) {
  std::vector<std::string> grants;
  std::istringstream in{std::string(can_i_list)};
  bool header = true;
  for (std::string row; std::getline(in, row);) {
    if (header) {
      header = false;
      continue;
    }
    const auto open = row.rfind('[');
    const auto close = row.rfind(']');
    if (open == std::string::npos || close == std::string::npos || close < open) {
      continue;
    }
    const auto verbs = split_words(std::string_view(row).substr(open + 1, close - open - 1));
    // A row for non-resource URLs starts with blanks: no resource.
    const auto resource = row.empty() || row.front() == ' ' ? std::string() : split_words(row).front();
    if (resource.empty() || is_self_review(resource)) {
      continue;
    }
    std::string writes;
    for (const auto& verb : verbs) {
      if (is_write_verb(verb)) {
        writes += (writes.empty() ? "" : " ") + verb;
      }
    }
    if (!writes.empty()) {
      grants.push_back(writes + " on " + resource);
    }
  }
  return grants;
}

AgentCheckLine cluster_line(int exit_code, std::string_view out, std::string_view err) {
  if (exit_code != 0) {
    const auto why = first_line(std::string(err) + "\n" + std::string(out));
    return {"cluster", false, "kubectl auth can-i --list failed (is the API server reachable?): " + why};
  }
  const auto writes = write_grants(out);
  if (!writes.empty()) {
    std::string listed;
    for (const auto& w : writes) {
      listed += (listed.empty() ? "" : "; ") + w;
    }
    return {"cluster", false, "the agents' kubeconfig may write: " + listed};
  }
  return {"cluster", true, "reached the API server; read-only access (kubectl auth can-i --list)"};
}

Task<AgentCheckReport> check_agent_backend(process::ChildProcess& runner, const AgentCliOptions& options,
                                           const std::string& scratch_dir) {
  AgentCheckReport report;
  report.backend = options.backend;
  IsolationChoice choice;
  choice.mode = Isolation::None;
  if (options.isolation) {
    choice = co_await options.isolation->choice(runner);
  }
  std::error_code ec;
  fs::create_directories(fs::path(scratch_dir) / "home", ec);
  if (choice.mode == Isolation::Refused) {
    report.lines.push_back({"binary", false, "not checked: no sandbox to run it in"});
  } else {
    auto binary = co_await check_binary(runner, options, choice.mode, scratch_dir);
    report.lines.push_back(std::move(binary));
  }
  report.lines.push_back(check_credentials(options.backend, options.environment));
  report.lines.push_back(sandbox_line(choice));
  if (options.read_only_kubeconfig.empty()) {
    report.lines.push_back({"cluster", true, "not checked: no read-only kubeconfig (kubernetes.enabled is false)"});
  } else if (choice.mode == Isolation::Refused) {
    report.lines.push_back({"cluster", false, "not checked: no sandbox to run kubectl in"});
  } else {
    std::vector<std::string> argv = {options.kubectl, "auth", "can-i", "--list"};
    auto ran = co_await run_as_agent(runner, options, choice.mode, scratch_dir, std::move(argv));
    if (!ran) {
      report.lines.push_back({"cluster", false, ran.error().detail});
    } else {
      report.lines.push_back(cluster_line(ran->exit_code.value_or(-1), ran->out, ran->err));
    }
  }
  fs::remove_all(scratch_dir, ec);
  co_return report;
}

std::string format_check_report(const AgentCheckReport& report) {
  std::string text = report.backend + ": " + (report.ok() ? "ok" : "FAILED") + "\n";
  for (const auto& line : report.lines) {
    text += "  " + std::string(line.ok ? "ok    " : "FAIL  ") + line.what + ": " + line.detail + "\n";
  }
  return text;
}

}  // namespace vigil::agents
