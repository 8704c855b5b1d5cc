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

}  // namespace
}  // namespace vigil
