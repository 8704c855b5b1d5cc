#pragma once

#include <chrono>
#include <string>

#include "bot/base/error.h"

namespace vigil {

/// `GET <path>` on Vigil's own listen address (`host:port`; 0.0.0.0 and :: mean loopback) and the
/// HTTP status it answered. For `vigil healthcheck`: container images carry no curl.
Result<int> probe_http(const std::string& listen, const std::string& path, std::chrono::milliseconds timeout);

}  // namespace vigil
