#include "bot/base/utf8.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Utf8, CutsNeverSplitACharacter) {
  const std::string s =
      "ab\xC3\xA9"
      "c\xF0\x9F\x94\xA5";  // a b é c 🔥
  EXPECT_EQ(utf8_floor(s, 0), 0u);
  EXPECT_EQ(utf8_floor(s, 3), 2u);  // inside é
  EXPECT_EQ(utf8_floor(s, 4), 4u);
  EXPECT_EQ(utf8_floor(s, 7), 5u);  // inside 🔥
  EXPECT_EQ(utf8_floor(s, 99), s.size());
  EXPECT_EQ(utf8_prefix(s, 3), "ab");
  EXPECT_EQ(utf8_prefix(s, 8),
            "ab\xC3\xA9"
            "c");
  EXPECT_EQ(utf8_prefix(s, 9), s);
  std::string t = s;
  utf8_truncate(t, 6);
  EXPECT_EQ(t,
            "ab\xC3\xA9"
            "c");
  utf8_truncate(t, 100);
  EXPECT_EQ(t,
            "ab\xC3\xA9"
            "c");
}

// PostgreSQL's text refuses NUL and malformed UTF-8; each bad byte becomes one U+FFFD.
TEST(Utf8, ScrubbedKeepsWellFormedTextAndReplacesEveryBadByte) {
  const std::string good = "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\xA5";
  EXPECT_EQ(utf8_scrubbed(good), good);
  EXPECT_EQ(utf8_scrubbed(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8_scrubbed("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong '/'";
  EXPECT_EQ(utf8_scrubbed("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "a surrogate";
  EXPECT_EQ(utf8_scrubbed("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "past U+10FFFF";
  EXPECT_EQ(utf8_scrubbed("ab\xE2\x82"), "ab\xEF\xBF\xBD\xEF\xBF\xBD") << "cut short";
  EXPECT_EQ(utf8_character_length("\xF0\x9F\x94\xA5"), 4u);
  EXPECT_EQ(utf8_character_length(""), 0u);
}

}  // namespace
}  // namespace vigil
