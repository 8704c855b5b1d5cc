#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::test {

/// tests/fixtures: real payloads from public projects (tests/fixtures/SOURCES.md) and our own.
std::filesystem::path fixtures_dir();
/// tests/ in the source tree.
std::filesystem::path test_data_dir();
/// skills/runbooks: the runbooks shipped with Vigil.
std::filesystem::path shipped_skills_dir();
/// The built vigil binary.
std::filesystem::path vigil_binary();
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

/// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Result of running a program to completion.
struct ProcessOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// The first executable `program` in the directories of PATH, if any.
std::optional<std::filesystem::path> find_on_path(const std::string& program);
/// Whether bubblewrap (bwrap) is installed and can make a sandbox here (user namespaces allowed).
bool bubblewrap_starts();

/// Runs argv (no shell) with extra environment variables set, stdin from `input`, in `working_dir`
/// (empty: the test's), and waits.
ProcessOutput run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          const std::string& input = "", const std::filesystem::path& working_dir = {});

}  // namespace vigil::test
