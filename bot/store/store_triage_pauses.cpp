#include "bot/store/store.h"

#include "bot/store/sql.h"

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

}  // namespace

// Automatic triage pauses

void Store::pause_auto_triage(const AutoTriagePause& p) {
  sql::Statement q(*db_,
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
  sql::Statement q(*db_,
                   "SELECT key, paused_at, resume_at, reason, resumed_by, resumed_at FROM auto_triage_pauses "
                   "WHERE key=?");
  q.bind(1, key);
  if (!q.step()) {
    return std::nullopt;
  }
  AutoTriagePause p;
  p.key = q.column(0).as_text();
  p.paused_at = q.column(1).as_int64();
  p.resume_at = q.column(2).as_int64();
  p.reason = q.column(3).as_text();
  p.resumed_by = q.column(4).as_text();
  p.resumed_at = opt_int64(q.column(5));
  return p;
}

bool Store::resume_auto_triage(const std::string& key, const std::string& by, long long now) {
  sql::Statement q(*db_,
                   "UPDATE auto_triage_pauses SET resumed_by=?, resumed_at=? WHERE key=? AND resumed_at IS "
                   "NULL AND resume_at > ?");
  q.bind(1, by);
  q.bind(2, static_cast<std::int64_t>(now));
  q.bind(3, key);
  q.bind(4, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

}  // namespace vigil
