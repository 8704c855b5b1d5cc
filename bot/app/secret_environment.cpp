#include "bot/app/secret_environment.h"

#include <sys/prctl.h>

#include <cstdlib>
#include <cstring>

namespace vigil {

const std::vector<std::string>& secret_environment_names() {
  static const std::vector<std::string> names = {
      "SLACK_APP_TOKEN",
      "SLACK_BOT_TOKEN",
      "VIGIL_ALERTMANAGER_TOKEN",
      "VIGIL_PAGERDUTY_WEBHOOK_SECRETS",
      "VIGIL_OPSGENIE_TOKEN",
      "VIGIL_GRAFANA_TOKEN",
      "VIGIL_PAGERDUTY_API_TOKEN",
      "VIGIL_OPSGENIE_API_KEY",
      "VIGIL_ALERTMANAGER_API_TOKEN",
      "VIGIL_POSTGRES_DSN",
  };
  return names;
}

std::vector<std::string> forget_secret_environment(const std::vector<std::string>& names) {
  std::vector<std::string> forgotten;
  for (const auto& name : names) {
    char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      continue;
    }
    std::memset(value, 0, std::strlen(value));
    ::unsetenv(name.c_str());
    forgotten.push_back(name);
  }
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return forgotten;
}

}  // namespace vigil
