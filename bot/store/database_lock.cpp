#include "bot/store/database_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vigil {
namespace {

// The pid the holder wrote, as text ("" when unreadable).
std::string holder_of(int fd) {
  char buf[32] = {};
  const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
    pid.pop_back();
  }
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : "";
}

}  // namespace

Result<DatabaseLock> DatabaseLock::acquire(const std::string& database) {
  if (database.empty() || database == ":memory:") {
    return DatabaseLock(-1);
  }
  const std::string path = database + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(Errc::Io, "cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = holder_of(fd);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return make_error(Errc::Io, "cannot lock " + path + ": " + std::strerror(err));
    }
    return make_error(Errc::Conflict, "the database " + database + " is in use by another Vigil process" +
                                          (holder.empty() ? std::string() : " (pid " + holder + ")") +
                                          ": one process per SQLite file, or the two would mark each other's live "
                                          "runs interrupted. Stop that one first, or give this one another "
                                          "storage.database");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; a refused process just cannot name the holder.
  }
  return DatabaseLock(fd);
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

DatabaseLock& DatabaseLock::operator=(DatabaseLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the lock; the file stays (a stale pid in it means nothing unlocked)
  }
}

}  // namespace vigil
