#pragma once

#include <string>

#include "bot/base/error.h"

namespace vigil {

/// One process per SQLite file. A process that drives runs (`vigil serve`, `vigil skills run`,
/// `vigil triage`) holds an exclusive lock on "<database>.lock" for its lifetime, with its pid in
/// the file; a second one is refused with the holder's pid instead of marking the first one's live
/// runs interrupted. The kernel drops the lock when the holder dies, even by SIGKILL, so a crash
/// never leaves it behind. Commands that only read the database take no lock.
class DatabaseLock {
 public:
  /// Takes the lock next to `database` (nothing for ":memory:"); an error naming the holder's pid
  /// when another process has it.
  static Result<DatabaseLock> acquire(const std::string& database);

  DatabaseLock(DatabaseLock&& other) noexcept;
  DatabaseLock& operator=(DatabaseLock&& other) noexcept;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

 private:
  explicit DatabaseLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace vigil
