#include "integrations/agents/agent_cli.h"

#include <memory>

#include "integrations/process/child_process.h"

namespace vigil::agents {
namespace {

// Claude Code: reading files, read-only kubectl verbs, and editing only under output/. An Edit
// rule covers every built-in tool that writes files (Write too; path rules are read only for Read
// and Edit), and a path without a leading slash is relative to the working directory, the
// workspace. Anything else that would need a permission prompt is denied (dontAsk), and the deny
// list wins over the allow list. Should the rule not match, the summary comes from the final
// `result` event instead (RunManager::agent_outcome).
constexpr const char* kClaudeAllowedTools =
    "Read,Grep,Glob,LS,Edit(output/**),"
    "Bash(kubectl get:*),Bash(kubectl describe:*),Bash(kubectl logs:*),Bash(kubectl top:*),"
    "Bash(kubectl events:*),Bash(kubectl rollout history:*),Bash(kubectl rollout status:*)";
constexpr const char* kClaudeDisallowedTools = "NotebookEdit,WebFetch,WebSearch";

// Codex: its own sandbox stays on (workspace-write: writes only in the workspace, the working
// directory) with network access for commands, so `kubectl` reaches the API server with the
// read-only kubeconfig. Not --dangerously-bypass-approvals-and-sandbox: Vigil's sandbox already
// contains the run, and Codex's is a second fence that keeps writes inside the workspace.
constexpr const char* kCodexSandbox = "workspace-write";
constexpr const char* kCodexNetwork = "sandbox_workspace_write.network_access=true";

// Gemini: headless mode drops every tool that would ask for confirmation, so its shell tool is
// allowed for the read-only kubectl verbs only (and its read tools); any other command would ask
// and is refused. (--allowed-tools is marked deprecated in favour of policy files but still read.)
const std::vector<std::string>& gemini_allowed_tools() {
  static const std::vector<std::string> tools = {
      "read_file",
      "read_many_files",
      "list_directory",
      "glob",
      "search_file_content",
      "run_shell_command(kubectl get)",
      "run_shell_command(kubectl describe)",
      "run_shell_command(kubectl logs)",
      "run_shell_command(kubectl top)",
      "run_shell_command(kubectl events)",
      "run_shell_command(kubectl rollout history)",
      "run_shell_command(kubectl rollout status)",
  };
  return tools;
}

std::string program_for(const AgentCliOptions& o, const char* default_name) {
  return o.command.empty() ? std::string(default_name) : o.command.front();
}

std::string first_turn_instruction() {
  return "Read PROMPT.md in the current directory and follow it. The files under context/ describe "
         "the incident. Write output/summary.md and output/proposals.json before you finish.";
}

// The question is untrusted user text: run_turn writes it to a file and argv only points there.
std::string follow_up_instruction() {
  return "A responder asked a follow-up question; it is in context/follow-up.md. Answer it from "
         "what you can read, update output/summary.md, and keep to the read-only rules in "
         "context/system-instructions.txt.";
}

// How a turn's process ended, for people: the status and, unless it succeeded, why.
void classify_ending(const process::ProcessResult& ran, std::chrono::milliseconds timeout, AgentTurnResult& result) {
  if (ran.cancelled) {
    result.status = AgentTurnResult::Status::Cancelled;
    result.error = "cancelled";
  } else if (ran.timed_out) {
    result.status = AgentTurnResult::Status::TimedOut;
    result.error = "timed out after " + std::to_string(timeout.count() / 1000) + "s";
  } else if (ran.signal) {
    result.status = AgentTurnResult::Status::Killed;
    result.error = "killed by signal " + std::to_string(*ran.signal);
  } else if (ran.exit_code && *ran.exit_code == 0) {
    result.status = AgentTurnResult::Status::Succeeded;
  } else {
    result.status = AgentTurnResult::Status::Failed;
    result.error = "exited with code " + std::to_string(ran.exit_code.value_or(-1));
    if (!ran.err.empty()) {
      auto tail = ran.err.substr(ran.err.size() > 500 ? ran.err.size() - 500 : 0);
      result.error += ": " + tail;
    }
  }
}

}  // namespace

std::string_view to_string(AgentTurnResult::Status s) {
  switch (s) {
    case AgentTurnResult::Status::Succeeded:
      return "succeeded";
    case AgentTurnResult::Status::Failed:
      return "failed";
    case AgentTurnResult::Status::TimedOut:
      return "timed_out";
    case AgentTurnResult::Status::Cancelled:
      return "cancelled";
    case AgentTurnResult::Status::Killed:
      return "killed";
  }
  return "failed";
}

std::vector<std::string> agent_argv(const AgentCliOptions& o, const AgentTurn& turn) {
  const auto instruction = turn.question.empty() ? first_turn_instruction() : follow_up_instruction();
  if (o.backend == "claude-code") {
    std::vector<std::string> argv = {program_for(o, "claude"),
                                     "-p",
                                     instruction,
                                     "--output-format",
                                     "stream-json",
                                     "--verbose",
                                     "--permission-mode",
                                     "dontAsk",
                                     "--allowedTools",
                                     kClaudeAllowedTools,
                                     "--disallowedTools",
                                     kClaudeDisallowedTools};
    if (!turn.session_id.empty()) {
      argv.insert(argv.end(), {"--resume", turn.session_id});
    }
    return argv;
  }
  if (o.backend == "codex") {
    // `exec resume` takes no --sandbox: the same policy goes in as configuration.
    if (!turn.session_id.empty()) {
      return {program_for(o, "codex"),
              "exec",
              "resume",
              "--json",
              "--skip-git-repo-check",
              "-c",
              std::string("sandbox_mode=\"") + kCodexSandbox + "\"",
              "-c",
              kCodexNetwork,
              turn.session_id,
              instruction};
    }
    return {program_for(o, "codex"), "exec",     "--json", "--sandbox", kCodexSandbox, "-c", kCodexNetwork,
            "--skip-git-repo-check", instruction};
  }
  if (o.backend == "gemini") {
    // No resume for gemini -p: a follow-up is a new turn whose context holds the earlier summary.
    std::vector<std::string> argv = {program_for(o, "gemini"), "-p",     instruction, "--output-format", "stream-json",
                                     "--approval-mode",        "default"};
    for (const auto& tool : gemini_allowed_tools()) {
      argv.insert(argv.end(), {"--allowed-tools", tool});
    }
    return argv;
  }
  // command: the configured argv as given; the agent finds everything through the environment.
  return o.command;
}

std::map<std::string, std::string> agent_environment(const AgentCliOptions& o, const std::string& run_id,
                                                     const std::string& workspace_dir, bool sandboxed) {
  auto allow = o.env_allowlist;
  // API keys only through the environment, and only the chosen backend's.
  if (o.backend == "claude-code") {
    allow.insert(allow.end(), {"ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"});
  } else if (o.backend == "codex") {
    allow.insert(allow.end(), {"OPENAI_API_KEY", "CODEX_HOME"});
  } else if (o.backend == "gemini") {
    allow.insert(allow.end(), {"GEMINI_API_KEY", "GOOGLE_API_KEY"});
  }
  std::map<std::string, std::string> extra = {
      {"INCIDENT_ID", run_id},
      {"INCIDENT_WORKSPACE", workspace_dir},
      {"VIGIL_READ_ONLY", "true"},
  };
  if (o.backend == "claude-code") {
    extra["CLAUDE_READ_ONLY_MODE"] = "true";
  }
  if (!o.read_only_kubeconfig.empty()) {
    extra["KUBECONFIG"] = o.read_only_kubeconfig;
  } else {
    extra["KUBECONFIG"] = "/dev/null";  // never a default (possibly writable) kubeconfig
  }
  if (sandboxed) {
    // Its own home inside the workspace: the CLIs keep their sessions and caches there.
    extra["HOME"] = workspace_dir + "/home";
  }
  return process::make_environment(allow, extra, o.environment);
}

SandboxSpec turn_sandbox(const AgentCliOptions& o, const std::string& workspace_dir,
                         const std::string& program_folder) {
  SandboxSpec spec;
  spec.bwrap = o.isolation ? o.isolation->bwrap() : "bwrap";
  spec.workspace = workspace_dir;
  if (!o.read_only_kubeconfig.empty()) {
    spec.read_only.push_back(o.read_only_kubeconfig);
  }
  spec.read_only.insert(spec.read_only.end(), o.read_only_paths.begin(), o.read_only_paths.end());
  if (!program_folder.empty()) {
    spec.read_only.push_back(program_folder);
  }
  return spec;
}

AgentCli::AgentCli(process::ChildProcess& runner, AgentCliOptions options, Logger log)
    : runner_(runner), options_(std::move(options)), log_(std::move(log)) {}

Task<Result<AgentTurnResult>> AgentCli::run_turn(const Workspace& workspace, AgentTurn turn, EventSink sink) {
  if (options_.backend == "command" && options_.command.empty()) {
    co_return make_error(Errc::InvalidConfig, "the command backend needs agent.command");
  }
  if (!turn.question.empty()) {
    if (auto r = write_private_file(workspace.dir() / "context" / "follow-up.md", turn.question + "\n"); !r) {
      co_return r.error();
    }
  }
  auto isolation = Isolation::None;
  if (options_.isolation) {
    const auto choice = co_await options_.isolation->choice(runner_);
    if (choice.mode == Isolation::Refused) {
      co_return make_error(Errc::Forbidden, choice.refusal);
    }
    isolation = choice.mode;
  }
  const auto dir = workspace.dir().string();
  process::ProcessSpec spec;
  spec.argv = agent_argv(options_, turn);
  spec.env = agent_environment(options_, turn.run_id, dir, isolation == Isolation::Bubblewrap);
  if (isolation == Isolation::Bubblewrap && !spec.argv.empty()) {
    if (auto home = ensure_private_dir(workspace.dir() / "home"); !home) {
      co_return home.error();
    }
    const auto path = spec.env.count("PATH") ? spec.env.at("PATH") : std::string();
    const auto sandbox = turn_sandbox(options_, dir, program_folder_to_bind(spec.argv.front(), path));
    spec.argv = sandbox_argv(sandbox, spec.argv);
  }
  spec.working_dir = workspace.dir().string();
  spec.timeout = options_.timeout;
  spec.grace = options_.grace;
  spec.output_cap = options_.output_cap;
  spec.output_file = workspace.log_path().string();
  // The parser lives as long as the turn; the format of a `command` agent is decided by its
  // first line.
  auto parser = std::make_shared<std::optional<AgentStreamParser>>();
  const auto backend = options_.backend;
  spec.on_line = [parser, backend, sink](std::string_view line, bool is_stderr) {
    if (is_stderr) {
      return;
    }
    if (!*parser) {
      parser->emplace(detect_stream_format(backend, line));
    }
    for (const auto& e : (*parser)->feed_line(line)) {
      sink(e);
    }
  };
  auto ran = co_await runner_.run(std::move(spec));
  if (!ran) {
    co_return ran.error();
  }
  AgentTurnResult result;
  result.exit_code = ran->exit_code;
  result.signal = ran->signal;
  result.duration = ran->duration;
  if (*parser) {
    for (const auto& e : (*parser)->finish()) {
      sink(e);
    }
    result.session_id = (*parser)->session_id();
    result.malformed_lines = (*parser)->malformed_lines();
    result.final_text = (*parser)->final_text();
    result.usage = (*parser)->usage();
    result.api_errors = (*parser)->api_errors();
  }
  classify_ending(*ran, options_.timeout, result);
  co_return result;
}

}  // namespace vigil::agents
