#pragma once

#include <string>

#include "bot/core/config.h"
#include "bot/store/store.h"

namespace vigil {

/// What storage.retention lets go at `now` (unix seconds): the cut-off of each kind.
PruneCutoffs retention_cutoffs(const DataRetentionConfig& policy, long long now);

/// One pruning pass: what went, and whether anything old enough is left for the next pass.
struct PrunePass {
  PruneCounts deleted;
  bool drained = true;
};

/// Deletes rows past storage.retention, `policy.batch_rows` of each kind per batch (one short
/// transaction per kind), at most `max_batches` batches: a pass never holds the io thread long;
/// the caller comes back while `drained` is false.
PrunePass prune_aged_rows(Store& store, const DataRetentionConfig& policy, long long now, int max_batches);

/// One line per kind, "runs: 12", in the order they are deleted (for `vigil runs prune`).
std::string format_prune_counts(const PruneCounts& counts);

/// Each kind with its name (the `kind` label of vigil_store_rows_pruned_total).
template <class F>
void for_each_kind(const PruneCounts& c, F&& f) {
  f("run_events", c.run_events);
  f("approvals", c.approvals);
  f("steps", c.steps);
  f("runs", c.runs);
  f("incident_events", c.incident_events);
  f("incidents", c.incidents);
  f("webhook_deliveries", c.webhook_deliveries);
  f("audit", c.audit);
}

}  // namespace vigil
