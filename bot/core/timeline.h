#pragma once

#include <string>

#include "bot/store/store.h"

namespace vigil {

/// The machine-readable run manifest, as read back from the store (the Markdown timeline people
/// read is in bot/slack/markdown_timeline.h).
std::string format_run_json(Store& store, const RunRecord& run);
/// "2026-11-22T03:04:05Z" (UTC) from seconds / "…05.123Z" from milliseconds.
std::string format_time(long long unix_seconds);
std::string format_time_ms(long long unix_ms);
/// "2026-11-22 03:41 UTC": what people read on cards and in replies.
std::string human_time(long long unix_seconds);

}  // namespace vigil
