#include "bot/store/store.h"

#include "bot/store/sql.h"

#include "bot/store/store_sql.h"

namespace vigil {
namespace {

using namespace store_detail;

constexpr const char* kApprovalColumns =
    "token, run_id, step_id, argv_hash, requester, policy, risk, required_approvals, state, "
    "created_at, expires_at, decided_by, decided_at, reason, channel, message_ts, cluster";

ApprovalRecord read_approval(sql::Statement& q) {
  ApprovalRecord a;
  a.token = q.column(0).as_text();
  a.run_id = q.column(1).as_text();
  a.step_id = opt_int64(q.column(2));
  a.argv_hash = q.column(3).as_text();
  a.requester = q.column(4).as_text();
  a.policy = q.column(5).as_text();
  a.risk = q.column(6).as_text();
  a.required_approvals = q.column(7).as_int();
  a.state = parse_approval_state(q.column(8).as_text()).value_or(ApprovalState::Expired);
  a.created_at = q.column(9).as_int64();
  a.expires_at = q.column(10).as_int64();
  a.decided_by = q.column(11).as_text();
  a.decided_at = opt_int64(q.column(12));
  a.reason = q.column(13).as_text();
  a.channel = q.column(14).as_text();
  a.message_ts = q.column(15).as_text();
  a.cluster = q.column(16).as_text();
  return a;
}

}  // namespace

// Approvals

Result<void> Store::create_approval(const ApprovalRecord& a) {
  sql::Statement q(*db_,
                   "INSERT INTO approvals(token, run_id, step_id, argv_hash, requester, policy, risk, "
                   "required_approvals, state, created_at, expires_at, channel, message_ts, cluster) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, a.token);
  q.bind(2, a.run_id);
  bind_opt(q, 3, a.step_id);
  q.bind(4, a.argv_hash);
  q.bind(5, a.requester);
  q.bind(6, a.policy);
  q.bind(7, a.risk);
  q.bind(8, a.required_approvals);
  q.bind(9, std::string(to_string(a.state)));
  q.bind(10, static_cast<std::int64_t>(a.created_at));
  q.bind(11, static_cast<std::int64_t>(a.expires_at));
  q.bind(12, a.channel);
  q.bind(13, a.message_ts);
  q.bind(14, a.cluster);
  try {
    q.exec();
  } catch (const sql::Error& e) {
    if (e.constraint()) {
      return make_error(Errc::Conflict, "approval token already exists");
    }
    throw;
  }
  return {};
}

std::optional<ApprovalRecord> Store::get_approval(const std::string& token) {
  sql::Statement q(*db_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE token=?");
  q.bind(1, token);
  if (q.step()) {
    return read_approval(q);
  }
  return std::nullopt;
}

std::vector<ApprovalRecord> Store::pending_approvals() {
  sql::Statement q(
      *db_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE state='pending' ORDER BY created_at");
  std::vector<ApprovalRecord> out;
  while (q.step()) {
    out.push_back(read_approval(q));
  }
  return out;
}

std::vector<ApprovalRecord> Store::list_approvals(const std::string& run_id) {
  sql::Statement q(
      *db_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE run_id=? ORDER BY created_at, rowid");
  q.bind(1, run_id);
  std::vector<ApprovalRecord> out;
  while (q.step()) {
    out.push_back(read_approval(q));
  }
  return out;
}

std::optional<ApprovalRecord> Store::find_approval_for_step(const std::string& run_id, std::int64_t step_id) {
  sql::Statement q(*db_, std::string("SELECT ") + kApprovalColumns +
                             " FROM approvals WHERE run_id=? AND step_id=? ORDER BY created_at DESC, rowid DESC "
                             "LIMIT 1");
  q.bind(1, run_id);
  q.bind(2, static_cast<std::int64_t>(step_id));
  if (q.step()) {
    return read_approval(q);
  }
  return std::nullopt;
}

void Store::set_approval_message(const std::string& token, const std::string& channel, const std::string& ts) {
  sql::Statement q(*db_, "UPDATE approvals SET channel=?, message_ts=? WHERE token=?");
  q.bind(1, channel);
  q.bind(2, ts);
  q.bind(3, token);
  q.exec();
}

int Store::add_approval_vote(const std::string& token, const std::string& user, long long at) {
  sql::Transaction tx(*db_);
  sql::Statement q(*db_,
                   "INSERT INTO approval_votes(token, \"user\", at) VALUES (?,?,?) "
                   "ON CONFLICT(token, \"user\") DO NOTHING");
  q.bind(1, token);
  q.bind(2, user);
  q.bind(3, static_cast<std::int64_t>(at));
  const bool added = q.exec() == 1;
  sql::Statement c(*db_, "SELECT COUNT(*) FROM approval_votes WHERE token=?");
  c.bind(1, token);
  c.step();
  const int count = c.column(0).as_int();
  tx.commit();
  return added ? count : 0;
}

std::vector<std::string> Store::approval_voters(const std::string& token) {
  sql::Statement q(*db_, "SELECT \"user\" FROM approval_votes WHERE token=? ORDER BY at, rowid");
  q.bind(1, token);
  std::vector<std::string> out;
  while (q.step()) {
    out.push_back(q.column(0).as_text());
  }
  return out;
}

bool Store::claim_approval_decision(const std::string& token, Decision decision, const std::string& decided_by,
                                    const std::string& reason, long long now) {
  sql::Statement q(*db_,
                   "UPDATE approvals SET state=?, decided_by=?, decided_at=?, reason=? "
                   "WHERE token=? AND state='pending' AND expires_at > ?");
  q.bind(1, decision == Decision::Approve ? "approved" : "denied");
  q.bind(2, decided_by);
  q.bind(3, static_cast<std::int64_t>(now));
  q.bind(4, scrub(reason));
  q.bind(5, token);
  q.bind(6, static_cast<std::int64_t>(now));
  return q.exec() == 1;
}

std::vector<ApprovalRecord> Store::expire_approvals(long long now) {
  sql::Transaction tx(*db_);
  std::vector<ApprovalRecord> out;
  {
    sql::Statement q(
        *db_, std::string("SELECT ") + kApprovalColumns + " FROM approvals WHERE state='pending' AND expires_at <= ?");
    q.bind(1, static_cast<std::int64_t>(now));
    while (q.step()) {
      out.push_back(read_approval(q));
    }
  }
  sql::Statement u(*db_,
                   "UPDATE approvals SET state='expired', decided_at=? WHERE state='pending' AND "
                   "expires_at <= ?");
  u.bind(1, static_cast<std::int64_t>(now));
  u.bind(2, static_cast<std::int64_t>(now));
  u.exec();
  tx.commit();
  for (auto& a : out) {
    a.state = ApprovalState::Expired;
    a.decided_at = now;
  }
  return out;
}

bool Store::cancel_approval(const std::string& token, long long now) {
  sql::Statement q(*db_,
                   "UPDATE approvals SET state='cancelled', decided_at=? WHERE token=? AND "
                   "state='pending'");
  q.bind(1, static_cast<std::int64_t>(now));
  q.bind(2, token);
  return q.exec() == 1;
}

}  // namespace vigil
