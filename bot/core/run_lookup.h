#pragma once

#include <string>
#include <variant>

#include "bot/store/model.h"

namespace vigil {

class Store;

/// Why no run answers the id a person gave.
enum class RunLookupFailure {
  NotFound,   // no run has that id or id prefix
  Ambiguous,  // the prefix matches more than one run
};

using RunLookup = std::variant<RunRecord, RunLookupFailure>;

/// The run a person named: its full id, or a prefix of it only one run has (people copy the short
/// id from Slack).
RunLookup find_run(Store& store, const std::string& id_or_prefix);

}  // namespace vigil
