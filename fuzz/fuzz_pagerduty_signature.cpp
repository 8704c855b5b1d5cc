// X-PagerDuty-Signature checking as WebhookAuth runs it: the input is "header\nbody". A body signed
// with a configured secret must verify; the fuzzed header against the body must not crash.

#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "integrations/pagerduty/pagerduty_signature.h"

using namespace vigil;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  const auto nl = text.find('\n');
  const auto header = text.substr(0, nl);
  const auto body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  const std::vector<std::string> secrets{"", "first-fuzz-secret", "second-fuzz-secret"};
  (void)pagerduty::verify_v3_signature(header, body, secrets);
  const auto good = " " + pagerduty::sign_v3("second-fuzz-secret", body) + " ," + std::string(header);
  if (!pagerduty::verify_v3_signature(good, body, secrets)) {
    std::abort();  // a genuine signature was refused
  }
  return 0;
}
