#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bot/core/config.h"

namespace vigil {

class Store;

struct RetentionReport {
  int kept = 0;
  int deleted = 0;
  std::uintmax_t bytes_before = 0;
  std::uintmax_t bytes_after = 0;
  std::vector<std::string> deleted_runs;
};

/// Deletes run workspaces under `root` by the retention policy: succeeded runs after
/// `succeeded_days`, failed, timed-out, cancelled and interrupted ones after `failed_days`, then the
/// oldest finished ones until the total is under `max_total_bytes`. A workspace whose run is still
/// queued, running or waiting for approval is never touched; folders that are not run UUIDs are
/// left alone; symlinks are never followed.
RetentionReport prune_workspaces(const std::filesystem::path& root, Store& store, const RetentionConfig& policy,
                                 long long now);

}  // namespace vigil
