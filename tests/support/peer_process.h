#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_paths.h"

namespace vigil::test {

/// The first of `names` found on PATH (Debian names some programs differently), or nullopt.
std::optional<std::filesystem::path> find_program(const std::vector<std::string>& names);

/// A loopback port that was free a moment ago, for a peer that cannot report the port it took.
unsigned short free_loopback_port();

/// A real program the suite runs Vigil against (Alertmanager, …): started with argv (no shell),
/// stdout and stderr to `log_path`, stopped with SIGTERM (then SIGKILL) when it goes away.
class PeerProcess {
 public:
  PeerProcess(std::vector<std::string> argv, std::filesystem::path log_path);
  ~PeerProcess();
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  bool running() const { return pid_ > 0; }
  /// Its output so far (for failure messages).
  std::string log() const;
  /// SIGTERM, then SIGKILL after `grace`; the exit code (or 128 + signal).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
};

/// Debian's prometheus-alertmanager on a loopback port with its own temporary configuration and
/// storage, clustering off (a single node), and amtool pointed at it.
class AlertmanagerPeer {
 public:
  /// Nullopt with the reason when Alertmanager or amtool is not installed.
  static std::optional<std::string> missing();

  /// `config_yaml` is the whole alertmanager.yml; `templates` are copied beside it by file name.
  explicit AlertmanagerPeer(const std::string& config_yaml, const std::vector<std::filesystem::path>& templates = {});
  /// Waits until /-/ready answers 200.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  unsigned short port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT (also its --web.external-url)
  std::string log() const { return process_->log(); }
  /// amtool --alertmanager.url=<url> args…
  ProcessOutput amtool(const std::vector<std::string>& args) const;
  /// Fires (or, with `resolved`, resolves now) an alert with these labels through amtool.
  ProcessOutput alert(const std::vector<std::string>& labels, bool resolved = false,
                      const std::vector<std::string>& annotations = {}) const;

 private:
  TempDir dir_;
  unsigned short port_ = 0;
  std::unique_ptr<PeerProcess> process_;
};

}  // namespace vigil::test
