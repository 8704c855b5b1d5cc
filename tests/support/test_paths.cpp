#include "tests/support/test_paths.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace vigil::test {

std::filesystem::path fixtures_dir() {
  return VIGIL_FIXTURES_DIR;
}
std::filesystem::path test_data_dir() {
  return VIGIL_TEST_DATA_DIR;
}
std::filesystem::path shipped_skills_dir() {
  return test_data_dir().parent_path() / "skills" / "runbooks";
}
std::filesystem::path vigil_binary() {
  return VIGIL_BINARY;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + p.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
}

TempDir::TempDir() {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto candidate = base / ("vigil-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

void drain(int fd, std::string& out) {
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::optional<std::filesystem::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path == nullptr ? "" : path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    const std::filesystem::path dir = dirs.substr(start, end - start);
    start = end + 1;
    if (dir.empty()) {
      continue;
    }
    const auto candidate = dir / program;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

ProcessOutput run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env, const std::string& input,
                          const std::filesystem::path& working_dir) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe(in_pipe) || ::pipe(out_pipe) || ::pipe(err_pipe)) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      ::close(fd);
    }
    for (const auto& [k, v] : env) {
      ::setenv(k.c_str(), v.c_str(), 1);
    }
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) {
      ::_exit(126);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    ::close_range(3, ~0U, 0);  // no inherited sockets (see vigil_process.cpp)
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::thread writer([fd = in_pipe[1], input] {
    std::size_t off = 0;
    while (off < input.size()) {
      const auto n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0) {
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  ProcessOutput result;
  std::thread err_reader([&] { drain(err_pipe[0], result.err); });
  drain(out_pipe[0], result.out);
  err_reader.join();
  writer.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool bubblewrap_starts() {
  const auto bwrap = find_on_path("bwrap");
  return bwrap &&
         run_process({bwrap->string(), "--unshare-all", "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/bin", "/bin",
                      "--ro-bind-try", "/lib", "/lib", "--ro-bind-try", "/lib64", "/lib64", "--", "/bin/true"})
                 .exit_code == 0;
}

}  // namespace vigil::test
