#pragma once

#include <string>

#include "bot/store.h"

namespace vigil {

/// Formats of a run as read back from the store: the plain-text timeline people read in a
/// terminal, and the machine-readable run manifest.
std::string format_run_text(Store& store, const RunRecord& run);
std::string format_run_json(Store& store, const RunRecord& run);
/// "2026-11-22T03:04:05Z" (UTC) from seconds / "…05.123Z" from milliseconds.
std::string format_time(long long unix_seconds);
std::string format_time_ms(long long unix_ms);

}  // namespace vigil
