// Property tests of the redactor: generated tokens of every kind it covers, in every encoding it
// reads through, inside generated text, with a fixed seed. No token survives; ordinary text (also
// encoded) comes out unchanged. No token-shaped literal is written here: every prefix is built by
// concatenation.

#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bot/base/redactor.h"

namespace vigil {
namespace {

using Rng = std::mt19937;

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::size_t pick(Rng& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

std::string random_of(Rng& rng, std::string_view alphabet, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += alphabet[pick(rng, alphabet.size())];
  }
  return s;
}

// A generated token: its whole text and the part that must not survive (the random material).
struct Token {
  std::string text;
  std::string secret;
};

struct TokenKind {
  const char* name;
  std::function<Token(Rng&)> make;
};

// The secret of a token is everything after its fixed prefix.
Token after_prefix(std::string prefix, std::string secret) {
  return Token{prefix + secret, secret};
}

std::vector<TokenKind> token_kinds() {
  return {
      {"slack bot",
       [](Rng& r) {
         return after_prefix(std::string("xox") + "b-", random_of(r, kDigits, 11) + "-" + random_of(r, kDigits, 13) +
                                                            "-" + random_of(r, kAlnum, 24));
       }},
      {"slack user",
       [](Rng& r) {
         return after_prefix(std::string("xox") + "p-", random_of(r, kDigits, 11) + "-" + random_of(r, kDigits, 12) +
                                                            "-" + random_of(r, kAlnum, 32));
       }},
      {"slack app",
       [](Rng& r) {
         return after_prefix(
             std::string("xap") + "p-1-",
             "A" + random_of(r, kUpper, 10) + "-" + random_of(r, kDigits, 13) + "-" + random_of(r, kAlnum, 64));
       }},
      {"slack webhook",
       [](Rng& r) {
         return after_prefix(
             std::string("https://hooks.") + "slack.com/services/",
             "T" + random_of(r, kUpper, 8) + "/B" + random_of(r, kUpper, 8) + "/" + random_of(r, kAlnum, 24));
       }},
      {"github classic", [](Rng& r) { return after_prefix(std::string("gh") + "p_", random_of(r, kAlnum, 36)); }},
      {"github app", [](Rng& r) { return after_prefix(std::string("gh") + "s_", random_of(r, kAlnum, 36)); }},
      {"github fine-grained",
       [](Rng& r) {
         return after_prefix(std::string("github") + "_pat_",
                             random_of(r, kAlnum, 22) + "_" + random_of(r, kAlnum, 59));
       }},
      {"aws key id",
       [](Rng& r) {
         const std::string prefixes[] = {std::string("AK") + "IA", std::string("AS") + "IA"};
         return after_prefix(prefixes[pick(r, 2)], random_of(r, std::string(kUpper) + std::string(kDigits), 16));
       }},
      {"gcp api key", [](Rng& r) { return after_prefix(std::string("AI") + "za", random_of(r, kBase64Url, 35)); }},
      {"gcp oauth", [](Rng& r) { return after_prefix(std::string("ya") + "29.", random_of(r, kBase64Url, 60)); }},
      {"anthropic", [](Rng& r) { return after_prefix(std::string("sk") + "-ant-api03-", random_of(r, kAlnum, 93)); }},
      {"jwt",
       [](Rng& r) {
         return after_prefix(std::string("ey") + "J", random_of(r, kBase64Url, 30) + "." + std::string("ey") + "J" +
                                                          random_of(r, kBase64Url, 40) + "." +
                                                          random_of(r, kBase64Url, 43));
       }},
      {"bearer", [](Rng& r) { return after_prefix("Bearer ", random_of(r, kAlnum, 40)); }},
      {"pem",
       [](Rng& r) {
         const std::string label = std::string("RSA PRI") + "VATE KEY-----";
         const std::string body =
             random_of(r, kBase64, 64) + "\n" + random_of(r, kBase64, 64) + "\n" + random_of(r, kBase64, 20) + "==";
         return Token{"-----" + std::string("BEGIN ") + label + "\n" + body + "\n-----END " + label, body};
       }},
  };
}

std::string hex2(unsigned char c, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  return {digits[c >> 4], digits[c & 15]};
}

bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// An encoding a token may be written in: every punctuation character escaped (and about a third of
// the letters and digits), or a line break somewhere inside.
struct Encoding {
  const char* name;
  std::function<std::string(Rng&, const std::string&)> apply;
};

std::string escape_each(Rng& r, const std::string& s, const std::function<std::string(unsigned char)>& escape) {
  std::string out;
  for (const char c : s) {
    out += !alnum(c) || pick(r, 3) == 0 ? escape(static_cast<unsigned char>(c)) : std::string(1, c);
  }
  return out;
}

std::string break_line(Rng& r, const std::string& s, const std::string& line_break) {
  const auto at = 1 + pick(r, s.size() - 2);
  return s.substr(0, at) + line_break + s.substr(at);
}

// Ordinary text wraps between words: a line break in place of a space.
std::string wrap_line(Rng& r, const std::string& s, const std::string& line_break) {
  std::vector<std::size_t> spaces;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') {
      spaces.push_back(i);
    }
  }
  if (spaces.empty()) {
    return s + line_break;
  }
  const auto at = spaces[pick(r, spaces.size())];
  return s.substr(0, at) + line_break + s.substr(at + 1);
}

std::vector<Encoding> encodings() {
  return {
      {"plain", [](Rng&, const std::string& s) { return s; }},
      {"percent",
       [](Rng& r, const std::string& s) {
         const bool upper = pick(r, 2) == 0;
         return escape_each(r, s, [upper](unsigned char c) { return "%" + hex2(c, upper); });
       }},
      {"json \\u",
       [](Rng& r, const std::string& s) {
         return escape_each(r, s, [](unsigned char c) { return "\\u00" + hex2(c, false); });
       }},
      {"line break", [](Rng& r, const std::string& s) { return break_line(r, s, "\n"); }},
      {"crlf", [](Rng& r, const std::string& s) { return break_line(r, s, "\r\n"); }},
      {"json line break", [](Rng& r, const std::string& s) { return break_line(r, s, "\\n"); }},
      {"percent line break",
       [](Rng& r, const std::string& s) {
         return escape_each(r, break_line(r, s, "\n"), [](unsigned char c) { return "%" + hex2(c, true); });
       }},
      {"json in json",
       [](Rng& r, const std::string& s) {
         return escape_each(r, s, [](unsigned char c) { return "\\\\u00" + hex2(c, false); });
       }},
  };
}

// Ordinary words, among them ones that look like the start of a token or a key. (Not `sk-` on its
// own: a line ending in it, joined to a long hyphenated word on the next, reads as a wrapped key,
// and the redactor errs on the side of the mask.)
const std::vector<std::string>& words() {
  static const std::vector<std::string> w = {
      "pod",
      "api-7d9f",
      "crash-looping:",
      "OOMKilled,",
      "exit",
      "code",
      "137",
      "restarts",
      "PWD=/home/x",
      "OLDPWD=/home/alex",
      "disk-pressure",
      "task-runner-2024",
      "skip-ant-nest",
      "ghost_town",
      "xoxo",
      "AKIA",
      "eyJ",
      "sk",
      "tokens",
      "passwords",
      "secrets",
      "95%",
      "50%-60%",
      "C:\\temp",
      "\"quoted\"",
      "{\"a\":1}",
      "https://x.io/a?b=c",
      "user@host",
      "kubectl",
      "describe",
      "deployment/checkout",
      "node-1",
      "10.0.0.1:8080",
      "p99=1.2s",
      "status=200",
      "ya29",
      "AIza",
      "github",
      "hooks",
      "xapp",
  };
  return w;
}

std::string ordinary_text(Rng& r, std::size_t n) {
  const char* separators[] = {" ", " ", " ", ", ", "\n", ": ", " - "};
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      s += separators[pick(r, std::size(separators))];
    }
    s += words()[pick(r, words().size())];
  }
  return s;
}

// Whether any `width`-character piece of `secret` is in `text`.
bool any_piece_in(const std::string& text, const std::string& secret, std::size_t width) {
  for (std::size_t i = 0; i + width <= secret.size(); ++i) {
    if (text.find(secret.substr(i, width)) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(RedactorProperty, NoGeneratedTokenSurvivesAnyEncodingOrNeighbour) {
  Rng rng(20261207);
  const Redactor r;
  const auto kinds = token_kinds();
  const auto encs = encodings();
  const std::string neighbours = "aZ7_ -=:\"'/(%.\t,";
  int cases = 0;
  for (int round = 0; round < 40; ++round) {
    for (const auto& kind : kinds) {
      for (const auto& enc : encs) {
        const auto token = kind.make(rng);
        const auto encoded = enc.apply(rng, token.text);
        // One draw per line, in this order: the order of operands of + is unspecified, and g++ and
        // clang++ took the draws in different orders, so each compiler tested other cases.
        const char before_neighbour = neighbours[pick(rng, neighbours.size())];
        const auto before_words = pick(rng, 6);
        const std::string before = ordinary_text(rng, before_words) + before_neighbour;
        const auto after_words = pick(rng, 6);
        const std::string after_text = ordinary_text(rng, after_words);
        const std::string after = neighbours[pick(rng, neighbours.size())] + after_text;
        const auto out = r.redact(before + encoded + after);
        ++cases;
        EXPECT_NE(out.find(Redactor::kMask), std::string::npos) << kind.name << " / " << enc.name << ": " << out;
        EXPECT_FALSE(any_piece_in(out, token.secret, 8))
            << kind.name << " / " << enc.name << "\n in:  " << before + encoded + after << "\n out: " << out;
        // What the token was written as (escapes and all) is gone too.
        const auto secret_at = encoded.size() >= token.secret.size() ? encoded.size() - token.secret.size() : 0;
        EXPECT_FALSE(any_piece_in(out, encoded.substr(secret_at), 12))
            << kind.name << " / " << enc.name << "\n in:  " << before + encoded + after << "\n out: " << out;
        if (HasFailure()) {
          return;
        }
      }
    }
  }
  EXPECT_EQ(cases, 40 * 14 * 8);
}

TEST(RedactorProperty, OrdinaryTextComesOutUnchangedInAnyEncoding) {
  Rng rng(7);
  const Redactor r;
  const auto encs = encodings();
  for (int round = 0; round < 3000; ++round) {
    const auto text = ordinary_text(rng, 1 + pick(rng, 30));
    const auto& enc = encs[pick(rng, encs.size())];
    const std::string name = enc.name;
    const auto encoded = name == "line break"        ? wrap_line(rng, text, "\n")
                         : name == "crlf"            ? wrap_line(rng, text, "\r\n")
                         : name == "json line break" ? wrap_line(rng, text, "\\n")
                                                     : enc.apply(rng, text);
    ASSERT_EQ(r.redact(encoded), encoded) << enc.name;
  }
}

}  // namespace
}  // namespace vigil
