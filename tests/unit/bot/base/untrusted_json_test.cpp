#include "bot/base/untrusted_json.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(UntrustedJson, DepthIsCountedOutsideStringsOnly) {
  EXPECT_TRUE(json_depth_within(nested(kMaxJsonDepth)));
  EXPECT_FALSE(json_depth_within(nested(kMaxJsonDepth + 1)));
  EXPECT_TRUE(json_depth_within(R"({"a":"[[[[[[","b":"\"{{{{"})", 1));
  EXPECT_FALSE(json_depth_within(R"({"a":{"b":1}})", 1));
  EXPECT_TRUE(json_depth_within("]]]]{}", 1));  // stray closers do not go negative
}

TEST(UntrustedJson, ParsesOrDiscardsWithoutThrowing) {
  EXPECT_EQ(parse_untrusted_json(R"({"a":[1,2]})")["a"].size(), 2u);
  EXPECT_TRUE(parse_untrusted_json("{not json").is_discarded());
  EXPECT_TRUE(parse_untrusted_json(nested(100000)).is_discarded());
  EXPECT_FALSE(parse_untrusted_json(nested(kMaxJsonDepth)).is_discarded());
}

}  // namespace
}  // namespace vigil
