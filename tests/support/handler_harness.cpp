#include "tests/support/handler_harness.h"

#include <filesystem>

#include "bot/app/runtime_setup.h"
#include "bot/base/logging.h"
#include "integrations/http/beast_http_client.h"
#include "tests/support/slack_harness.h"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Store> open_store(const std::string& path) {
  auto s = Store::open(path);
  if (!s) {
    throw std::runtime_error("cannot open the test store: " + s.error().message());
  }
  return std::move(*s);
}

/// The private answer's text: a response_url body's text, or chat.postEphemeral's.
std::string text_of(const nlohmann::json& body) {
  return body.is_object() ? body.value("text", std::string()) : std::string();
}

Task<> flag_when_done(Task<> inner, std::shared_ptr<bool> done) {
  co_await std::move(inner);
  *done = true;
}

}  // namespace

HandlerHarness::HandlerHarness(const std::function<void(Config&)>& adjust) {
  ChannelBinding bound;
  bound.id = kChannel;
  bound.backend = "runbook";
  config.channels = {bound};
  config.approvals.users = {kApprover};
  config.agent.workspace_root = (dir / "ws").string();
  config.agent.grace = 1s;
  // Runs stay queued: the handlers are under test here, not the runs (the run manager has tests of
  // its own). It also keeps clear of a run that finishes without ever waiting, whose cancellation
  // signal the run manager destroys before Asio is done with it.
  config.agent.max_concurrent = 0;
  config.storage.database = (dir / "v.db").string();
  if (adjust) {
    adjust(config);
  }
  std::filesystem::create_directories(dir / "ws");
  emulator.add_channel(kChannel, "incidents");
  emulator.start();

  http = http::make_beast_http_client(io.get_executor(), {}, null_logger());
  slack::HttpWebApiOptions o;
  o.api_url = emulator.api_url();
  o.bot_token = fake_bot_token();
  web = std::make_unique<slack::HttpWebApi>(*http, limiter, slack_clock, null_logger(), o, nullptr);
  store = open_store(config.storage.database);
  runner = std::make_unique<process::ChildProcess>(clock, null_logger());
  catalog = std::make_unique<skills::SkillCatalog>(config.kubernetes.enabled);
  catalog->load_dirs(config.skills.dirs);
  directory = std::make_unique<ApproverDirectory>(*web, clock);
  channels = std::make_unique<ChannelBindings>(config.channels, *web, clock);
  presenter = std::make_unique<SlackRunPresenter>(io.get_executor(), *store, *web, clock, null_logger());
  gate = std::make_unique<SlackApprovalGate>(io.get_executor(), *store, *web, clock, redactor, *directory,
                                             config.approvals, null_logger());
  journal = std::make_unique<StoreStepJournal>(*store, clock);
  runs = std::make_unique<RunManager>(io.get_executor(), *store, *journal, *catalog, *runner, *gate, clock, redactor,
                                      knowledge, executor_options(config), run_manager_options(config, null_logger()),
                                      null_logger());
  runs->add_observer(presenter.get());
  alerts = std::make_unique<AlertActions>(*store, *runs, clock, redactor, AlertActions::Peers{}, null_logger());
  FullOutputOptions full;
  full.workspace_root = config.agent.workspace_root;
  full_output = std::make_unique<FullOutputService>(*store, *web, redactor, clock, full, null_logger());
  users = std::make_unique<UserDirectory>(*web, clock);
  incidents = std::make_unique<IncidentService>(*store, clock, redactor);
  context.reset(new handlers::HandlerContext{*store, *runs, *web, *channels, *gate, *presenter, *catalog, *directory,
                                             clock, redactor, config, null_logger("handlers"), *alerts, *full_output,
                                             *users, *incidents});
}

HandlerHarness::~HandlerHarness() {
  runs->stop_all();
  io.stop();
}

bool HandlerHarness::run_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    if (io.stopped()) {
      io.restart();
    }
    if (io.run_one_for(20ms) == 0 && slack_clock.sleepers() > 0) {
      slack_clock.advance(1s);  // a call waiting for Slack's pace
    }
  }
  return true;
}

bool HandlerHarness::run(Task<> task) {
  auto finished = std::make_shared<bool>(false);
  spawn(io.get_executor(), flag_when_done(std::move(task), finished), null_logger(), "handler");
  const bool ended = run_until([&] { return *finished; });
  // Whatever the handler started and can finish at once (a run with nothing to do, a root message).
  if (io.stopped()) {
    io.restart();
  }
  io.poll();
  return ended;
}

slack::SlashCommand HandlerHarness::slash(const std::string& command, const std::string& text, const std::string& user,
                                          const std::string& channel) {
  const auto n = std::to_string(++counter_);
  slack::SlashCommand c;
  c.command = command;
  c.text = text;
  c.user_id = user;
  c.user_name = "u";
  c.channel_id = channel;
  c.channel_name = "incidents";
  c.team_id = "T1";
  c.response_url = emulator.response_url("cmd-" + n);
  c.trigger_id = "trig-" + n;
  return c;
}

slack::BlockAction HandlerHarness::click(const std::string& action_id, const std::string& value,
                                         const std::string& user, const std::string& channel) {
  const auto n = std::to_string(++counter_);
  slack::BlockAction a;
  a.action_id = action_id;
  a.value = value;
  a.action_ts = "1700000000." + n;
  a.user_id = user;
  a.user_name = "u";
  a.channel_id = channel;
  a.message_ts = "1.1";
  a.container_type = "message";
  a.response_url = emulator.response_url("click-" + n);
  a.team_id = "T1";
  return a;
}

std::vector<std::string> HandlerHarness::replies() const {
  std::vector<std::string> out;
  for (const auto& post : emulator.response_post_log()) {
    out.push_back(text_of(post.body));
  }
  for (const auto& c : emulator.calls("chat.postEphemeral")) {
    out.push_back(text_of(c.args));
  }
  return out;
}

std::string HandlerHarness::replies_joined() const {
  std::string out;
  for (const auto& r : replies()) {
    out += r + "\n";
  }
  return out;
}

std::vector<std::string> HandlerHarness::posts(const std::string& channel) const {
  std::vector<std::string> out;
  for (const auto& c : emulator.calls("chat.postMessage")) {
    if (channel.empty() || c.args.value("channel", std::string()) == channel) {
      out.push_back(c.args.dump());
    }
  }
  return out;
}

std::vector<std::string> HandlerHarness::audit_actions() {
  std::vector<std::string> out;
  for (const auto& a : store->list_audit()) {
    out.push_back(a.action);
  }
  return out;
}

}  // namespace vigil::test
