// Nothing secret at rest (issue 21, point 2): the database and its WAL/SHM are private whatever the
// umask, and every free text passes the redactor on its way into the database.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/base/redactor.h"
#include "bot/store/store.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

constexpr long long kNow = 1'800'000'000;

// Token-shaped values, assembled at run time so that nothing token-shaped is committed.
std::string slack_token() {
  return std::string("xo") + "xb-1234567890-abcdefghijkl";
}
std::string github_token() {
  return std::string("gh") + "p_" + std::string(36, 'A');
}
std::string bearer_value() {
  return "s3cr3tB34r3rV4lu3";
}
std::string password_value() {
  return "hunter2-sekrit";
}

// One text with every kind of secret in it.
std::string secret_text() {
  return "token " + slack_token() + " and " + github_token() + ", Authorization: Bearer " + bearer_value() +
         ", password: " + password_value();
}

std::vector<std::string> secrets() {
  return {slack_token(), github_token(), bearer_value(), password_value()};
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Every text of every row of every table, for "the secret is nowhere".
std::string every_text(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  std::vector<std::string> tables;
  SQLite::Statement names(raw, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (names.executeStep()) {
    tables.push_back(names.getColumn(0).getString());
  }
  std::string out;
  for (const auto& table : tables) {
    SQLite::Statement rows(raw, "SELECT * FROM \"" + table + "\"");
    while (rows.executeStep()) {
      for (int i = 0; i < rows.getColumnCount(); ++i) {
        out += table + "." + rows.getColumnName(i) + "=" + rows.getColumn(i).getString() + "\n";
      }
    }
  }
  return out;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST(StoreAtRest, DatabaseAndItsWalAndShmAre0600UnderUmask022) {
  UmaskGuard umask(022);
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  auto store = Store::open(db);
  ASSERT_TRUE(store) << store.error().detail;
  IncidentRecord incident;
  incident.id = "i-1";
  incident.title = "disk full";
  incident.created_at = kNow;
  ASSERT_TRUE((*store)->create_incident(incident));  // the WAL and SHM exist once something is written
  for (const auto& file : {db, db + "-wal", db + "-shm"}) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_EQ(mode_of(file), 0600u) << file;
  }
  EXPECT_EQ(Store::exposure_warning(db), "");
}

TEST(StoreAtRest, AReadableDatabaseIsWarnedAboutAndLeftAsItIs) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  { ASSERT_TRUE(Store::open(db)); }
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  EXPECT_EQ(Store::exposure_warning(db), "the database " + db +
                                             " has mode 0644: its group or others can read what Vigil recorded; "
                                             "`chmod 600 " +
                                             db + "` (and its -wal and -shm files)");
  { ASSERT_TRUE(Store::open(db)); }
  EXPECT_EQ(mode_of(db), 0644u) << "an existing file's mode is the operator's";
  EXPECT_EQ(Store::exposure_warning((dir / "missing.db").string()), "");
}

// Each writer of free text, with the same secrets in each: none of them is in the file.
TEST(StoreAtRest, EveryTextWrittenPassesTheRedactor) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  auto opened = Store::open(db);
  ASSERT_TRUE(opened);
  auto& store = **opened;
  auto configured = std::make_shared<Redactor>();
  configured->add_secret("configured-secret-value");
  store.set_redactor(configured);
  const auto text = secret_text() + " configured-secret-value";

  IncidentRecord incident;
  incident.id = "i-1";
  incident.title = text;
  incident.created_at = kNow;
  ASSERT_TRUE(store.create_incident(incident));
  store.append_incident_event({0, "i-1", kNow * 1000, "alert_fired", "alertmanager", text});
  RunRecord run;
  run.id = "r-1";
  run.incident_id = "i-1";
  run.trigger_kind = "alert";
  run.trigger_key = "k-1";
  run.text = text;
  run.backend = "runbook";
  run.created_at = kNow;
  ASSERT_TRUE(store.create_run(run));
  store.append_event({0, "r-1", kNow * 1000, "text", "agent", text, "{\"said\": \"" + text + "\"}"});
  ASSERT_TRUE(store.transition_run("r-1", {RunState::Queued}, RunState::Running, kNow * 1000, "system", text));
  store.set_run_summary("r-1", text);
  store.set_run_error("r-1", text);
  StepRecord step;
  step.run_id = "r-1";
  step.step = "diagnose";
  step.seq = 1;
  step.argv = {"kubectl", "get", "pods"};
  const auto step_id = store.create_step(step);
  store.finish_step(step_id, StepState::Succeeded, 0, std::nullopt, text, false, "", kNow);
  ApprovalRecord approval;
  approval.token = "t-1";
  approval.run_id = "r-1";
  approval.argv_hash = "h";
  approval.created_at = kNow;
  approval.expires_at = kNow + 600;
  ASSERT_TRUE(store.create_approval(approval));
  ASSERT_TRUE(store.claim_approval_decision("t-1", Decision::Deny, "U1", text, kNow));
  store.append_audit({0, kNow * 1000, "U1", "approval.click", "r-1", "t-1", text});
  store.pause_auto_triage({"backend:runbook", kNow, kNow + 60, text, "", std::nullopt});

  const auto all = every_text(db);
  for (const auto& secret : secrets()) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " is in the database:\n" << all;
  }
  EXPECT_EQ(all.find("configured-secret-value"), std::string::npos) << "the configured redactor is the one used";
  // What is left says what it was about.
  EXPECT_NE(store.get_incident("i-1")->title.find("token [REDACTED]"), std::string::npos);
  const auto events = store.list_events("r-1");
  ASSERT_FALSE(events.empty());
  bool data_checked = false;
  for (const auto& e : events) {
    if (!e.data.empty()) {
      EXPECT_TRUE(nlohmann::json::accept(e.data)) << "still JSON after redaction: " << e.data;
      data_checked = true;
    }
  }
  EXPECT_TRUE(data_checked);
}

TEST(StoreAtRest, AWebhookBodyIsClearedOnceProcessedAndRedactedWhenItFailed) {
  test::TempDir dir;
  const auto db = (dir / "vigil.db").string();
  auto opened = Store::open(db);
  ASSERT_TRUE(opened);
  auto& store = **opened;
  const auto body = "{\"alerts\": [{\"labels\": {\"password\": \"" + password_value() +
                    "\"}, \"annotations\": " + "{\"description\": \"" + secret_text() + "\"}}]}";
  const auto ok = store.record_webhook_delivery("alertmanager", kNow, body);
  const auto bad = store.record_webhook_delivery("alertmanager", kNow, body);
  // Until processed, the body is kept as received: a crash before then loses nothing.
  EXPECT_EQ(store.list_webhook_deliveries()[0].body, body);
  ASSERT_TRUE(store.mark_webhook_processed(ok, "processed", kNow + 1));
  ASSERT_TRUE(store.mark_webhook_processed(bad, "failed", kNow + 1));
  const auto deliveries = store.list_webhook_deliveries();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].body, "");
  EXPECT_NE(deliveries[1].body.find("\"password\": \"[REDACTED]\""), std::string::npos) << deliveries[1].body;
  const auto all = every_text(db);
  for (const auto& secret : secrets()) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " is in the database:\n" << all;
  }
}

}  // namespace
}  // namespace vigil
