#include "tests/support/peer_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "tests/support/raw_http.h"
#include "tests/support/vigil_process.h"

extern char** environ;

namespace vigil::test {

std::optional<std::filesystem::path> find_program(const std::vector<std::string>& names) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::vector<std::string> list;
  for (std::string dir; std::getline(dirs, dir, ':');) {
    list.push_back(dir.empty() ? "." : dir);
  }
  for (const auto& name : names) {
    for (const auto& dir : list) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

unsigned short free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  unsigned short port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return port;
}

PeerProcess::PeerProcess(std::vector<std::string> argv, std::filesystem::path log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // no inherited sockets (see vigil_process.cpp)
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
    pid_ = pid;
  }
  posix_spawn_file_actions_destroy(&actions);
}

PeerProcess::~PeerProcess() {
  stop();
}

std::string PeerProcess::log() const {
  try {
    return read_file(log_path_);
  } catch (const std::exception&) {
    return "(no log)";
  }
}

int PeerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  const int code = wait_exit(pid_, grace);
  pid_ = -1;
  return code;
}

std::optional<std::string> AlertmanagerPeer::missing() {
  if (!find_program({"prometheus-alertmanager", "alertmanager"})) {
    return "Alertmanager is not installed (Debian package prometheus-alertmanager; scripts/bootstrap.sh peers installs "
           "it)";
  }
  if (!find_program({"amtool"})) {
    return "amtool is not installed (Debian package prometheus-alertmanager)";
  }
  return std::nullopt;
}

AlertmanagerPeer::AlertmanagerPeer(const std::string& config_yaml,
                                   const std::vector<std::filesystem::path>& templates) {
  for (const auto& t : templates) {
    write_file(dir_ / t.filename().string(), read_file(t));
  }
  write_file(dir_ / "alertmanager.yml", config_yaml);
  port_ = free_loopback_port();
  const auto binary = find_program({"prometheus-alertmanager", "alertmanager"});
  process_ = std::make_unique<PeerProcess>(
      std::vector<std::string>{binary ? binary->string() : "prometheus-alertmanager",
                               "--config.file=" + (dir_ / "alertmanager.yml").string(),
                               "--storage.path=" + (dir_ / "data").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--web.external-url=" + url(),
                               "--cluster.listen-address=", "--log.level=debug"},
      dir_ / "alertmanager.log");
}

std::string AlertmanagerPeer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

bool AlertmanagerPeer::wait_ready(std::chrono::milliseconds timeout) {
  return process_->running() &&
         eventually(
             [&] { return raw_http(port_, http_request("GET", "/-/ready"), std::chrono::seconds(1)).status == 200; },
             timeout);
}

ProcessOutput AlertmanagerPeer::amtool(const std::vector<std::string>& args) const {
  const auto binary = find_program({"amtool"});
  std::vector<std::string> argv{binary ? binary->string() : "amtool", "--alertmanager.url=" + url()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

ProcessOutput AlertmanagerPeer::alert(const std::vector<std::string>& labels, bool resolved,
                                      const std::vector<std::string>& annotations) const {
  std::vector<std::string> args{"alert", "add"};
  args.insert(args.end(), labels.begin(), labels.end());
  for (const auto& a : annotations) {
    args.push_back("--annotation=" + a);
  }
  if (resolved) {
    // An alert whose end is now: Alertmanager resolves it and, with send_resolved, says so.
    char now[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    args.push_back(std::string("--end=") + now);
  }
  return amtool(args);
}

}  // namespace vigil::test
