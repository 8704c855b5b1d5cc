#pragma once

#include <deque>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "bot/base/task.h"
#include "bot/core/progress.h"
#include "integrations/alerting/paging_service.h"

namespace vigil {

class Store;

/// Notes on the PagerDuty incident or OpsGenie alert a run was started for, when triage starts and
/// when it ends (a short summary, the run id and a link to the Slack thread). Only runs started by a
/// webhook of that service have an upstream id to write to. Notes go out one at a time in order, in
/// the background: a failure is logged once and never touches the run.
class IncidentNotes final : public RunObserver {
 public:
  /// `pagerduty` / `opsgenie`: the services to write notes to (nullptr: no notes there).
  IncidentNotes(boost::asio::any_io_executor ex, Store& store, alerting::PagingService* pagerduty,
                alerting::PagingService* opsgenie, Logger log);

  void on_progress(const RunRecord& run, const ProgressEvent& event) override;

  bool idle() const { return queue_.empty() && !draining_; }
  int sent() const { return sent_; }
  int failed() const { return failed_; }

 private:
  struct Note {
    std::string run_id;
    alerting::PagingService* service = nullptr;
    std::string target;  // PagerDuty incident id, OpsGenie alert id
    std::string text;
  };
  Task<> drain();
  std::string upstream_id(const RunRecord& run, const std::string& source, const std::string& fingerprint);
  bool first_start(const std::string& run_id);

  boost::asio::any_io_executor ex_;
  Store& store_;
  alerting::PagingService* pagerduty_;
  alerting::PagingService* opsgenie_;
  Logger log_;
  std::deque<Note> queue_;
  bool draining_ = false;
  int sent_ = 0;
  int failed_ = 0;
};

/// The note texts (public for tests). `thread_link` may be empty.
std::string start_note(const RunRecord& run, const std::string& thread_link);
std::string finish_note(const RunRecord& run, const ProgressEvent& event, const std::string& thread_link);
/// https://slack.com/archives/<channel>/p<ts without the dot>, or empty without a thread.
std::string slack_thread_link(const RunRecord& run);

}  // namespace vigil
