#pragma once

#include <memory>
#include <string>
#include <vector>

#include <spdlog/common.h>
#include <spdlog/sinks/sink.h>

#include "bot/base/redactor.h"
#include "bot/base/task.h"

namespace vigil {

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  bool json = false;
};

/// Owns the log sink shared by every component logger. Each line is redacted before it is
/// formatted, so a token inside a message never reaches the output.
///
/// Context ids are written at the start of a message as `key=value` words (run=, incident=,
/// envelope=, step=, approval=, channel=, user=); the JSON format lifts them into fields and the
/// text format prints them as they are.
class Logging {
 public:
  /// Writes to stderr.
  Logging(LogOptions options, std::shared_ptr<const Redactor> redactor);
  /// Writes to `target` (tests pass an ostream sink).
  Logging(LogOptions options, std::shared_ptr<const Redactor> redactor, spdlog::sink_ptr target);

  /// A logger named for its component ("slack.socket", "store", …).
  Logger make(const std::string& component) const;
  void set_level(spdlog::level::level_enum level);
  const LogOptions& options() const { return options_; }

 private:
  LogOptions options_;
  spdlog::sink_ptr sink_;
  mutable std::vector<Logger> loggers_;
};

/// Parses "trace|debug|info|warn|error|critical|off".
bool parse_log_level(const std::string& text, spdlog::level::level_enum& out);

/// A logger that drops everything (for tests and optional parts).
Logger null_logger(const std::string& name = "null");

}  // namespace vigil
