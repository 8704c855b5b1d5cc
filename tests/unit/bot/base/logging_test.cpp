#include "bot/base/logging.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

namespace vigil {
namespace {

std::string bot_token() {
  return std::string("xox") + "b-1111111111-2222222222-abcdefghijklmnopqrstuvwx";
}

struct Captured {
  std::ostringstream out;
  std::unique_ptr<Logging> logging;
  Captured(bool json, spdlog::level::level_enum level = spdlog::level::info) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    logging = std::make_unique<Logging>(LogOptions{level, json}, std::make_shared<Redactor>(), sink);
  }
};

TEST(Logging, TokenInsideMessageNeverReachesTextOutput) {
  Captured c(false);
  auto log = c.logging->make("slack.web");
  log->info("calling chat.postMessage with Authorization: Bearer {}", bot_token());
  log->flush();
  const auto text = c.out.str();
  EXPECT_EQ(text.find("xoxb-"), std::string::npos) << text;
  EXPECT_EQ(text.find("abcdefghijklmnopqrstuvwx"), std::string::npos) << text;
  EXPECT_NE(text.find("slack.web"), std::string::npos);
  EXPECT_NE(text.find("[REDACTED]"), std::string::npos);
}

TEST(Logging, TokenInsideMessageNeverReachesJsonOutput) {
  Captured c(true);
  auto log = c.logging->make("store");
  log->warn("token was {}", bot_token());
  log->flush();
  EXPECT_EQ(c.out.str().find("xoxb-"), std::string::npos) << c.out.str();
}

TEST(Logging, JsonLinesCarryComponentLevelAndContextIds) {
  Captured c(true);
  auto log = c.logging->make("run");
  log->info("run=0b8f2c1e-1111-4222-8333-444455556666 envelope=e-1: step finished");
  log->flush();
  const auto line = nlohmann::json::parse(c.out.str());
  EXPECT_EQ(line["component"], "run");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["run"], "0b8f2c1e-1111-4222-8333-444455556666");
  EXPECT_EQ(line["envelope"], "e-1");
  EXPECT_EQ(line["message"], "step finished");
  EXPECT_TRUE(line.contains("time"));
}

TEST(Logging, LevelFiltersLines) {
  Captured c(false, spdlog::level::warn);
  auto log = c.logging->make("x");
  log->info("quiet");
  log->warn("loud");
  log->flush();
  EXPECT_EQ(c.out.str().find("quiet"), std::string::npos);
  EXPECT_NE(c.out.str().find("loud"), std::string::npos);
}

TEST(Logging, ParsesLevels) {
  spdlog::level::level_enum l{};
  EXPECT_TRUE(parse_log_level("debug", l));
  EXPECT_EQ(l, spdlog::level::debug);
  EXPECT_FALSE(parse_log_level("loud", l));
}

}  // namespace
}  // namespace vigil
