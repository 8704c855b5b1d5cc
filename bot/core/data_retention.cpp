#include "bot/core/data_retention.h"

namespace vigil {

PruneCutoffs retention_cutoffs(const DataRetentionConfig& policy, long long now) {
  PruneCutoffs c;
  c.runs_before = now - policy.runs.count();
  c.incidents_before = now - policy.incidents.count();
  c.deliveries_before = now - policy.webhook_deliveries.count();
  c.audit_before = now - policy.audit.count();
  return c;
}

PrunePass prune_aged_rows(Store& store, const DataRetentionConfig& policy, long long now, int max_batches) {
  const auto cutoffs = retention_cutoffs(policy, now);
  PrunePass pass;
  for (int i = 0; i < max_batches; ++i) {
    const auto batch = store.prune_batch(cutoffs, policy.batch_rows);
    pass.deleted += batch;
    // Runs go only once their children are gone, and incidents once their runs are: the pass ends
    // with a batch that found nothing left.
    if (batch.total() == 0) {
      pass.drained = true;
      return pass;
    }
    pass.drained = false;
  }
  return pass;
}

std::string format_prune_counts(const PruneCounts& counts) {
  std::string out;
  for_each_kind(counts,
                [&](const char* kind, long long n) { out += std::string(kind) + ": " + std::to_string(n) + "\n"; });
  out += "total: " + std::to_string(counts.total()) + "\n";
  return out;
}

}  // namespace vigil
