#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/base/clock.h"
#include "bot/base/error.h"
#include "bot/base/task.h"
#include "integrations/alerting/paging_service.h"

namespace vigil {

namespace slack {
class WebApi;
}

/// Who is on call now, as the approval gate sees it.
struct OnCallSnapshot {
  enum class Source {
    Live,      // a fresh answer (within the cache time)
    LastGood,  // the lookup failed; the last good answer, younger than max_stale
    None,      // the lookup failed and nothing recent is known: only configured approvers count
  };
  Source source = Source::None;
  std::string service;  // PagerDuty, OpsGenie
  std::string schedule;
  std::vector<std::string> users;      // Slack user ids (U…)
  std::vector<std::string> unmatched;  // on-call e-mails with no Slack user
  long long as_of = 0;                 // when the answer used was fetched (unix seconds)
  std::string problem;                 // why it is not Live (the lookup's error)

  bool contains(const std::string& user) const;
};

struct OnCallOptions {
  std::chrono::seconds cache{60};
  std::chrono::seconds max_stale{15 * 60};
  /// After a failed lookup, answers come from what is known for this long before the service is
  /// asked again (a service that is down is not asked on every click).
  std::chrono::seconds retry_after_failure{10};
  std::chrono::seconds email_cache{60 * 60};  // e-mail → Slack user
};

/// Who is on call now in one PagerDuty or OpsGenie schedule, as Slack users: the service's answer
/// (e-mails) mapped with users.lookupByEmail. Both are cached; concurrent callers share one lookup.
/// A failed lookup never widens who may approve: the last good answer is used while it is younger
/// than max_stale, after that the snapshot is empty (Source::None) and says why. The failure is
/// logged once when it starts and once when it ends.
class OnCallDirectory {
 public:
  OnCallDirectory(boost::asio::any_io_executor ex, alerting::PagingService& service, std::string schedule,
                  slack::WebApi& web, Clock& clock, OnCallOptions options, Logger log);
  ~OnCallDirectory();

  Task<OnCallSnapshot> current();
  /// Forgets the cached answer (not the e-mail mapping).
  void clear() { answer_.reset(); }
  const std::string& service_name() const { return service_name_; }
  const std::string& schedule() const { return schedule_; }

 private:
  struct Answer {
    std::vector<std::string> users;
    std::vector<std::string> unmatched;
    std::chrono::system_clock::time_point fetched;
  };
  struct Mapped {
    std::optional<std::string> user;  // nullopt: no Slack user has this e-mail
    std::chrono::system_clock::time_point fetched;
  };

  Task<Result<Answer>> fetch();
  Task<Result<std::optional<std::string>>> slack_user(std::string email);
  OnCallSnapshot snapshot(std::chrono::system_clock::time_point now) const;

  boost::asio::any_io_executor ex_;
  alerting::PagingService& service_;
  std::string service_name_;
  std::string schedule_;
  slack::WebApi& web_;
  Clock& clock_;
  OnCallOptions options_;
  Logger log_;
  std::optional<Answer> answer_;
  std::map<std::string, Mapped> emails_;
  std::optional<std::chrono::system_clock::time_point> failed_at_;  // set while lookups fail
  std::string problem_;
  bool reported_none_ = false;  // "only configured approvers" was logged for this failure
  bool fetching_ = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace vigil
