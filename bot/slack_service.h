#pragma once

#include <memory>

#include "bot/config.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/store.h"

namespace vigil {

/// `vigil serve` against Slack: one io_context, the real adapters (Beast HTTP client and websocket
/// transport, the Web API client), the App on top, graceful SIGINT/SIGTERM. Returns the exit code.
int serve_slack(const Config& config, Store& store, const Logging& logging,
                std::shared_ptr<const Redactor> redactor);

}  // namespace vigil
