#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil::pagerduty {

/// "v1=<hex HMAC-SHA256 of body>" for one secret.
std::string sign_v3(std::string_view secret, std::string_view body);

/// Checks an X-PagerDuty-Signature header ("v1=abc,v1=def": several during a secret rotation)
/// against every configured secret, in constant time per comparison.
bool verify_v3_signature(std::string_view header, std::string_view body, const std::vector<std::string>& secrets);

}  // namespace vigil::pagerduty
