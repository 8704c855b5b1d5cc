#pragma once

// Private to bot/core/config*.cpp: what reading a configuration file shares between its steps
// (read the YAML sections, resolve paths, apply the environment, check). The public face is config.h.

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bot/core/config.h"

namespace vigil::config_detail {

inline const std::vector<std::string> kBackends = {"runbook", "claude-code", "codex", "gemini", "command"};
inline const std::vector<std::string> kRisks = {"low", "medium", "high"};

/// A relative path read from a configuration file is relative to the file's folder.
std::string relative_to(const std::filesystem::path& folder, const std::string& path);
bool is_http_url(const std::string& url);
/// host:port with a port from 0 to 65535.
bool valid_listen_address(const std::string& addr);

/// Walks the YAML tree, converting values and collecting every problem with its mark.
class ConfigReader {
 public:
  ConfigReader(std::string file, ConfigLoad& out) : file_(std::move(file)), out_(out) {}

  void error(const YAML::Node& node, const std::string& key, const std::string& message);
  void warning(const YAML::Node& node, const std::string& key, const std::string& message);

  /// Checks `node` is a map and warns on keys not in `known`.
  bool check_map(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known);

  void read_string(const YAML::Node& map, const std::string& path, const char* key, std::string& out);
  void read_int(const YAML::Node& map, const std::string& path, const char* key, long long min, long long max,
                long long& out);
  void read_int(const YAML::Node& map, const std::string& path, const char* key, long long min, long long max,
                int& out);
  void read_bool(const YAML::Node& map, const std::string& path, const char* key, bool& out);
  void read_duration(const YAML::Node& map, const std::string& path, const char* key, std::chrono::seconds min,
                     std::chrono::seconds& out);
  void read_list(const YAML::Node& map, const std::string& path, const char* key, std::vector<std::string>& out);
  void read_enum(const YAML::Node& map, const std::string& path, const char* key,
                 const std::vector<std::string>& allowed, std::string& out);
  /// A secret may not be written inline: it comes from the environment or a file named here.
  void refuse_inline_secret(const YAML::Node& map, const std::string& path, const char* key,
                            const std::string& env_name, const std::string& file_key);
  /// Reads the secret file named under `key` (if any) into `value`.
  void read_secret_file(const YAML::Node& map, const std::string& path, const char* key, std::string& file_out,
                        std::string& value);

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  const std::string& file() const { return file_; }

 private:
  ConfigDiagnostic make(const YAML::Node& node, const std::string& key, const std::string& message) const;

  std::string file_;
  ConfigLoad& out_;
};

/// Where the keys are whose checks depend on the environment (a token may come from there), so
/// those errors still point at the file after the environment was applied.
struct DeferredMarks {
  std::map<std::string, YAML::Mark> at;  // dotted key → mark

  void keep(const YAML::Node& node, const std::string& key) {
    if (node) {
      at[key] = node.Mark();
    }
  }
  const YAML::Mark* find(const std::string& key) const {
    const auto it = at.find(key);
    return it == at.end() ? nullptr : &it->second;
  }
  /// A diagnostic at `mark_key`'s place in `file` (no line when the key was not written there).
  ConfigDiagnostic diagnostic(const std::string& file, const std::string& mark_key, const std::string& key,
                              const std::string& message) const {
    ConfigDiagnostic d;
    d.file = file;
    if (const auto* m = find(mark_key); m && !m->is_null()) {
      d.line = m->line + 1;
      d.column = m->column + 1;
    }
    d.key = key;
    d.message = message;
    return d;
  }
};

// The steps of load_config_text, in order.

/// Reads every section of the document into `c` (config_read.cpp).
void read_document(const YAML::Node& root, ConfigReader& r, Config& c, DeferredMarks& marks);
/// Relative paths in the file, and the relative default database, are relative to the file's folder
/// (the working directory without a file); without skills.dirs in the file, the skills shipped with
/// Vigil (config_environment.cpp).
void resolve_paths(const std::filesystem::path& folder, Config& c);
/// Secrets and overrides from the environment (config_environment.cpp).
void apply_environment(const Environment& env, ConfigLoad& load);
/// Checks that need the environment applied first: errors at the key that needs a token
/// (config_check.cpp).
void check_paging(const DeferredMarks& marks, const std::string& file, ConfigLoad& load);
/// Files and folders named that are not there, settings that cannot work: warnings (config_check.cpp).
void check_references(const DeferredMarks& marks, const std::string& file, ConfigLoad& load);
/// agent.read_only_paths that would bind Vigil's database, secrets or remediation kubeconfig: errors.
void check_sandbox_binds(const DeferredMarks& marks, const std::string& file, ConfigLoad& load);

}  // namespace vigil::config_detail
