// Notes on the PagerDuty incident / OpsGenie alert of a webhook-started run, at start and at the
// end, through the real clients against the fake paging server: headers, bodies, one note per
// start (not again on resume), nothing for runs without an upstream id, failures only logged.
#include "bot/core/incident_notes.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bot/base/logging.h"
#include "bot/core/run_trigger.h"
#include "bot/store/store.h"
#include "integrations/http/beast_http_client.h"
#include "integrations/opsgenie/opsgenie_api.h"
#include "integrations/pagerduty/pagerduty_api.h"
#include "tests/support/fake_paging_server.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kIncident = "PFQZPSY";
constexpr const char* kAlert = "ec03dad6-62c8-4c94-b38b-d88f398e900f";

class IncidentNotesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    paging_.add_pagerduty_incident(kIncident);
    paging_.add_opsgenie_alert(kAlert);
    paging_.start();
    http_ = http::make_beast_http_client(io_.get_executor(), {}, null_logger());
    pd_ = std::make_unique<pagerduty::PagerDutyApi>(
        *http_, pagerduty::PagerDutyApiOptions{paging_.url(), "pd-token-1", "vigil@example.com", 5s});
    og_ = std::make_unique<opsgenie::OpsGenieApi>(*http_, opsgenie::OpsGenieApiOptions{paging_.url(), "og-key-1", 5s});
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    notes_ = std::make_unique<IncidentNotes>(io_.get_executor(), *store_, pd_.get(), og_.get(), null_logger());
  }
  void TearDown() override { paging_.stop(); }

  // A run for an incident of `source` with `fingerprint`, started by `kind`; `source_id` goes into
  // the trigger's event as the alert intake records it.
  RunRecord make_run(const std::string& source, const std::string& fingerprint, const std::string& kind,
                     const std::string& source_id) {
    IncidentRecord inc;
    inc.id = "inc-" + std::to_string(++n_);
    inc.title = "api is down";
    inc.source = source;
    inc.fingerprint = fingerprint;
    inc.channel = "C0ALERTS";
    inc.created_at = 1'800'000'000;
    EXPECT_TRUE(store_->create_incident(inc));
    RunRecord run;
    run.id = "00000000-0000-4000-8000-00000000000" + std::to_string(n_);
    run.incident_id = inc.id;
    run.trigger_kind = kind;
    run.trigger_key = "alert:" + inc.id;
    run.requester = source;
    run.text = "api is down";
    run.backend = "runbook";
    run.channel = "C0ALERTS";
    run.created_at = 1'800'000'000;
    EXPECT_TRUE(store_->create_run(run));
    RunTrigger t;
    t.kind = kind;
    t.incident_id = inc.id;
    t.event = {{"source", source}, {"fingerprint", fingerprint}};
    if (!source_id.empty()) {
      t.event["source_id"] = source_id;
    }
    store_->append_event({0, run.id, 1, "trigger", source, kind, t.to_json().dump()});
    return run;
  }

  void started(const RunRecord& run, const std::string& text = "investigating with runbook") {
    store_->append_event({0, run.id, 2, "started", "system", text, ""});
    ProgressEvent e;
    e.kind = ProgressKind::Started;
    e.run_id = run.id;
    e.text = text;
    notes_->on_progress(run, e);
  }
  void finished(RunRecord run, const std::string& text, const std::string& summary) {
    run.thread_ts = "1800000000.000100";
    ProgressEvent e;
    e.kind = ProgressKind::Finished;
    e.run_id = run.id;
    e.text = text;
    e.detail = summary;
    notes_->on_progress(run, e);
  }

  bool drain() {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!notes_->idle()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      if (io_.stopped()) {
        io_.restart();
      }
      io_.run_one_for(20ms);
    }
    return true;
  }

  test::TempDir dir_;
  test::FakePagingServer paging_{"pd-token-1", "og-key-1"};
  boost::asio::io_context io_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<pagerduty::PagerDutyApi> pd_;
  std::unique_ptr<opsgenie::OpsGenieApi> og_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IncidentNotes> notes_;
  int n_ = 0;
};

TEST_F(IncidentNotesTest, PagerDutyIncidentGetsANoteAtStartAndEnd) {
  const auto run = make_run("pagerduty", kIncident, "webhook", kIncident);
  started(run);
  finished(run, "succeeded", "restarted deployment/api; 5xx back to 0");
  ASSERT_TRUE(drain());
  const auto notes = paging_.requests("/incidents/");
  ASSERT_EQ(notes.size(), 2u);
  for (const auto& n : notes) {
    EXPECT_EQ(n.method, "POST");
    EXPECT_EQ(n.target, "/incidents/PFQZPSY/notes");
    EXPECT_EQ(n.header("authorization"), "Token token=pd-token-1");
    EXPECT_EQ(n.header("accept"), "application/vnd.pagerduty+json;version=2");
    EXPECT_EQ(n.header("from"), "vigil@example.com");
    EXPECT_EQ(n.header("content-type"), "application/json");
  }
  const auto start = json::parse(notes[0].body)["note"]["content"].get<std::string>();
  EXPECT_NE(start.find("Vigil started triage run 00000000"), std::string::npos) << start;
  EXPECT_NE(start.find(run.id), std::string::npos) << start;
  const auto end = json::parse(notes[1].body)["note"]["content"].get<std::string>();
  EXPECT_NE(end.find("ended: succeeded"), std::string::npos) << end;
  EXPECT_NE(end.find("restarted deployment/api"), std::string::npos) << end;
  EXPECT_NE(end.find("https://slack.com/archives/C0ALERTS/p1800000000000100"), std::string::npos) << end;
  EXPECT_EQ(notes_->sent(), 2);
}

TEST_F(IncidentNotesTest, OpsGenieAlertGetsNotesByItsAlertId) {
  const auto run = make_run("opsgenie", "alert-alias", "webhook", kAlert);
  started(run);
  finished(run, "failed: no runbook matched", "");
  ASSERT_TRUE(drain());
  const auto notes = paging_.requests("/v2/alerts/");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].target, std::string("/v2/alerts/") + kAlert + "/notes?identifierType=id");
  EXPECT_EQ(notes[0].header("authorization"), "GenieKey og-key-1");
  EXPECT_NE(json::parse(notes[1].body)["note"].get<std::string>().find("ended: failed: no runbook matched"),
            std::string::npos);
}

TEST_F(IncidentNotesTest, AResumedRunDoesNotAnnounceItselfAgain) {
  const auto run = make_run("pagerduty", kIncident, "webhook", kIncident);
  started(run);
  started(run, "resumed after a restart");
  ASSERT_TRUE(drain());
  EXPECT_EQ(paging_.requests("/incidents/").size(), 1u);
}

TEST_F(IncidentNotesTest, RunsWithoutAnUpstreamIdGetNoNotes) {
  // An alert from a Slack message: the PagerDuty app's incident number is not an API id.
  const auto from_slack = make_run("pagerduty", "pagerduty-42", "alert", "");
  started(from_slack);
  // Alertmanager has no incident to write to.
  const auto am = make_run("alertmanager", "abc", "webhook", "");
  started(am);
  ASSERT_TRUE(drain());
  EXPECT_TRUE(paging_.requests().empty());
}

TEST_F(IncidentNotesTest, AFailureIsCountedAndNothingElseHappens) {
  paging_.set_down(true);
  const auto run = make_run("pagerduty", kIncident, "webhook", kIncident);
  started(run);
  finished(run, "succeeded", "");
  ASSERT_TRUE(drain());
  EXPECT_EQ(notes_->failed(), 2);
  EXPECT_EQ(notes_->sent(), 0);
  EXPECT_EQ(paging_.requests("/incidents/").size(), 2u) << "tried once each, no retries";
}

TEST_F(IncidentNotesTest, OnlyConfiguredServicesGetNotes) {
  IncidentNotes pd_only(io_.get_executor(), *store_, pd_.get(), nullptr, null_logger());
  const auto run = make_run("opsgenie", "alert-alias", "webhook", kAlert);
  store_->append_event({0, run.id, 2, "started", "system", "x", ""});
  ProgressEvent e;
  e.kind = ProgressKind::Started;
  pd_only.on_progress(run, e);
  EXPECT_TRUE(pd_only.idle());
}

}  // namespace
}  // namespace vigil
