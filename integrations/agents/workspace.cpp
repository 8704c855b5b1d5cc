#include "integrations/agents/workspace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bot/base/ids.h"
#include "bot/base/untrusted_json.h"

namespace vigil::agents {
namespace fs = std::filesystem;

Result<void> ensure_private_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::Io, "cannot create " + p.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(Errc::Io, p.string() + " is not a directory (symlinks are refused)");
  }
  if ((st.st_mode & 0777) != 0700) {
    ::chmod(p.c_str(), 0700);
  }
  return {};
}

namespace {

// Reads at most `cap` bytes of a regular file that is not a symlink, in the folder open as `dir_fd`
// (so a folder swapped for a symlink after it was opened changes nothing).
Result<std::pair<std::string, bool>> read_regular_capped(int dir_fd, const fs::path& p, std::size_t cap) {
  const int fd = ::openat(dir_fd, p.filename().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return make_error(Errc::NotFound, p.filename().string() + " is missing");
    }
    if (errno == ELOOP) {
      return make_error(Errc::Forbidden, p.filename().string() + " is a symlink; refused");
    }
    return make_error(Errc::Io, p.filename().string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::Forbidden, p.filename().string() + " is not a regular file; refused");
  }
  std::string out;
  out.resize(cap + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    const auto n = ::read(fd, out.data() + got, out.size() - got);
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  const bool truncated = got > cap;
  out.resize(std::min(got, cap));
  return std::make_pair(std::move(out), truncated);
}

std::string scalar_to_string(const nlohmann::json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_boolean()) {
    return v.get<bool>() ? "true" : "false";
  }
  if (v.is_number_integer()) {
    return std::to_string(v.get<long long>());
  }
  return v.dump();
}

}  // namespace

Result<void> write_private_file(const fs::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::Io, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  std::size_t off = 0;
  while (off < content.size()) {
    const auto n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      return make_error(Errc::Io, "short write to " + path.string());
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

Result<fs::path> Workspace::path_for(const fs::path& root, const std::string& run_id) {
  if (!is_uuid(run_id)) {
    return make_error(Errc::InvalidInput, "run id '" + run_id.substr(0, 64) + "' is not a UUID");
  }
  if (root.empty() || !root.is_absolute()) {
    return make_error(Errc::InvalidConfig, "workspace_root must be an absolute path");
  }
  std::error_code ec;
  const auto canonical_root = fs::weakly_canonical(root, ec);
  if (ec) {
    return make_error(Errc::Io, "workspace_root: " + ec.message());
  }
  const auto dir = canonical_root / run_id;
  if (dir.parent_path() != canonical_root) {
    return make_error(Errc::Forbidden, "workspace path escapes workspace_root");
  }
  return dir;
}

Result<Workspace> Workspace::create(const fs::path& root, const std::string& run_id, const WorkspaceInputs& in,
                                    const Redactor& redactor) {
  auto dir = path_for(root, run_id);
  if (!dir) {
    return dir.error();
  }
  std::error_code ec;
  fs::create_directories(dir->parent_path(), ec);
  if (ec) {
    return make_error(Errc::Io, "cannot create workspace_root: " + ec.message());
  }
  // The root too: 0700 whatever the umask, so no other user lists the runs or reads into them.
  if (auto r = ensure_private_dir(dir->parent_path()); !r) {
    return r.error();
  }
  for (const auto& sub :
       {*dir, *dir / "context", *dir / "context" / "knowledge", *dir / "output", *dir / "output" / "artifacts"}) {
    if (auto r = ensure_private_dir(sub); !r) {
      return r.error();
    }
  }
  auto dump = [&](const nlohmann::json& j) {
    return redactor.redact(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
  };
  const std::vector<std::pair<fs::path, std::string>> files = {
      {*dir / "context" / "incident.json", dump(in.incident)},
      {*dir / "context" / "event.json", dump(in.event)},
      {*dir / "context" / "system-instructions.txt", redactor.redact(in.system_instructions)},
      {*dir / "PROMPT.md", redactor.redact(in.prompt)},
  };
  for (const auto& [path, content] : files) {
    if (auto r = write_private_file(path, content); !r) {
      return r.error();
    }
  }
  for (const auto& [name, content] : in.knowledge) {
    const fs::path leaf = fs::path(name).filename();
    if (leaf.empty() || leaf == "." || leaf == "..") {
      continue;
    }
    if (auto r = write_private_file(*dir / "context" / "knowledge" / leaf, redactor.redact(content)); !r) {
      return r.error();
    }
  }
  return Workspace(*dir);
}

Result<Workspace> Workspace::open(const fs::path& root, const std::string& run_id) {
  auto dir = path_for(root, run_id);
  if (!dir) {
    return dir.error();
  }
  struct stat st {};
  if (::lstat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(Errc::NotFound, "no workspace for run " + run_id);
  }
  return Workspace(*dir);
}

std::uintmax_t Workspace::size_bytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    const auto st = it->symlink_status(sec);
    if (!sec && fs::is_regular_file(st)) {
      total += it->file_size(sec);
    }
  }
  return total;
}

namespace {

void collect_summary(int output_fd, const fs::path& output, WorkspaceOutput& out) {
  if (auto s = read_regular_capped(output_fd, output / "summary.md", Workspace::kMaxSummaryBytes)) {
    out.summary = std::move(s->first);
    out.summary_truncated = s->second;
  } else if (!s.error().is(Errc::NotFound)) {
    out.proposal_errors.push_back(s.error().detail);
  }
}

// Entry `i` (from 0) of proposals.json; none, with the reason in `errors`, when it is unusable.
std::optional<AgentProposal> read_proposal(const nlohmann::json& e, std::size_t i, std::vector<std::string>& errors) {
  const std::string where = "proposal " + std::to_string(i + 1);
  if (!e.is_object() || !e.contains("skill") || !e["skill"].is_string()) {
    errors.push_back(where + ": needs a \"skill\" string");
    return std::nullopt;
  }
  AgentProposal prop;
  prop.skill = e["skill"].get<std::string>();
  if (e.contains("reason") && e["reason"].is_string()) {
    prop.reason = e["reason"].get<std::string>();
  }
  if (e.contains("params")) {
    if (!e["params"].is_object()) {
      errors.push_back(where + ": \"params\" must be an object");
      return std::nullopt;
    }
    for (const auto& [k, v] : e["params"].items()) {
      if (v.is_object() || v.is_array() || v.is_null()) {
        errors.push_back(where + ": parameter " + k + " must be a scalar");
        return std::nullopt;
      }
      prop.params.emplace_back(k, scalar_to_string(v));
    }
  }
  return prop;
}

void collect_proposals(int output_fd, const fs::path& output, WorkspaceOutput& out) {
  auto p = read_regular_capped(output_fd, output / "proposals.json", Workspace::kMaxProposalsBytes);
  if (!p) {
    if (!p.error().is(Errc::NotFound)) {
      out.proposal_errors.push_back(p.error().detail);
    }
    return;
  }
  if (p->second) {
    out.proposal_errors.push_back("proposals.json is larger than 256 KiB; ignored");
    return;
  }
  // Agent output: a deep nest would overflow the stack when the document is destroyed.
  const bool shallow = json_depth_within(p->first);
  const auto j = shallow ? nlohmann::json::parse(p->first, nullptr, false) : nlohmann::json();
  if (!shallow) {
    out.proposal_errors.push_back("proposals.json nests deeper than " + std::to_string(kMaxJsonDepth) +
                                  " levels; ignored");
  } else if (j.is_discarded() || !j.is_array()) {
    out.proposal_errors.push_back("proposals.json is not a JSON list");
  } else {
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (auto prop = read_proposal(j[i], i, out.proposal_errors)) {
        out.proposals.push_back(std::move(*prop));
      }
    }
  }
}

// Regular files under output/artifacts; symlinks (not followed) and other kinds of file are refused.
void collect_artifacts(const fs::path& output, WorkspaceOutput& out) {
  const auto artifacts = output / "artifacts";
  struct stat st {};
  if (::lstat(artifacts.c_str(), &st) != 0) {
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    out.rejected_artifacts.push_back("artifacts (not a directory)");
    return;
  }
  std::error_code ec;
  for (fs::recursive_directory_iterator it(artifacts, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto rel = fs::relative(it->path(), artifacts, ec).string();
    std::error_code sec;
    const auto s = it->symlink_status(sec);
    if (fs::is_symlink(s)) {
      out.rejected_artifacts.push_back(rel + " (symlink)");
      it.disable_recursion_pending();
    } else if (fs::is_regular_file(s)) {
      out.artifacts.push_back(rel);
    } else if (!fs::is_directory(s)) {
      out.rejected_artifacts.push_back(rel + " (not a regular file)");
    }
  }
}

}  // namespace

WorkspaceOutput Workspace::collect() const {
  WorkspaceOutput out;
  const auto output = output_dir();
  // The agent owns output/: it may have replaced the folder with a symlink to something of Vigil's.
  const int output_fd = ::open(output.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (output_fd < 0) {
    if (errno != ENOENT) {
      out.proposal_errors.push_back(errno == ELOOP || errno == ENOTDIR
                                        ? "output is not a folder (a symlink?); refused"
                                        : std::string("output: ") + std::strerror(errno));
    }
    return out;
  }
  collect_summary(output_fd, output, out);
  collect_proposals(output_fd, output, out);
  ::close(output_fd);
  collect_artifacts(output, out);
  return out;
}

}  // namespace vigil::agents
