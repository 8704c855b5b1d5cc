#include "bot/store/store.h"

#include "bot/store/sql.h"

namespace vigil {

// Audit

void Store::append_audit(const AuditEntry& a) {
  sql::Statement q(*db_,
                   "INSERT INTO audit_log(at_ms, actor, action, run_id, approval_token, detail) "
                   "VALUES (?,?,?,?,?,?)");
  q.bind(1, static_cast<std::int64_t>(a.at_ms));
  q.bind(2, a.actor);
  q.bind(3, a.action);
  q.bind(4, a.run_id);
  q.bind(5, a.approval_token);
  q.bind(6, scrub(a.detail));
  q.exec();
}

std::vector<AuditEntry> Store::list_audit(const std::string& run_id, int limit) {
  sql::Statement q(*db_, std::string("SELECT id, at_ms, actor, action, run_id, approval_token, "
                                     "detail FROM audit_log") +
                             (run_id.empty() ? "" : " WHERE run_id=?") + " ORDER BY id LIMIT ?");
  int i = 1;
  if (!run_id.empty()) {
    q.bind(i++, run_id);
  }
  q.bind(i, limit);
  std::vector<AuditEntry> out;
  while (q.step()) {
    AuditEntry a;
    a.id = q.column(0).as_int64();
    a.at_ms = q.column(1).as_int64();
    a.actor = q.column(2).as_text();
    a.action = q.column(3).as_text();
    a.run_id = q.column(4).as_text();
    a.approval_token = q.column(5).as_text();
    a.detail = q.column(6).as_text();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace vigil
