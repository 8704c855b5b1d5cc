#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "bot/base/error.h"
#include "bot/base/logging.h"
#include "bot/core/config.h"

namespace vigil {

namespace slack {
class SlackEmulator;
}  // namespace slack
class SandboxWeb;

struct SandboxOptions {
  std::string listen = "127.0.0.1:8080";  // the page; loopback unless told otherwise
  /// How long the demo pods must be healthy before the demo Alertmanager sends "resolved".
  std::chrono::milliseconds resolve_after{3'000};
};

/// `vigil serve` without Slack tokens: Vigil against the in-process Slack emulator, with the
/// sandbox page (bot/app/sandbox_web.h) and a DEMO cluster (deploy/sandbox/,
/// compiled in and written to <database folder>/vigil-sandbox/demo-cluster/).
///
/// prepare() starts the emulator and points the configuration at it and at the demo cluster:
/// fake tokens made at run time, #incidents bound with auto_triage and the demo Alertmanager as
/// its alert bot, demo approvers (alex, sam; jordan is not one), the runbook backend, the demo
/// kubectl with a read-only and a remediation kubeconfig. open_page() serves the page; announce()
/// prints its address. The page's "Fire a demo alert" puts the demo cluster back into crash-looping and
/// posts the alert; once the pods have been healthy for resolve_after, the demo Alertmanager
/// posts "[RESOLVED]".
class Sandbox {
 public:
  explicit Sandbox(SandboxOptions options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  /// Refuses (InvalidConfig) a database the sandbox did not create (bot/app/sandbox_database.h).
  Result<void> prepare(Config& config);
  /// Binds the page's listener and serves it; prints nothing (see announce()).
  Result<void> open_page(const Logging& logging);
  /// Prints "Sandbox: open http://…" to stdout and the log. Called once every listener of `vigil
  /// serve` is bound, so an address is never shown for a process about to exit on a port conflict.
  void announce();
  void stop();

  const std::filesystem::path& demo_dir() const { return demo_dir_; }
  std::string page_url() const;

 private:
  Result<std::string> fire_alert();
  void check_resolved();
  std::string cluster_state() const;
  Result<void> post_alert(const std::string& file);

  SandboxOptions options_;
  std::unique_ptr<slack::SlackEmulator> emulator_;
  std::unique_ptr<SandboxWeb> web_;
  std::filesystem::path demo_dir_;
  Logger log_;
  std::chrono::steady_clock::time_point healthy_since_{};
};

}  // namespace vigil
