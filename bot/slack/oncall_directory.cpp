#include "bot/slack/oncall_directory.h"

#include <algorithm>

#include "bot/core/timeline.h"
#include "integrations/slack/web_api.h"

namespace vigil {

bool OnCallSnapshot::contains(const std::string& user) const {
  return std::find(users.begin(), users.end(), user) != users.end();
}

OnCallDirectory::OnCallDirectory(boost::asio::any_io_executor ex, alerting::PagingService& service,
                                 std::string schedule, slack::WebApi& web, Clock& clock, OnCallOptions options,
                                 Logger log)
    : ex_(std::move(ex)),
      service_(service),
      service_name_(service.name()),
      schedule_(std::move(schedule)),
      web_(web),
      clock_(clock),
      options_(options),
      log_(std::move(log)) {}

// Waiters are not woken here: they would resume into a destroyed directory. Their timers belong
// to their frames, which go with the io_context.
OnCallDirectory::~OnCallDirectory() = default;

OnCallSnapshot OnCallDirectory::snapshot(std::chrono::system_clock::time_point now) const {
  OnCallSnapshot s;
  s.service = service_name_;
  s.schedule = schedule_;
  s.problem = problem_;
  if (!answer_) {
    if (s.problem.empty()) {
      s.problem = "not looked up yet";
    }
    return s;
  }
  if (failed_at_ && now - answer_->fetched > options_.max_stale) {
    return s;  // what we knew is too old to trust
  }
  s.source = failed_at_ ? OnCallSnapshot::Source::LastGood : OnCallSnapshot::Source::Live;
  s.users = answer_->users;
  s.unmatched = answer_->unmatched;
  s.as_of = to_unix(answer_->fetched);
  return s;
}

Task<OnCallSnapshot> OnCallDirectory::current() {
  auto now = clock_.now();
  const bool fresh = answer_ && !failed_at_ && now - answer_->fetched < options_.cache;
  const bool resting = failed_at_ && now - *failed_at_ < options_.retry_after_failure;
  if (fresh || resting) {
    co_return snapshot(now);
  }
  if (fetching_) {
    // Someone is asking the service already: share their answer.
    auto timer = std::make_shared<boost::asio::steady_timer>(ex_, boost::asio::steady_timer::time_point::max());
    waiting_.push_back(timer);
    co_await timer->async_wait(kToken);
    co_return snapshot(clock_.now());
  }
  fetching_ = true;
  // Whatever happens below, the waiters are woken and the next caller may fetch.
  struct Done {
    OnCallDirectory& self;
    ~Done() {
      self.fetching_ = false;
      auto waiting = std::move(self.waiting_);
      self.waiting_.clear();
      for (auto& t : waiting) {
        t->cancel();
      }
    }
  } done{*this};
  auto got = co_await fetch();
  now = clock_.now();
  if (got) {
    if (failed_at_) {
      log_->info("on-call lookup in {} schedule {} works again", service_name_, schedule_);
    }
    answer_ = std::move(*got);
    answer_->fetched = now;
    failed_at_.reset();
    problem_.clear();
    reported_none_ = false;
    co_return snapshot(now);
  }
  problem_ = got.error().message();
  const bool first_failure = !failed_at_;
  failed_at_ = now;
  const auto s = snapshot(now);
  if (first_failure) {
    if (s.source == OnCallSnapshot::Source::LastGood) {
      log_->warn(
          "on-call lookup in {} schedule {} failed: {}; using the answer from {} until it is {}s old, "
          "then only configured approvers can approve",
          service_name_, schedule_, problem_, format_time(s.as_of), options_.max_stale.count());
    } else {
      reported_none_ = true;
      log_->error(
          "on-call lookup in {} schedule {} failed: {}; only configured approvers can approve until "
          "it works again",
          service_name_, schedule_, problem_);
    }
  } else if (s.source == OnCallSnapshot::Source::None && !reported_none_) {
    reported_none_ = true;
    log_->error(
        "on-call lookup in {} schedule {} still fails ({}); the last good answer is too old now, so "
        "only configured approvers can approve until it works again",
        service_name_, schedule_, problem_);
  }
  co_return s;
}

Task<Result<OnCallDirectory::Answer>> OnCallDirectory::fetch() {
  std::string schedule = schedule_;
  auto emails = co_await service_.on_call_emails(std::move(schedule));
  if (!emails) {
    co_return emails.error();
  }
  Answer a;
  for (const auto& email : *emails) {
    std::string address = email;
    auto user = co_await slack_user(std::move(address));
    if (!user) {
      co_return Error(user.error().code, "users.lookupByEmail: " + user.error().detail);
    }
    if (!*user) {
      a.unmatched.push_back(email);
    } else if (std::find(a.users.begin(), a.users.end(), **user) == a.users.end()) {
      a.users.push_back(**user);
    }
  }
  co_return a;
}

Task<Result<std::optional<std::string>>> OnCallDirectory::slack_user(std::string email) {
  const auto now = clock_.now();
  if (const auto it = emails_.find(email); it != emails_.end() && now - it->second.fetched < options_.email_cache) {
    co_return it->second.user;
  }
  std::string address = email;
  auto info = co_await web_.lookup_user_by_email(std::move(address));
  std::optional<std::string> user;
  if (!info) {
    if (!(info.error().is(Errc::SlackApi) && info.error().detail == "users_not_found")) {
      co_return info.error();
    }
  } else if (!info->deleted && !info->is_bot && !info->id.empty()) {
    user = info->id;
  }
  const auto known = emails_.find(email);
  if (!user && (known == emails_.end() || known->second.user)) {
    log_->warn("{} on-call {} has no Slack user with that e-mail; they cannot approve through on-call", service_name_,
               email);
  }
  emails_[email] = Mapped{user, now};
  co_return user;
}

}  // namespace vigil
