// Every flag agent_argv gives each agent CLI is one the real CLI lists in its --help, and every
// value given to a flag with fixed choices is one of them. The CLIs come from npm, pinned in
// scripts/bootstrap.sh (`bootstrap.sh agents`, run by `make test`); skipped only where npm is not
// installed at all.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integrations/agents/agent_cli.h"
#include "tests/support/test_paths.h"

namespace vigil::agents {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> candidate_dirs() {
  std::vector<fs::path> dirs;
  if (const char* d = std::getenv("VIGIL_AGENT_CLIS_DIR"); d != nullptr && *d != '\0') {
    dirs.emplace_back(d);
  }
  dirs.emplace_back("/opt/vigil/agent-clis");
  if (const char* c = std::getenv("XDG_CACHE_HOME"); c != nullptr && *c != '\0') {
    dirs.push_back(fs::path(c) / "vigil" / "agent-clis");
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    dirs.push_back(fs::path(h) / ".cache" / "vigil" / "agent-clis");
  }
  return dirs;
}

/// The folder holding node_modules/.bin/{claude,codex,gemini}; empty when there is none.
fs::path agent_clis_bin() {
  for (const auto& d : candidate_dirs()) {
    const auto bin = d / "node_modules" / ".bin";
    if (fs::exists(bin / "claude") && fs::exists(bin / "codex") && fs::exists(bin / "gemini")) {
      return bin;
    }
  }
  return {};
}

bool npm_available() {
  return std::system("command -v npm >/dev/null 2>&1") == 0;
}

/// What `program args --help` prints (stdout and stderr), run with a throw-away HOME so that no CLI
/// reads or writes the real one.
std::string help_of(const fs::path& program, const std::string& args) {
  const auto home = fs::temp_directory_path() / ("vigil-agent-help-" + std::to_string(::getpid()));
  fs::create_directories(home);
  const std::string cmd = "cd '" + home.string() + "' && HOME='" + home.string() +
                          "' NO_COLOR=1 CI=true timeout 120 '" + program.string() + "' " + args +
                          " --help 2>&1 </dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
      out.append(buf.data(), n);
    }
    ::pclose(p);
  }
  std::error_code ec;
  fs::remove_all(home, ec);
  return out;
}

/// Flags as --help lists them: `--name` followed by a space, comma, `=`, `[` or a line end; `-p`
/// followed by a comma or a space.
bool help_lists_flag(const std::string& help, const std::string& flag) {
  for (std::size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    const bool starts = at == 0 || help[at - 1] == ' ' || help[at - 1] == ',' || help[at - 1] == '\n';
    const char next = at + flag.size() < help.size() ? help[at + flag.size()] : '\n';
    if (starts && (next == ' ' || next == ',' || next == '=' || next == '\n' || next == '[' || next == '<')) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> flags_in(const std::vector<std::string>& argv) {
  std::vector<std::string> flags;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') {
      flags.push_back(argv[i]);
    }
  }
  return flags;
}

std::string value_after(const std::vector<std::string>& argv, const std::string& flag) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag) {
      return argv[i + 1];
    }
  }
  return {};
}

AgentCliOptions options_for(const std::string& backend, const fs::path& bin, const char* program) {
  AgentCliOptions o;
  o.backend = backend;
  o.command = {(bin / program).string()};
  return o;
}

class RealAgentCli : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = agent_clis_bin();
    if (bin_.empty()) {
      if (!npm_available()) {
        GTEST_SKIP() << "npm is not installed, so the agent CLIs cannot be (scripts/bootstrap.sh agents)";
      }
      FAIL() << "npm is here but the agent CLIs are not: run `scripts/bootstrap.sh agents` (make test does)";
    }
  }
  void expect_flags_listed(const std::vector<std::string>& argv, const std::string& help, const std::string& what) {
    ASSERT_FALSE(help.empty()) << what << " printed nothing";
    for (const auto& flag : flags_in(argv)) {
      EXPECT_TRUE(help_lists_flag(help, flag)) << what << " does not list " << flag << "\n" << help;
    }
  }
  fs::path bin_;
};

TEST_F(RealAgentCli, ClaudeCodeListsEveryFlagAndChoice) {
  const auto o = options_for("claude-code", bin_, "claude");
  const auto help = help_of(bin_ / "claude", "");
  for (const auto& turn : {AgentTurn{"r", "", ""}, AgentTurn{"r", "why?", "sess-1"}}) {
    const auto argv = agent_argv(o, turn);
    expect_flags_listed(argv, help, "claude --help");
    for (const auto& flag : {"--output-format", "--permission-mode"}) {
      EXPECT_NE(help.find('"' + value_after(argv, flag) + '"'), std::string::npos)
          << flag << " " << value_after(argv, flag) << " is not one of claude's choices";
    }
  }
}

TEST_F(RealAgentCli, CodexExecListsEveryFlagAndChoice) {
  const auto o = options_for("codex", bin_, "codex");
  const auto first = agent_argv(o, {"r", "", ""});
  const auto exec_help = help_of(bin_ / "codex", "exec");
  expect_flags_listed(first, exec_help, "codex exec --help");
  EXPECT_NE(exec_help.find(value_after(first, "--sandbox")), std::string::npos);
  const auto resumed = agent_argv(o, {"r", "why?", "th-1"});
  ASSERT_EQ(resumed[2], "resume");
  expect_flags_listed(resumed, help_of(bin_ / "codex", "exec resume"), "codex exec resume --help");
}

TEST_F(RealAgentCli, GeminiListsEveryFlagAndChoice) {
  const auto o = options_for("gemini", bin_, "gemini");
  const auto argv = agent_argv(o, {"r", "", ""});
  const auto help = help_of(bin_ / "gemini", "");
  expect_flags_listed(argv, help, "gemini --help");
  for (const auto& flag : {"--output-format", "--approval-mode"}) {
    EXPECT_NE(help.find('"' + value_after(argv, flag) + '"'), std::string::npos)
        << flag << " " << value_after(argv, flag) << " is not one of gemini's choices";
  }
}

// The CLIs the test reads are the ones the agent image carries: one version of each, pinned in
// both places.
TEST(AgentCliVersions, TheBootstrapAndTheAgentImagePinTheSameVersions) {
  const auto root = test::test_data_dir().parent_path();
  const auto bootstrap = test::read_file(root / "scripts" / "bootstrap.sh");
  const auto image = test::read_file(root / "deploy" / "Dockerfile.agent");
  for (const std::string package : {"@anthropic-ai/claude-code@", "@openai/codex@", "@google/gemini-cli@"}) {
    const auto pinned = [&](const std::string& text) {
      const auto at = text.find(package);
      if (at == std::string::npos) {
        return std::string();
      }
      const auto end = text.find_first_of(" )\n", at);
      return text.substr(at, end - at);
    };
    EXPECT_FALSE(pinned(bootstrap).empty()) << package << " is not pinned in scripts/bootstrap.sh";
    EXPECT_EQ(pinned(bootstrap), pinned(image)) << "deploy/Dockerfile.agent";
  }
}

}  // namespace
}  // namespace vigil::agents
