// Alertmanager's API v2 answers (GET /api/v2/alerts/groups) as Vigil reads them to recover the
// labels of an alert posted with the default Slack template: parse_alert_groups, default_title and
// match_default_title. The input is "title\nbody". The answer is untrusted (any server at
// alertmanager.url, or a proxy in front of it); nothing may throw or leave broken UTF-8.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "integrations/alertmanager/alert_groups.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  const auto nl = text.find('\n');
  const std::string title(text.substr(0, nl));
  const auto body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  const auto groups = alertmanager::parse_alert_groups(body);
  if (!groups) {
    return 0;
  }
  for (const auto& g : *groups) {
    const auto rendered = alertmanager::default_title(g);
    // A group always matches its own title, unless another group renders the same.
    const auto self = alertmanager::match_default_title({g}, g.receiver, rendered);
    if (!self.found) {
      std::abort();
    }
    (void)nlohmann::json(self.labels).dump();
  }
  if (fuzz::valid_utf8(title)) {
    const auto m = alertmanager::match_default_title(*groups, "", title);
    (void)nlohmann::json(m.labels).dump();
    fuzz::require_utf8("why_not", m.why_not);
  }
  return 0;
}
