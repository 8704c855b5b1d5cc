#include "bot/store/store.h"

#include "bot/store/sql.h"
#include "bot/store/store_sql.h"

namespace vigil {
namespace {

// The rows of a SELECT id, source, received_at, body, status.
std::vector<WebhookDelivery> read_deliveries(sql::Statement& q) {
  std::vector<WebhookDelivery> out;
  while (q.step()) {
    WebhookDelivery d;
    d.id = q.column(0).as_int64();
    d.source = q.column(1).as_text();
    d.received_at = q.column(2).as_int64();
    d.body = q.column(3).as_text();
    d.status = q.column(4).as_text();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

// Webhook deliveries

// The one text stored verbatim: a delivery must be replayable after a crash until it is processed.
std::int64_t Store::record_webhook_delivery(const std::string& source, long long received_at, const std::string& body) {
  sql::Statement q(*db_,
                   "INSERT INTO webhook_deliveries(source, received_at, body, status) "
                   "VALUES (?, ?, ?, 'received') RETURNING id");
  q.bind(1, source);
  q.bind(2, static_cast<std::int64_t>(received_at));
  q.bind(3, body);
  return store_detail::inserted_id(q);
}

bool Store::mark_webhook_processed(std::int64_t id, const std::string& status, long long at) {
  // The raw body was kept only so that a crash before processing loses nothing: it goes now. A
  // failed delivery keeps a redacted copy, so that someone can see why it failed.
  std::string kept;
  if (status != "processed") {
    sql::Statement body(*db_, "SELECT body FROM webhook_deliveries WHERE id = ? AND status = 'received'");
    body.bind(1, id);
    if (body.step()) {
      kept = scrub(body.column(0).as_text());
    }
  }
  sql::Statement q(*db_,
                   "UPDATE webhook_deliveries SET status = ?, processed_at = ?, body = ? "
                   "WHERE id = ? AND status = 'received'");
  q.bind(1, status);
  q.bind(2, static_cast<std::int64_t>(at));
  q.bind(3, kept);
  q.bind(4, id);
  return q.exec() == 1;
}

std::vector<WebhookDelivery> Store::list_webhook_deliveries(int limit) {
  sql::Statement q(*db_,
                   "SELECT id, source, received_at, body, status FROM webhook_deliveries "
                   "ORDER BY id LIMIT ?");
  q.bind(1, limit);
  return read_deliveries(q);
}

std::vector<WebhookDelivery> Store::received_webhook_deliveries(int limit) {
  sql::Statement q(*db_,
                   "SELECT id, source, received_at, body, status FROM webhook_deliveries WHERE status = 'received' "
                   "ORDER BY id LIMIT ?");
  q.bind(1, limit);
  return read_deliveries(q);
}

}  // namespace vigil
