#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

}  // namespace

// Automatic triage pauses

void Store::pause_auto_triage(const AutoTriagePause& p) {
  SQLite::Statement q(*db_,
                      "INSERT INTO auto_triage_pauses(key, paused_at, resume_at, reason) VALUES (?,?,?,?) "
                      "ON CONFLICT(key) DO UPDATE SET paused_at=excluded.paused_at, resume_at=excluded.resume_at, "
                      "reason=excluded.reason, resumed_by='', resumed_at=NULL");
  q.bind(1, p.key);
  q.bind(2, static_cast<std::int64_t>(p.paused_at));
  q.bind(3, static_cast<std::int64_t>(p.resume_at));
  q.bind(4, scrub(p.reason));
  q.exec();
}

std::optional<AutoTriagePause> Store::get_auto_triage_pause(const std::string& key) {
  SQLite::Statement q(*db_,
                      "SELECT key, paused_at, resume_at, reason, resumed_by, resumed_at FROM auto_triage_pauses "
                      "WHERE key=?");
  q.bind(1, key);
  if (!q.executeStep()) {
    return std::nullopt;
  }
  AutoTriagePause p;
  p.key = q.getColumn(0).getString();
  p.paused_at = q.getColumn(1).getInt64();
  p.resume_at = q.getColumn(2).getInt64();
  p.reason = q.getColumn(3).getString();
  p.resumed_by = q.getColumn(4).getString();
  p.resumed_at = opt_int64(q.getColumn(5));
  return p;
}

bool Store::resume_auto_triage(const std::string& key, const std::string& by, long long now) {
  SQLite::Statement q(*db_,
                      "UPDATE auto_triage_pauses SET resumed_by=?, resumed_at=? WHERE key=? AND resumed_at IS "
                      "NULL AND resume_at > ?");
  q.bind(1, by);
  q.bind(2, static_cast<std::int64_t>(now));
  q.bind(3, key);
  q.bind(4, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

}  // namespace vigil
