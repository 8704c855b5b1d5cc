// People's ids in text: which words are Slack user ids, and how Slack text names them.
#include "bot/slack/user_directory.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(UserIds, OnlyIdShapedWordsCount) {
  EXPECT_TRUE(looks_like_user_id("U0DEMOALEX"));
  EXPECT_TRUE(looks_like_user_id("W012A3CDE"));
  EXPECT_FALSE(looks_like_user_id("UNKNOWN"));      // no digit: an ordinary word
  EXPECT_FALSE(looks_like_user_id("U0demo"));       // lower case
  EXPECT_FALSE(looks_like_user_id("C0INCIDENT1"));  // a channel
  EXPECT_FALSE(looks_like_user_id("U12"));
  EXPECT_EQ(user_ids_in("restart: denied by U0DEMOALEX; asked <@U0DEMOSAM1> and UNKNOWN"),
            (std::set<std::string>{"U0DEMOALEX", "U0DEMOSAM1"}));
}

TEST(UserIds, BareIdsBecomeMentionsOutsideCode) {
  EXPECT_EQ(mention_user_ids("restart: denied by U0DEMOALEX: not now"), "restart: denied by <@U0DEMOALEX>: not now");
  // Already a mention, or inside code: left alone.
  EXPECT_EQ(mention_user_ids("asked by <@U0DEMOALEX>"), "asked by <@U0DEMOALEX>");
  EXPECT_EQ(mention_user_ids("ask &lt;@U0DEMOALEX&gt; please"), "ask <@U0DEMOALEX> please") << "escaped on its way";
  EXPECT_EQ(mention_user_ids("• `U0DEMOALEX` denied by U0DEMOALEX"), "• `U0DEMOALEX` denied by <@U0DEMOALEX>");
  EXPECT_EQ(mention_user_ids("```\nU0DEMOALEX\n```\nby U0DEMOALEX"), "```\nU0DEMOALEX\n```\nby <@U0DEMOALEX>");
}

}  // namespace
}  // namespace vigil
