#pragma once

#include "bot/config.h"
#include "bot/base/logging.h"
#include "bot/store.h"

namespace vigil {

/// `vigil serve` against Slack: one io_context, the Socket Mode client with every envelope acked
/// and deduplicated in the store, inbound events logged until the handlers exist, graceful
/// SIGINT/SIGTERM. Returns the process exit code.
int serve_slack(const Config& config, Store& store, const Logging& logging);

}  // namespace vigil
