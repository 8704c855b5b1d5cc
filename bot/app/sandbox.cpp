#include "bot/app/sandbox.h"

#include <fstream>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/app/sandbox_database.h"
#include "bot/app/sandbox_web.h"
#include "bot/base/embedded_files.h"
#include "bot/base/ids.h"
#include "integrations/slack/emulator/slack_emulator.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIncidents = "C222";  // the emulator's #incidents
constexpr const char* kRandom = "C111";     // and #random
constexpr const char* kAlertBot = "B0ALERTMANAGER";

struct DemoPerson {
  const char* id;
  const char* name;
  const char* role;
  bool approver;
};
constexpr DemoPerson kPeople[] = {
    // Slack-shaped ids (9+ characters), so cards mention them as people.
    {"U0DEMOALEX", "alex", "on call, approver", true},
    {"U0DEMOSAM", "sam", "approver", true},
    {"U0DEMOJORDAN", "jordan", "not an approver", false},
};

// Token-shaped values made at run time: the emulator checks the prefixes, nothing else.
std::string fake_token(const std::string& prefix) {
  std::random_device rd;
  std::string digits;
  for (int i = 0; i < 12; ++i) {
    digits += static_cast<char>('0' + rd() % 10);
  }
  return prefix + digits + "-" + random_hex(16);
}

Result<void> write_file(const fs::path& path, std::string_view data, fs::perms perms) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return make_error(Errc::Io, path.parent_path().string() + ": " + ec.message());
  }
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) {
      return make_error(Errc::Io, "cannot write " + tmp);
    }
  }
  fs::permissions(tmp, perms, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    return make_error(Errc::Io, "cannot write " + path.string() + ": " + ec.message());
  }
  return {};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)), log_(null_logger("sandbox")) {}

Sandbox::~Sandbox() {
  stop();
}

void Sandbox::stop() {
  if (web_) {
    web_->stop();
  }
  if (emulator_) {
    emulator_->stop();
  }
}

std::string Sandbox::page_url() const {
  return web_ ? web_->url() : std::string();
}

Result<void> Sandbox::prepare(Config& config) {
  // Never production rows: only a database the sandbox created itself.
  if (auto claimed = claim_sandbox_database(config.storage.database); !claimed) {
    return claimed.error();
  }
  // The state lives next to the database (.vigil/ under `make run`).
  std::error_code ec;
  const auto db = fs::absolute(config.storage.database, ec);
  const auto state_dir = (db.has_parent_path() ? db.parent_path() : fs::current_path()) / "vigil-sandbox";
  demo_dir_ = state_dir / "demo-cluster";
  const auto files = embedded_files("demo/");
  if (files.empty()) {
    return make_error(Errc::Io, "this vigil binary has no demo cluster compiled in");
  }
  for (const auto& f : files) {
    const fs::path rel(std::string(f.name.substr(5)));
    const auto perms = rel == "kubectl" ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write;
    if (auto written = write_file(demo_dir_ / rel, f.data, perms); !written) {
      return written.error();
    }
  }
  fs::create_directories(demo_dir_ / "state", ec);
  fs::permissions(state_dir, fs::perms::owner_all, ec);

  slack::EmulatorOptions eo;
  emulator_ = std::make_unique<slack::SlackEmulator>(eo);
  emulator_->add_channel(kIncidents, "incidents");
  emulator_->add_channel(kRandom, "random");
  for (const auto& p : kPeople) {
    emulator_->add_user(p.id, p.name, std::string(p.name) + "@demo.invalid");
  }
  emulator_->start();

  // The prefixes are assembled so that no token-shaped literal sits in the source.
  config.slack.app_token = fake_token(std::string("xa") + "pp-1-A0VIGIL-");
  config.slack.bot_token = fake_token(std::string("xo") + "xb-");
  config.slack.api_url = emulator_->api_url();
  ChannelBinding incidents;
  incidents.id = kIncidents;
  incidents.backend = "runbook";
  incidents.auto_triage = true;
  incidents.alert_bots = {kAlertBot};
  config.channels = {incidents};
  config.approvals.users.clear();
  config.approvals.groups.clear();
  for (const auto& p : kPeople) {
    if (p.approver) {
      config.approvals.users.emplace_back(p.id);
    }
  }
  config.approvals.allow_self_approval = false;
  config.agent.backend = "runbook";  // no agent CLI needed
  if (!fs::is_directory(config.agent.workspace_root, ec)) {
    config.agent.workspace_root = (state_dir / "workspaces").string();
    fs::create_directories(config.agent.workspace_root, ec);
    fs::permissions(config.agent.workspace_root, fs::perms::owner_all, ec);
  }
  config.kubernetes.enabled = true;
  config.kubernetes.kubectl = (demo_dir_ / "kubectl").string();
  config.kubernetes.read_only_kubeconfig = (demo_dir_ / "kubeconfig-read-only.yaml").string();
  config.kubernetes.remediation_kubeconfig = (demo_dir_ / "kubeconfig-remediation.yaml").string();
  config.kubernetes.cluster = "demo";
  config.http.alert_channel = kIncidents;
  return {};
}

Result<void> Sandbox::open_page(const Logging& logging) {
  log_ = logging.make("sandbox");
  SandboxWebOptions wo;
  wo.listen = options_.listen;
  wo.banner =
      "Sandbox: a local Slack emulator and a DEMO cluster (kubectl answers from bundled demo data; "
      "nothing here touches a real cluster or workspace).";
  for (const auto& p : kPeople) {
    wo.users.push_back({p.id, p.name, p.role});
  }
  wo.default_channel = kIncidents;
  web_ = std::make_unique<SandboxWeb>(*emulator_, wo, logging.make("sandbox.web"));
  web_->add_action("demo-alert", "Fire a demo alert", [this] { return fire_alert(); });
  web_->every(std::chrono::milliseconds(500), [this] { check_resolved(); });
  if (auto started = web_->start(); !started) {
    const auto message =
        listen_failure_message(options_.listen, started.error(), "--sandbox=127.0.0.1:PORT or VIGIL_SANDBOX_ADDR");
    return make_error(Errc::InvalidConfig, "the sandbox page " + message);
  }
  return {};
}

void Sandbox::announce() {
  auto url = web_ ? web_->url() : std::string();
  if (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  std::cout << "Sandbox: open " << url << "\n"
            << "  A local Slack emulator and a DEMO cluster: press \"Fire a demo alert\" on the page.\n"
            << "  Set SLACK_APP_TOKEN and SLACK_BOT_TOKEN to serve your Slack workspace instead.\n"
            << std::flush;
  log_->info("Sandbox: open {} (Slack emulator on 127.0.0.1:{}, demo cluster in {})", url, emulator_->port(),
             demo_dir_.string());
}

std::string Sandbox::cluster_state() const {
  return read_text(demo_dir_ / "state" / "checkout");
}

Result<void> Sandbox::post_alert(const std::string& file) {
  const auto text = embedded_file("demo/alerts/" + file);
  if (!text) {
    return make_error(Errc::NotFound, "no demo alert " + file);
  }
  const auto message = nlohmann::json::parse(*text, nullptr, false);
  if (message.is_discarded()) {
    return make_error(Errc::InvalidInput, "demo alert " + file + " is not JSON");
  }
  auto sent = web_->post_as_bot(kIncidents, message);
  if (!sent) {
    return sent.error();
  }
  return {};
}

Result<std::string> Sandbox::fire_alert() {
  // The demo cluster breaks again, as it did before the first alert.
  if (auto w =
          write_file(demo_dir_ / "state" / "checkout", "crashloop\n", fs::perms::owner_read | fs::perms::owner_write);
      !w) {
    return w.error();
  }
  if (auto w = write_file(demo_dir_ / "state" / "alert", "firing\n", fs::perms::owner_read | fs::perms::owner_write);
      !w) {
    return w.error();
  }
  healthy_since_ = {};
  if (auto posted = post_alert("firing.json"); !posted) {
    return posted.error();
  }
  log_->info("demo alert fired: KubePodCrashLooping for demo/checkout in #incidents");
  return std::string("Demo alert posted in #incidents: KubePodCrashLooping, pod demo/checkout-7d9f8b6c5-x2x9k");
}

void Sandbox::check_resolved() {
  if (read_text(demo_dir_ / "state" / "alert") != "firing") {
    return;
  }
  if (cluster_state() != "healthy") {
    healthy_since_ = {};
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (healthy_since_ == std::chrono::steady_clock::time_point{}) {
    healthy_since_ = now;
    return;
  }
  if (now - healthy_since_ < options_.resolve_after) {
    return;
  }
  // Like Alertmanager: the condition has cleared for a while, so the alert resolves.
  if (auto w = write_file(demo_dir_ / "state" / "alert", "resolved\n", fs::perms::owner_read | fs::perms::owner_write);
      !w) {
    log_->error("demo alert: {}", w.error().detail);
    return;
  }
  if (auto posted = post_alert("resolved.json"); !posted) {
    log_->error("demo alert: {}", posted.error().detail);
    return;
  }
  log_->info("demo alert resolved: the demo pods are healthy");
}

}  // namespace vigil
