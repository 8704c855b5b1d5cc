#include "bot/core/run_lookup.h"

#include "bot/store/store.h"

namespace vigil {

RunLookup find_run(Store& store, const std::string& id_or_prefix) {
  if (auto run = store.get_run(id_or_prefix)) {
    return std::move(*run);
  }
  auto runs = store.find_runs_by_prefix(id_or_prefix, 2);
  if (runs.empty()) {
    return RunLookupFailure::NotFound;
  }
  if (runs.size() > 1) {
    return RunLookupFailure::Ambiguous;
  }
  return std::move(runs.front());
}

}  // namespace vigil
