// The incident service against a real SQLite file and a fake clock: what each call records (the
// incident row, its timeline rows, the audit rows) and the typed answer it gives.
#include "bot/core/incident_service.h"

#include <gtest/gtest.h>

#include "bot/store/store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

class IncidentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open((dir_ / "v.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    service_ = std::make_unique<IncidentService>(*store_, clock_, redactor_);
  }

  IncidentRecord declare(const std::string& title, const std::string& channel = "C1",
                         const std::string& severity = "") {
    IncidentDeclaration d;
    d.title = title;
    d.severity = severity;
    d.channel = channel;
    d.channel_name = "incidents";
    d.declared_by = "U1";
    auto declared = service_->declare(d);
    EXPECT_TRUE(declared);
    clock_.advance(1s);  // the next one is newer
    return declared ? *declared : IncidentRecord{};
  }

  /// An incident recorded by hand (an alert's, or one with a chosen id).
  IncidentRecord record(const std::string& id, const std::string& channel, const std::string& source,
                        const std::string& thread_ts = "") {
    IncidentRecord i;
    i.id = id;
    i.title = "recorded " + id;
    i.source = source;
    i.channel = channel;
    i.thread_ts = thread_ts;
    i.declared_by = source;
    i.created_at = to_unix(clock_.now());
    EXPECT_TRUE(store_->create_incident(i));
    clock_.advance(1s);
    return i;
  }

  RunRecord run_of(const IncidentRecord& incident, const std::string& key, RunState state) {
    RunRecord r;
    r.id = "00000000-0000-4000-8000-0000000000" + key;
    r.incident_id = incident.id;
    r.trigger_kind = "alert";
    r.trigger_key = "k" + key;
    r.requester = "alertmanager";
    r.text = "run " + key;
    r.backend = "runbook";
    r.state = state;
    r.channel = incident.channel;
    r.created_at = to_unix(clock_.now());
    EXPECT_TRUE(store_->create_run(r));
    clock_.advance(1s);
    return r;
  }

  std::vector<std::string> event_lines(const std::string& incident_id) {
    std::vector<std::string> out;
    for (const auto& e : store_->list_incident_events(incident_id)) {
      out.push_back(e.kind + " by " + e.actor + ": " + e.text);
    }
    return out;
  }

  std::vector<std::string> audit_lines() {
    std::vector<std::string> out;
    for (const auto& a : store_->list_audit()) {
      out.push_back(a.actor + " " + a.action + " " + a.detail);
    }
    return out;
  }

  test::TempDir dir_;
  test::FakeClock clock_;
  Redactor redactor_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IncidentService> service_;
};

TEST_F(IncidentServiceTest, DeclareRecordsTheOpenIncidentItsDeclaredRowAndAnAuditRow) {
  const long long at = to_unix(clock_.now());
  const auto incident = declare("Checkout down for EU", "C1", "sev1");
  ASSERT_FALSE(incident.id.empty());
  const auto row = store_->get_incident(incident.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->title, "Checkout down for EU");
  EXPECT_EQ(row->severity, "sev1");
  EXPECT_EQ(row->state, "open");
  EXPECT_EQ(row->source, "slack");
  EXPECT_EQ(row->channel, "C1");
  EXPECT_EQ(row->declared_by, "U1");
  EXPECT_EQ(row->created_at, at);
  EXPECT_EQ(event_lines(incident.id), std::vector<std::string>{"declared by U1: sev1, declared in #incidents"});
  EXPECT_EQ(audit_lines(), std::vector<std::string>{"U1 incident.declared " + incident.id + " Checkout down for EU"});
}

TEST_F(IncidentServiceTest, DeclareRedactsTheTitleBeforeItIsRecorded) {
  const std::string secret = std::string("xo") + "xb-123456789012-123456789012-abcdefghijklmnopqrstuvwx";
  const auto incident = declare("token leaked " + secret);
  const auto row = store_->get_incident(incident.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->title.find(secret), std::string::npos) << row->title;
  EXPECT_EQ(row->title.rfind("token leaked ", 0), 0u) << row->title;
  EXPECT_EQ(audit_lines().front().find(secret), std::string::npos);
}

TEST_F(IncidentServiceTest, DeclareWithoutSeverityAndItsOwnChannelAndRoot) {
  const auto incident = declare("Queue backlog");
  service_->record_channel_created(incident.id, "C_OWN", "U1");
  service_->set_root(incident.id, "C_OWN", "1800000000.000100");
  const auto row = store_->get_incident(incident.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->channel, "C_OWN");
  EXPECT_EQ(row->thread_ts, "1800000000.000100");
  EXPECT_EQ(event_lines(incident.id), (std::vector<std::string>{"declared by U1: declared in #incidents",
                                                                "channel_created by vigil: <#C_OWN>, U1 invited"}));
}

TEST_F(IncidentServiceTest, FindTakesAFullIdAUniquePrefixOrThisChannelsNewestOpenIncident) {
  const auto older = declare("older", "C1");
  const auto newer = declare("newer", "C1");
  const auto elsewhere = declare("elsewhere", "C2");

  auto here = service_->find("", "C1");
  ASSERT_TRUE(std::holds_alternative<IncidentRecord>(here));
  EXPECT_EQ(std::get<IncidentRecord>(here).id, newer.id);
  auto by_id = service_->find(older.id, "C2");
  ASSERT_TRUE(std::holds_alternative<IncidentRecord>(by_id));
  EXPECT_EQ(std::get<IncidentRecord>(by_id).id, older.id);
  auto by_prefix = service_->find(elsewhere.id.substr(0, 8), "C1");
  ASSERT_TRUE(std::holds_alternative<IncidentRecord>(by_prefix));
  EXPECT_EQ(std::get<IncidentRecord>(by_prefix).id, elsewhere.id);

  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->find("", "C9")), IncidentLookupFailure::NoneOpenHere);
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->find("zzzz", "C1")), IncidentLookupFailure::NotFound);
}

TEST_F(IncidentServiceTest, APrefixOfTwoIncidentsIsAmbiguous) {
  record("abcd0001-0000-4000-8000-000000000001", "C1", "slack");
  record("abcd0002-0000-4000-8000-000000000002", "C1", "slack");
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->find("abcd", "C1")), IncidentLookupFailure::Ambiguous);
  EXPECT_TRUE(std::holds_alternative<IncidentRecord>(service_->find("abcd0001", "C1")));
}

TEST_F(IncidentServiceTest, StatusWithNothingOpenHereListsEveryOpenIncidentNewestFirst) {
  const auto first = declare("first", "C1");
  const auto second = declare("second", "C2");
  const auto status = service_->status("", "C9");
  ASSERT_TRUE(std::holds_alternative<OpenIncidents>(status));
  const auto& open = std::get<OpenIncidents>(status).incidents;
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].id, second.id);
  EXPECT_EQ(open[1].id, first.id);
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->status("zzzz", "C9")), IncidentLookupFailure::NotFound);
}

TEST_F(IncidentServiceTest, StatusOfOneIncidentHasItsRunsAndHowManyMoreAreOpenHere) {
  declare("older", "C1");
  const auto newer = declare("newer", "C1");
  const auto r1 = run_of(newer, "01", RunState::Succeeded);
  const auto r2 = run_of(newer, "02", RunState::Running);

  const auto here = service_->status("", "C1");
  ASSERT_TRUE(std::holds_alternative<IncidentDetail>(here));
  const auto& detail = std::get<IncidentDetail>(here);
  EXPECT_EQ(detail.incident.id, newer.id);
  ASSERT_EQ(detail.runs.size(), 2u);
  EXPECT_EQ(detail.runs[0].id, r1.id);
  EXPECT_EQ(detail.runs[1].id, r2.id);
  EXPECT_EQ(detail.more_open_here, 1u);

  // Named by its id, the others open here are not counted.
  const auto named = service_->status(newer.id, "C1");
  ASSERT_TRUE(std::holds_alternative<IncidentDetail>(named));
  EXPECT_EQ(std::get<IncidentDetail>(named).more_open_here, 0u);
}

TEST_F(IncidentServiceTest, ResolveMovesItOnceRecordsWhoAndCountsRunsStillActive) {
  const auto incident = declare("Checkout down", "C1", "sev2");
  service_->set_root(incident.id, "C1", "1800000000.000200");
  run_of(incident, "01", RunState::Succeeded);
  run_of(incident, "02", RunState::AwaitingApproval);
  clock_.advance(10min);

  const auto outcome = service_->resolve("", "C1", "U2");
  ASSERT_TRUE(std::holds_alternative<IncidentResolution>(outcome));
  const auto& resolution = std::get<IncidentResolution>(outcome);
  EXPECT_EQ(resolution.kind, IncidentResolution::Kind::Resolved);
  EXPECT_EQ(resolution.incident.state, "resolved");
  ASSERT_TRUE(resolution.incident.resolved_at);
  EXPECT_EQ(*resolution.incident.resolved_at, to_unix(clock_.now()));
  EXPECT_EQ(resolution.open_for, to_unix(clock_.now()) - incident.created_at);
  EXPECT_EQ(resolution.still_running, 1);
  EXPECT_TRUE(resolution.run_to_tell.empty()) << "it has its own thread";
  EXPECT_EQ(event_lines(incident.id).back(), "resolved by U2: resolved with /incident resolve");
  EXPECT_EQ(audit_lines().back(), "U2 incident.resolved " + incident.id);

  // Again: nothing changes, and the answer says so.
  const auto rows_before = event_lines(incident.id).size();
  const auto again = service_->resolve(incident.id, "C1", "U3");
  ASSERT_TRUE(std::holds_alternative<IncidentResolution>(again));
  EXPECT_EQ(std::get<IncidentResolution>(again).kind, IncidentResolution::Kind::AlreadyResolved);
  EXPECT_EQ(event_lines(incident.id).size(), rows_before);
  EXPECT_EQ(audit_lines().back(), "U2 incident.resolved " + incident.id);
}

TEST_F(IncidentServiceTest, AnIncidentWithoutAThreadIsToldInItsNewestRun) {
  const auto incident = record("feed0001-0000-4000-8000-000000000001", "C1", "alertmanager");
  run_of(incident, "01", RunState::Succeeded);
  const auto newest = run_of(incident, "02", RunState::Succeeded);
  const auto outcome = service_->resolve(incident.id, "C1", "U2");
  ASSERT_TRUE(std::holds_alternative<IncidentResolution>(outcome));
  EXPECT_EQ(std::get<IncidentResolution>(outcome).run_to_tell, newest.id);
  EXPECT_EQ(std::get<IncidentResolution>(outcome).still_running, 0);
}

TEST_F(IncidentServiceTest, ResolveOfNothingSaysWhy) {
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->resolve("", "C1", "U2")), IncidentLookupFailure::NoneOpenHere);
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->resolve("zzzz", "C1", "U2")), IncidentLookupFailure::NotFound);
  EXPECT_TRUE(audit_lines().empty());
}

TEST_F(IncidentServiceTest, TimelineWithoutAnOpenIncidentHereTakesThisChannelsNewestResolvedOne) {
  const auto here = declare("here", "C1");
  declare("elsewhere", "C2");
  ASSERT_TRUE(std::holds_alternative<IncidentResolution>(service_->resolve(here.id, "C1", "U1")));
  const auto found = service_->find_for_timeline("", "C1");
  ASSERT_TRUE(std::holds_alternative<IncidentRecord>(found));
  EXPECT_EQ(std::get<IncidentRecord>(found).id, here.id);
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->find_for_timeline("", "C9")),
            IncidentLookupFailure::NoneOpenHere);
  EXPECT_EQ(std::get<IncidentLookupFailure>(service_->find_for_timeline("zzzz", "C1")),
            IncidentLookupFailure::NotFound);
}

TEST_F(IncidentServiceTest, OnlyAnIncidentDeclaredByHandTakesTheTriageRunsOfItsChannel) {
  record("feed0002-0000-4000-8000-000000000002", "C1", "alertmanager");
  EXPECT_FALSE(service_->declared_open_in("C1"));
  const auto declared = declare("by hand", "C1");
  record("feed0003-0000-4000-8000-000000000003", "C1", "alertmanager");
  const auto found = service_->declared_open_in("C1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, declared.id);
  ASSERT_TRUE(std::holds_alternative<IncidentResolution>(service_->resolve(declared.id, "C1", "U1")));
  EXPECT_FALSE(service_->declared_open_in("C1")) << "a resolved incident takes no more runs";
}

}  // namespace
}  // namespace vigil
