#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/task.h"

namespace vigil {

namespace slack {
class WebApi;
}

/// Who is in a Slack user group, cached briefly (usergroups.users.list is rate-limited and a click
/// must be answered within Slack's 3 seconds). A failed lookup is an error, never "nobody" or
/// "everybody": the click is refused and the card stays.
class ApproverDirectory {
 public:
  ApproverDirectory(slack::WebApi& web, Clock& clock, std::chrono::seconds ttl = std::chrono::minutes(5));

  Task<Result<bool>> is_member(const std::string& group, const std::string& user);
  /// Forgets cached memberships (tests, and after a group change was reported).
  void clear() { cache_.clear(); }

 private:
  struct Entry {
    std::vector<std::string> members;
    std::chrono::system_clock::time_point fetched;
  };
  slack::WebApi& web_;
  Clock& clock_;
  std::chrono::seconds ttl_;
  std::map<std::string, Entry> cache_;
};

}  // namespace vigil
