#pragma once

#include <functional>
#include <memory>

#include "bot/core/config.h"
#include "bot/base/logging.h"
#include "bot/base/redactor.h"
#include "bot/store/store.h"

namespace vigil {

/// `vigil serve` against Slack: one io_context, the real adapters (Beast HTTP client and websocket
/// transport, the Web API client), the App on top, graceful SIGINT/SIGTERM. Returns the exit code.
/// `on_listening` runs once http.listen is bound (the sandbox prints its page's address then), never
/// when binding fails.
int serve_slack(const Config& config, Store& store, const Logging& logging, std::shared_ptr<const Redactor> redactor,
                const std::function<void()>& on_listening = {});

}  // namespace vigil
