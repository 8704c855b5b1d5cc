#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil {

// Audit

void Store::append_audit(const AuditEntry& a) {
  SQLite::Statement q(*db_,
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
  SQLite::Statement q(*db_, std::string("SELECT id, at_ms, actor, action, run_id, approval_token, "
                                        "detail FROM audit_log") +
                                (run_id.empty() ? "" : " WHERE run_id=?") + " ORDER BY id LIMIT ?");
  int i = 1;
  if (!run_id.empty()) {
    q.bind(i++, run_id);
  }
  q.bind(i, limit);
  std::vector<AuditEntry> out;
  while (q.executeStep()) {
    AuditEntry a;
    a.id = q.getColumn(0).getInt64();
    a.at_ms = q.getColumn(1).getInt64();
    a.actor = q.getColumn(2).getString();
    a.action = q.getColumn(3).getString();
    a.run_id = q.getColumn(4).getString();
    a.approval_token = q.getColumn(5).getString();
    a.detail = q.getColumn(6).getString();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace vigil
