#include "bot/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace vigil {

// Webhook deliveries
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
  SQLite::Statement q(*db_,
                      "UPDATE webhook_deliveries SET status = ?, processed_at = ? "
                      "WHERE id = ? AND status = 'received'");
  q.bind(1, status);
  q.bind(2, static_cast<std::int64_t>(at));
  q.bind(3, id);
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
