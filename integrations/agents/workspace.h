#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/base/error.h"
#include "bot/base/redactor.h"

namespace vigil::agents {

/// What goes into a run's workspace before the agent starts. Every text passes the redactor
/// before it is written.
struct WorkspaceInputs {
  nlohmann::json incident;                                     // context/incident.json
  nlohmann::json event;                                        // context/event.json (the trigger as received)
  std::string system_instructions;                             // context/system-instructions.txt
  std::string prompt;                                          // PROMPT.md
  std::vector<std::pair<std::string, std::string>> knowledge;  // context/knowledge/<name>
};

/// One remediation an agent proposes in output/proposals.json.
struct AgentProposal {
  std::string skill;
  std::vector<std::pair<std::string, std::string>> params;
  std::string reason;
};

/// What an agent left behind in output/.
struct WorkspaceOutput {
  std::string summary;  // output/summary.md (capped)
  bool summary_truncated = false;
  std::vector<AgentProposal> proposals;
  std::vector<std::string> proposal_errors;     // why an entry of proposals.json was unusable
  std::vector<std::string> artifacts;           // paths relative to output/artifacts/
  std::vector<std::string> rejected_artifacts;  // symlinks and other things that were refused
};

/// A run's private folder: `<workspace_root>/<run-uuid>/`, mode 0700, holding context/,
/// PROMPT.md, output/ and agent.log. Paths are only ever built from a validated UUID, and nothing
/// outside the root is read or written.
class Workspace {
 public:
  static constexpr std::size_t kMaxSummaryBytes = 64 * 1024;
  static constexpr std::size_t kMaxProposalsBytes = 256 * 1024;

  /// Creates (or, for a follow-up turn, reuses) the workspace and writes the inputs.
  static Result<Workspace> create(const std::filesystem::path& root, const std::string& run_id,
                                  const WorkspaceInputs& inputs, const Redactor& redactor);
  /// Opens an existing workspace.
  static Result<Workspace> open(const std::filesystem::path& root, const std::string& run_id);
  /// `<root>/<run_id>` after checking run_id is a UUID and the result stays inside root.
  static Result<std::filesystem::path> path_for(const std::filesystem::path& root, const std::string& run_id);
  /// Total bytes of regular files under `dir` (symlinks not followed).
  static std::uintmax_t size_bytes(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path output_dir() const { return dir_ / "output"; }
  std::filesystem::path log_path() const { return dir_ / "agent.log"; }

  /// Reads summary.md, proposals.json and the artifact list. Symlinks and paths that escape the
  /// workspace are rejected, never followed.
  WorkspaceOutput collect() const;

 private:
  explicit Workspace(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

/// Creates a folder 0700 (or makes an existing one 0700), refusing a symlink in its place.
Result<void> ensure_private_dir(const std::filesystem::path& path);
/// Writes `content` to `path` with mode 0600, refusing to follow a symlink at `path`.
Result<void> write_private_file(const std::filesystem::path& path, const std::string& content);

}  // namespace vigil::agents
