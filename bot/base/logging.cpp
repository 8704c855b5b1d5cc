#include "bot/base/logging.h"

#include <array>
#include <chrono>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace vigil {
namespace {

constexpr std::array<std::string_view, 7> kContextKeys = {"run",      "incident", "envelope", "step",
                                                          "approval", "channel",  "user"};

std::string iso_time(spdlog::log_clock::time_point tp) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp - secs).count();
  const std::time_t t = spdlog::log_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// One JSON object per line: time, level, component, message, plus the context ids found at the
// start of the message.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    nlohmann::json line;
    line["time"] = iso_time(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["component"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    // Lift leading key=value words that name a known context id.
    while (true) {
      const auto space = text.find(' ');
      const auto word = text.substr(0, space);
      const auto eq = word.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        break;
      }
      auto key = word.substr(0, eq);
      auto value = word.substr(eq + 1);
      if (!value.empty() && value.back() == ':') {
        value.remove_suffix(1);
      }
      if (std::find(kContextKeys.begin(), kContextKeys.end(), key) == kContextKeys.end() || value.empty()) {
        break;
      }
      line[std::string(key)] = std::string(value);
      if (space == std::string_view::npos) {
        text = {};
        break;
      }
      text.remove_prefix(space + 1);
    }
    line["message"] = std::string(text);
    const auto out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(out.data(), out.data() + out.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Redacts the message, then formats and forwards it to the target sink.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(std::shared_ptr<const Redactor> redactor, spdlog::sink_ptr target, bool json)
      : redactor_(std::move(redactor)), target_(std::move(target)) {
    if (json) {
      target_->set_formatter(std::make_unique<JsonFormatter>());
    } else {
      target_->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %-5l %n: %v",
                                                                         spdlog::pattern_time_type::utc));
    }
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string clean = redactor_->redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, clean);
    target_->log(copy);
  }
  void flush_() override { target_->flush(); }

 private:
  std::shared_ptr<const Redactor> redactor_;
  spdlog::sink_ptr target_;
};

}  // namespace

Logging::Logging(LogOptions options, std::shared_ptr<const Redactor> redactor)
    : Logging(options, std::move(redactor), std::make_shared<spdlog::sinks::stderr_sink_mt>()) {}

Logging::Logging(LogOptions options, std::shared_ptr<const Redactor> redactor, spdlog::sink_ptr target)
    : options_(options), sink_(std::make_shared<RedactingSink>(std::move(redactor), std::move(target), options.json)) {}

Logger Logging::make(const std::string& component) const {
  auto logger = std::make_shared<spdlog::logger>(component, sink_);
  logger->set_level(options_.level);
  logger->flush_on(spdlog::level::warn);
  loggers_.push_back(logger);
  return logger;
}

void Logging::set_level(spdlog::level::level_enum level) {
  options_.level = level;
  for (auto& l : loggers_) {
    l->set_level(level);
  }
}

bool parse_log_level(const std::string& text, spdlog::level::level_enum& out) {
  static const std::array<std::pair<std::string_view, spdlog::level::level_enum>, 8> levels = {{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  }};
  for (const auto& [name, level] : levels) {
    if (text == name) {
      out = level;
      return true;
    }
  }
  return false;
}

Logger null_logger(const std::string& name) {
  return std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
}

}  // namespace vigil
