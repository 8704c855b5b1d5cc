#include "bot/core/workspace_retention.h"

#include <sys/stat.h>

#include <algorithm>

#include "bot/base/ids.h"
#include "bot/store/store.h"
#include "integrations/agents/workspace.h"

namespace vigil {

RetentionReport prune_workspaces(const std::filesystem::path& root, Store& store, const RetentionConfig& policy,
                                 long long now) {
  namespace fs = std::filesystem;
  struct Entry {
    fs::path dir;
    std::string run_id;
    std::uintmax_t bytes = 0;
    long long finished = 0;
    bool finished_run = false;
  };
  RetentionReport report;
  std::vector<Entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    std::error_code sec;
    if (!is_uuid(name) || !fs::is_directory(it->symlink_status(sec))) {
      continue;
    }
    Entry e{it->path(), name, agents::Workspace::size_bytes(it->path()), 0, false};
    report.bytes_before += e.bytes;
    const auto run = store.get_run(name);
    if (run && is_terminal(run->state)) {
      e.finished_run = true;
      e.finished = run->finished_at.value_or(run->created_at);
      const int days = run->state == RunState::Succeeded ? policy.succeeded_days : policy.failed_days;
      if (now - e.finished >= static_cast<long long>(days) * 86400) {
        fs::remove_all(e.dir, sec);
        ++report.deleted;
        report.deleted_runs.push_back(name);
        continue;
      }
    } else if (!run) {
      // A workspace without a run row (a crash between creating both): judged by its age.
      struct stat st {};
      if (::lstat(e.dir.c_str(), &st) == 0) {
        e.finished_run = true;
        e.finished = st.st_mtime;
        if (now - e.finished >= static_cast<long long>(policy.failed_days) * 86400) {
          fs::remove_all(e.dir, sec);
          ++report.deleted;
          report.deleted_runs.push_back(name);
          continue;
        }
      }
    }
    entries.push_back(std::move(e));
  }
  std::uintmax_t total = 0;
  for (const auto& e : entries) {
    total += e.bytes;
  }
  // Over the cap: the oldest finished workspaces go first.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.finished < b.finished; });
  for (auto& e : entries) {
    if (total <= static_cast<std::uintmax_t>(policy.max_total_bytes)) {
      break;
    }
    if (!e.finished_run) {
      continue;
    }
    std::error_code sec;
    fs::remove_all(e.dir, sec);
    total -= e.bytes;
    e.bytes = 0;
    ++report.deleted;
    report.deleted_runs.push_back(e.run_id);
  }
  report.kept =
      static_cast<int>(entries.size()) -
      static_cast<int>(std::count_if(entries.begin(), entries.end(), [&](const Entry& e) {
        return std::find(report.deleted_runs.begin(), report.deleted_runs.end(), e.run_id) != report.deleted_runs.end();
      }));
  report.bytes_after = total;
  return report;
}

}  // namespace vigil
