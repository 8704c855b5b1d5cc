#include "integrations/http/url.h"

#include <algorithm>
#include <cctype>

namespace vigil::http {

std::optional<Url> Url::parse(const std::string& text) {
  const auto sep = text.find("://");
  if (sep == std::string::npos) {
    return std::nullopt;
  }
  Url u;
  u.scheme = text.substr(0, sep);
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string default_port;
  if (u.scheme == "http" || u.scheme == "ws") {
    default_port = "80";
  } else if (u.scheme == "https" || u.scheme == "wss") {
    default_port = "443";
  } else {
    return std::nullopt;
  }
  auto rest = text.substr(sep + 3);
  const auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!u.target.empty() && u.target[0] == '?') {
    u.target = "/" + u.target;
  }
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    u.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      u.port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  if (u.port.empty()) {
    u.port = default_port;
  }
  if (u.host.empty() ||
      !std::all_of(u.port.begin(), u.port.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  return u;
}

std::string Url::host_header() const {
  const bool default_port = (is_tls() && port == "443") || (!is_tls() && port == "80");
  const auto h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

std::string Url::origin() const {
  return scheme + "://" + host + ":" + port;
}

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace vigil::http
