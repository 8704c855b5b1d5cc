#include "bot/cli/local_run.h"

#include <csignal>
#include <iostream>

#include <boost/asio/signal_set.hpp>

#include "bot/app/runtime_setup.h"
#include "bot/store/store.h"

namespace vigil {

Result<std::unique_ptr<LocalRun>> LocalRun::open(const Config& config, const skills::SkillCatalog& catalog,
                                                 LocalRunSettings settings) {
  auto redactor = make_redactor(config);
  auto opened = open_held_store(config.storage);
  if (!opened) {
    return opened.error();
  }
  opened->store->set_redactor(redactor);
  auto run = std::unique_ptr<LocalRun>(
      new LocalRun(config, catalog, std::move(settings), std::move(redactor), std::move(opened->store)));
  run->lock_ = std::move(opened->lock);
  return run;
}

LocalRun::LocalRun(const Config& config, const skills::SkillCatalog& catalog, LocalRunSettings settings,
                   std::shared_ptr<Redactor> redactor, std::unique_ptr<Store> store)
    : redactor_(std::move(redactor)),
      logging_(settings.log, redactor_),
      store_(std::move(store)),
      runner_(clock_, logging_.make("process")),
      gate_(std::cin, std::cout, settings.auto_approve, settings.requester, *store_, clock_),
      journal_(*store_, clock_) {
  knowledge_.load(config.agent.knowledge_dirs);
  agent_pods_ = AgentPods::make(io_.get_executor(), config, clock_, logging_);
  auto options = with_agent_pods(run_manager_options(config, logging_.make("agent")), agent_pods_.get());
  options.on_runbook_report = std::move(settings.on_runbook_report);
  manager_ =
      std::make_unique<RunManager>(io_.get_executor(), *store_, journal_, catalog, runner_, gate_, clock_, *redactor_,
                                   knowledge_, executor_options(config), std::move(options), logging_.make("run"));
}

LocalRun::~LocalRun() = default;

void LocalRun::run_until_idle(const std::function<void()>& on_interrupt) {
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      on_interrupt();
    }
  });
  while (!manager_->idle() || manager_->queue_depth() > 0) {
    if (io_.stopped()) {
      io_.restart();
    }
    io_.run_one();
  }
  signals.cancel();
}

}  // namespace vigil
