// render_config (bot/core/config_render.cpp): `vigil config show`.
#include "bot/core/config.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

std::string app_token() {
  return std::string("xap") + "p-1-A111-222-abcdef";
}
std::string bot_token() {
  return std::string("xox") + "b-111-222-abcdefgh";
}

TEST(ConfigRender, MasksSecrets) {
  const auto load = load_config_text("", "",
                                     {{"SLACK_APP_TOKEN", app_token()},
                                      {"SLACK_BOT_TOKEN", bot_token()},
                                      {"VIGIL_GRAFANA_TOKEN", "grafana-token-xyz"}});
  ASSERT_TRUE(load.ok());
  const auto text = render_config(load.config);
  EXPECT_EQ(text.find(app_token()), std::string::npos);
  EXPECT_EQ(text.find(bot_token()), std::string::npos);
  EXPECT_EQ(text.find("grafana-token-xyz"), std::string::npos);
  EXPECT_NE(text.find("bot_token: \"***\""), std::string::npos) << text;
}

// Every section, in the order the file documents them, each with a value read from the file.
TEST(ConfigRender, ShowsEverySectionInOrderWithTheFilesValues) {
  const auto load = load_config_text(
      "agent:\n  workspace_root: /var/lib/vigil/ws\n  max_concurrent: 7\n"
      "channels:\n  - id: C0123ABCD\n    auto_triage: true\n"
      "incidents:\n  channel_prefix: sev\n"
      "logging:\n  level: debug\n",
      "", {});
  ASSERT_TRUE(load.ok()) << (load.errors.empty() ? "" : load.errors[0].to_string());
  const auto text = render_config(load.config);
  std::size_t last = 0;
  for (const auto* section : {"slack", "channels", "approvals", "agent", "kubernetes", "http", "pagerduty", "opsgenie",
                              "alertmanager", "redaction", "storage", "logging", "skills", "incidents"}) {
    const auto at = text.find(std::string("\n") + section + ":");
    const auto first = text.rfind(std::string(section) + ":", 0) == 0;
    ASSERT_TRUE(first || at != std::string::npos) << section << " missing in\n" << text;
    const auto pos = first ? 0 : at + 1;
    EXPECT_GE(pos, last) << section << " out of order in\n" << text;
    last = pos;
  }
  EXPECT_EQ(text.rfind("slack:", 0), 0u) << text;
  EXPECT_NE(text.find("  max_concurrent: 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - id: C0123ABCD\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  channel_prefix: sev\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  level: debug\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil
