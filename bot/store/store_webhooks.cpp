#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil {

// Webhook deliveries

// The one text stored verbatim: a delivery must be replayable after a crash until it is processed.
std::int64_t Store::record_webhook_delivery(const std::string& source, long long received_at, const std::string& body) {
  SQLite::Statement q(*db_,
                      "INSERT INTO webhook_deliveries(source, received_at, body, status) "
                      "VALUES (?, ?, ?, 'received')");
  q.bind(1, source);
  q.bind(2, static_cast<std::int64_t>(received_at));
  q.bind(3, body);
  q.exec();
  return db_->getLastInsertRowid();
}

bool Store::mark_webhook_processed(std::int64_t id, const std::string& status, long long at) {
  // The raw body was kept only so that a crash before processing loses nothing: it goes now. A
  // failed delivery keeps a redacted copy, so that someone can see why it failed.
  std::string kept;
  if (status != "processed") {
    SQLite::Statement body(*db_, "SELECT body FROM webhook_deliveries WHERE id = ? AND status = 'received'");
    body.bind(1, id);
    if (body.executeStep()) {
      kept = scrub(body.getColumn(0).getString());
    }
  }
  SQLite::Statement q(*db_,
                      "UPDATE webhook_deliveries SET status = ?, processed_at = ?, body = ? "
                      "WHERE id = ? AND status = 'received'");
  q.bind(1, status);
  q.bind(2, static_cast<std::int64_t>(at));
  q.bind(3, kept);
  q.bind(4, id);
  return q.exec() == 1;
}

std::vector<WebhookDelivery> Store::list_webhook_deliveries(int limit) {
  SQLite::Statement q(*db_,
                      "SELECT id, source, received_at, body, status FROM webhook_deliveries "
                      "ORDER BY id LIMIT ?");
  q.bind(1, limit);
  std::vector<WebhookDelivery> out;
  while (q.executeStep()) {
    WebhookDelivery d;
    d.id = q.getColumn(0).getInt64();
    d.source = q.getColumn(1).getString();
    d.received_at = q.getColumn(2).getInt64();
    d.body = q.getColumn(3).getString();
    d.status = q.getColumn(4).getString();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace vigil
