#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "bot/base/clock.h"
#include "bot/base/task.h"

namespace vigil {

namespace slack {
class WebApi;
}

/// Slack user id (U…, W…) → the name people know them by.
using PeopleNames = std::map<std::string, std::string>;

/// Whether `text` is shaped like a Slack user id: U or W, then 5 or more capitals and digits with at
/// least one digit (U0DEMOALEX, W012A3CDE), so ordinary upper-case words are not taken for one.
bool looks_like_user_id(std::string_view text);
/// Every user-id-shaped word in `text` (bare, or inside a <@U…> mention).
std::set<std::string> user_ids_in(std::string_view text);
/// `text` with each bare user id (outside <@…>) written as a Slack mention <@U…>, which Slack shows
/// as the person's name. For mrkdwn that is already escaped; code blocks are left as they are.
std::string mention_user_ids(std::string_view text);

/// Names of Slack users (users.info), cached for `ttl`; an id Slack cannot name is left out (shown
/// as the id) and not asked again for a minute; when Slack does not answer at all, the remaining
/// ids are not asked, so a timeline never waits long.
class UserDirectory {
 public:
  UserDirectory(slack::WebApi& web, Clock& clock, std::chrono::seconds ttl = std::chrono::hours(1));

  /// At most `max_lookups` users.info calls per call; the rest of the ids stay unnamed.
  Task<PeopleNames> names(std::set<std::string> ids, std::size_t max_lookups = 50);

 private:
  struct Entry {
    std::string name;  // empty: Slack could not say
    std::chrono::system_clock::time_point fetched;
  };
  slack::WebApi& web_;
  Clock& clock_;
  std::chrono::seconds ttl_;
  std::map<std::string, Entry> cache_;
};

}  // namespace vigil
