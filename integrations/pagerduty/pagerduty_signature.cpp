#include "integrations/pagerduty/pagerduty_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vigil::pagerduty {

std::string sign_v3(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "v1=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kDigits[mac[i] >> 4];
    out += kDigits[mac[i] & 0x0f];
  }
  return out;
}

bool verify_v3_signature(std::string_view header, std::string_view body, const std::vector<std::string>& secrets) {
  std::vector<std::string_view> given;
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto part = header.substr(0, comma);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ')
      part.remove_suffix(1);
    if (part.rfind("v1=", 0) == 0) {
      given.push_back(part);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    header.remove_prefix(comma + 1);
  }
  bool ok = false;
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    const auto expected = sign_v3(secret, body);
    for (const auto g : given) {
      if (g.size() == expected.size() && CRYPTO_memcmp(g.data(), expected.data(), expected.size()) == 0) {
        ok = true;
      }
    }
  }
  return ok;
}

}  // namespace vigil::pagerduty
