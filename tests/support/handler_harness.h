#pragma once

// The handlers in-process, with every dependency of their HandlerContext real: a SQLite file, the
// run manager (runbook backend), the Slack approval gate and presenter, and the HTTP Web API pointed
// at the Slack emulator; time is a FakeClock. Tests call a handler, run the io_context until it is
// done, and read what people see: private replies, posts, rows.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bot/base/redactor.h"
#include "bot/core/alert_actions.h"
#include "bot/core/config.h"
#include "bot/core/incident_service.h"
#include "bot/core/knowledge_base.h"
#include "bot/core/run_manager.h"
#include "bot/slack/approver_directory.h"
#include "bot/slack/channel_bindings.h"
#include "bot/slack/full_output_service.h"
#include "bot/slack/slack_approval_gate.h"
#include "bot/slack/slack_run_presenter.h"
#include "bot/slack/user_directory.h"
#include "bot/store/store.h"
#include "bot/store/store_step_journal.h"
#include "handlers/handler_context.h"
#include "integrations/http/http_client.h"
#include "integrations/process/child_process.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "integrations/slack/events.h"
#include "integrations/slack/http_web_api.h"
#include "integrations/slack/rate_limiter.h"
#include "skills/skill_catalog.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_paths.h"

namespace vigil::test {

class HandlerHarness {
 public:
  /// The channel every helper below uses unless told otherwise (bound to the runbook backend).
  static constexpr const char* kChannel = "C0HANDLER";
  static constexpr const char* kApprover = "U0APPROVER";

  /// The configuration the harness starts from: kChannel bound, kApprover the one approver, the
  /// workspace under `dir`, no skills, runs kept queued (none starts); `adjust` changes it before
  /// anything is built.
  explicit HandlerHarness(const std::function<void(Config&)>& adjust = {});
  ~HandlerHarness();

  /// Runs `task` on the io_context until it ends (and whatever it spawned has nothing left to do
  /// at once); false after 10 s.
  bool run(Task<> task);
  /// Runs the io_context until `done()`; false after 10 s.
  bool run_until(const std::function<bool()>& done);

  /// A slash command as Slack delivers it, with its own response_url and trigger_id.
  slack::SlashCommand slash(const std::string& command, const std::string& text, const std::string& user,
                            const std::string& channel = kChannel);
  /// A click on a button in `channel`, with its own response_url.
  slack::BlockAction click(const std::string& action_id, const std::string& value, const std::string& user,
                           const std::string& channel = kChannel);

  /// The text of every private answer so far (response_url posts, then chat.postEphemeral), in order.
  std::vector<std::string> replies() const;
  /// Every private answer joined, for failure messages.
  std::string replies_joined() const;
  /// The text of every message posted with chat.postMessage in `channel` (empty: anywhere), in order.
  std::vector<std::string> posts(const std::string& channel = "") const;
  /// The actions of the audit rows, oldest first.
  std::vector<std::string> audit_actions();

  TempDir dir;
  slack::SlackEmulator emulator;
  boost::asio::io_context io;
  FakeClock clock;
  /// The Web API's own time (Slack's rate limits): run_until moves it on whenever the only thing
  /// left to do is to wait for it, so paced calls go out at once and `clock` stays where tests put it.
  FakeClock slack_clock;
  Config config;
  Redactor redactor;
  slack::RateLimiter limiter{slack_clock};
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<slack::HttpWebApi> web;
  std::unique_ptr<Store> store;
  std::unique_ptr<StoreStepJournal> journal;
  std::unique_ptr<process::ChildProcess> runner;
  std::unique_ptr<skills::SkillCatalog> catalog;
  KnowledgeBase knowledge;
  std::unique_ptr<ApproverDirectory> directory;
  std::unique_ptr<ChannelBindings> channels;
  std::unique_ptr<SlackRunPresenter> presenter;
  std::unique_ptr<SlackApprovalGate> gate;
  std::unique_ptr<RunManager> runs;
  std::unique_ptr<AlertActions> alerts;
  std::unique_ptr<FullOutputService> full_output;
  std::unique_ptr<UserDirectory> users;
  std::unique_ptr<IncidentService> incidents;
  std::unique_ptr<handlers::HandlerContext> context;

 private:
  int counter_ = 0;
};

}  // namespace vigil::test
