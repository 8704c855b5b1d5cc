#include "integrations/http/proxy_settings.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace vigil::http {
namespace {

std::optional<std::string> pick(const std::map<std::string, std::string>& env, const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    if (auto it = env.find(name); it != env.end() && !it->second.empty()) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::optional<Url> parse_proxy(const std::optional<std::string>& text) {
  if (!text) {
    return std::nullopt;
  }
  // A bare host:port means http://host:port.
  return Url::parse(text->find("://") == std::string::npos ? "http://" + *text : *text);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

ProxySettings ProxySettings::from_environment(const std::map<std::string, std::string>& env) {
  ProxySettings p;
  p.https_proxy = parse_proxy(pick(env, "https_proxy", "HTTPS_PROXY"));
  p.http_proxy = parse_proxy(pick(env, "http_proxy", "HTTP_PROXY"));
  p.no_proxy = pick(env, "no_proxy", "NO_PROXY").value_or("");
  return p;
}

std::optional<Url> ProxySettings::proxy_for(const Url& target) const {
  const auto& proxy = target.is_tls() ? https_proxy : http_proxy;
  if (!proxy) {
    return std::nullopt;
  }
  const auto host = lower(target.host);
  std::stringstream list(no_proxy);
  std::string item;
  while (std::getline(list, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), [](unsigned char c) { return std::isspace(c); }), item.end());
    item = lower(item);
    if (item.empty()) {
      continue;
    }
    if (item == "*") {
      return std::nullopt;
    }
    if (const auto colon = item.rfind(':');
        colon != std::string::npos && item.find(']') == std::string::npos && item.find(':') == colon) {
      if (item.substr(colon + 1) != target.port) {
        continue;
      }
      item = item.substr(0, colon);
    }
    if (item[0] == '.') {
      item = item.substr(1);
    }
    if (host == item || (host.size() > item.size() && host.compare(host.size() - item.size(), item.size(), item) == 0 &&
                         host[host.size() - item.size() - 1] == '.')) {
      return std::nullopt;
    }
  }
  return proxy;
}

std::string basic_auth(const std::string& userinfo) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = -6;
  for (unsigned char c : userinfo) {
    value = (value << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out += kAlphabet[(value >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) {
    out += kAlphabet[((value << 8) >> (bits + 8)) & 0x3F];
  }
  while (out.size() % 4) {
    out += '=';
  }
  return "Basic " + out;
}

}  // namespace vigil::http
