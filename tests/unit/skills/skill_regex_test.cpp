#include "skills/skill_regex.h"

#include <gtest/gtest.h>

namespace vigil::skills {
namespace {

bool found(const std::string& pattern, std::string_view text, RegexLines lines = RegexLines::Whole,
           bool icase = false) {
  const auto r = regex_search(pattern, text, lines, icase);
  EXPECT_TRUE(r) << pattern << ": " << r.error().detail;
  return r && *r;
}

// What skills were written against (std::regex, ECMAScript) still holds.
TEST(SkillRegex, EcmaScriptMeaningsOfAnchorsDotAndCase) {
  const std::string out = "NAME READY\ncheckout-7d9 0/1\nready 3/3";
  EXPECT_FALSE(found("^ready", out));  // whole text: ^ is its start
  EXPECT_TRUE(found("^NAME", out));
  EXPECT_TRUE(found("3/3$", out));
  EXPECT_FALSE(found("0/1$", out));
  EXPECT_FALSE(found("READY.checkout", out));  // `.` stops at a newline
  EXPECT_TRUE(found("^ready", out, RegexLines::Each));
  EXPECT_TRUE(found("0/1$", out, RegexLines::Each));
  EXPECT_FALSE(found("READY.checkout", out, RegexLines::Each));
  EXPECT_FALSE(found("crashloopbackoff", "Back-off: CrashLoopBackOff"));
  EXPECT_TRUE(found("crashloopbackoff", "Back-off: CrashLoopBackOff", RegexLines::Whole, true));
  EXPECT_TRUE(found(R"(\d+/\d+\s)", "ready 3/3 "));
}

TEST(SkillRegex, CaptureIsGroupOneOrTheWholeMatch) {
  const std::string out = "Name: web\nControlled By:  ReplicaSet/web-7d9c8b6f5d\nReplicas: 3 current";
  auto rs = regex_capture(R"(Controlled By:\s+ReplicaSet/([a-z0-9-]+))", out);
  ASSERT_TRUE(rs);
  ASSERT_TRUE(*rs);
  EXPECT_EQ(**rs, "web-7d9c8b6f5d");
  auto whole = regex_capture(R"(^Replicas: \d+)", out);
  ASSERT_TRUE(whole && *whole);
  EXPECT_EQ(**whole, "Replicas: 3");
  auto none = regex_capture("Image: (.*)", out);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(SkillRegex, FullMatchIsTheWholeValue) {
  EXPECT_TRUE(*regex_full_match("[a-z0-9-]+", "web-7d9c8b6f5d"));
  EXPECT_FALSE(*regex_full_match("[a-z0-9-]+", "web 7d9"));
  EXPECT_FALSE(*regex_full_match("[a-z]+", "web\nprod"));
}

TEST(SkillRegex, ABadPatternIsAnErrorWithTheReason) {
  const auto bad = check_regex("crash[loop");
  ASSERT_FALSE(bad);
  EXPECT_FALSE(bad.error().detail.empty());
  EXPECT_TRUE(check_regex("crash[- ]?loop"));
  const auto search = regex_search("(unclosed", "text", RegexLines::Whole);
  ASSERT_FALSE(search);
  EXPECT_EQ(search.error().detail.rfind("/(unclosed/: ", 0), 0u) << search.error().detail;
}

// libstdc++'s std::regex recursed once per character: `.*OOMKilled` over 65 KB of tool output, or
// `[a-z ]+ down` / `(a|b)*c` over 20-65 KB, overflowed the stack and took the process down. Step
// output is kept up to 256 KiB. Now the match either completes or gives up with an error.
TEST(SkillRegex, LongToolOutputNeverCrashesTheMatch) {
  const std::string out = std::string(256 * 1024, 'a') + "!";
  for (const char* pattern : {".*OOMKilled", "[a-z ]+ down", "(a|b)*c", "(a+)+$"}) {
    const auto r = regex_search(pattern, out, RegexLines::Whole);
    if (r) {
      EXPECT_FALSE(*r) << pattern;
    } else {
      EXPECT_FALSE(r.error().detail.empty()) << pattern;
    }
    const auto c = regex_capture(pattern, out);
    EXPECT_TRUE(!c || !*c) << pattern;
  }
  // A pattern that matches late in long output still finds it.
  EXPECT_TRUE(found("OOMKilled", std::string(200'000, 'x') + " OOMKilled"));
  const auto late = regex_capture(R"(restarts: (\d+))", std::string(200'000, 'x') + "\nrestarts: 42\n");
  ASSERT_TRUE(late && *late);
  EXPECT_EQ(**late, "42");
}

}  // namespace
}  // namespace vigil::skills
