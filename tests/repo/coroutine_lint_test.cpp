// The coroutine checker catches each kind of expression g++ 12 miscompiles, on the line where it
// is, and leaves alone the habit the code follows (the value named first) and look-alikes in
// comments and string literals.
#include "tests/repo/coroutine_lint.h"

#include <gtest/gtest.h>

namespace vigil::repo {
namespace {

std::vector<std::string> problems_in(std::string_view source) {
  std::vector<std::string> out;
  for (const auto& f : find_coroutine_temporaries(source)) {
    out.push_back(std::to_string(f.line) + " " + f.keyword + ": " + f.problem);
  }
  return out;
}

TEST(CoroutineLint, FindsTheCrashOfHttpWebApiRespond) {
  const auto source =
      "Task<void> f() {\n"
      "  auto res = co_await http_.send(req);\n"
      "  co_await clock_.sleep_for(res && res->status == 429\n"
      "                                ? parse_retry_after(res->header(\"retry-after\"), b)\n"
      "                                : b * 2);\n"
      "}\n";
  EXPECT_EQ(problems_in(source),
            (std::vector<std::string>{"3 co_await: conditional expression", "3 co_await: string temporary"}));
}

TEST(CoroutineLint, FindsEachKindInsideCoAwait) {
  EXPECT_EQ(problems_in("co_await reply(c, \"text\");"), (std::vector<std::string>{"1 co_await: string temporary"}));
  EXPECT_EQ(problems_in("co_await reply(c, \"a\" + b);"), (std::vector<std::string>{"1 co_await: string temporary"}));
  EXPECT_EQ(problems_in("co_await reply(c, std::to_string(n));"),
            (std::vector<std::string>{"1 co_await: string temporary"}));
  EXPECT_EQ(problems_in("co_await reply(c, name.substr(0, 3));"),
            (std::vector<std::string>{"1 co_await: string temporary"}));
  EXPECT_EQ(problems_in("co_await post(Message{c, t});"), (std::vector<std::string>{"1 co_await: braced temporary"}));
  EXPECT_EQ(problems_in("co_await post({c, t});"), (std::vector<std::string>{"1 co_await: braced temporary"}));
  EXPECT_EQ(problems_in("co_await state([](int t) { return t; });"), (std::vector<std::string>{"1 co_await: lambda"}));
  EXPECT_EQ(problems_in("x = co_"
                        "await wait(a ? b : c);"),
            (std::vector<std::string>{"1 co_await: conditional expression"}));
}

TEST(CoroutineLint, FindsAggregatesBuiltInCoReturn) {
  EXPECT_EQ(problems_in("co_return Result<void>{};"), (std::vector<std::string>{"1 co_return: braced temporary"}));
  EXPECT_EQ(problems_in("co_return {};"), (std::vector<std::string>{"1 co_return: braced temporary"}));
  EXPECT_EQ(problems_in("\n\nco_"
                        "return MessageRef{a.empty() ? b : a, ts};"),
            (std::vector<std::string>{"3 co_return: conditional expression", "3 co_return: braced temporary"}));
  EXPECT_EQ(problems_in("co_"
                        "return ok ? value : error;"),
            (std::vector<std::string>{"1 co_return: conditional expression"}));
}

TEST(CoroutineLint, LeavesNamedValuesAndLookAlikesAlone) {
  const auto source =
      "Task<Result<MessageRef>> f() {\n"
      "  const std::string method = \"chat.postMessage\";  // co_"
      "await call(\"x\" ? a : b)\n"
      "  auto r = co_await call(method, args[0], Encoding::Json);\n"
      "  const auto text = \"co_"
      "await reply(c, \\\"text\\\" ? 1 : 2);\";\n"
      "  /* co_return Result<void>{}; */\n"
      "  const auto wait = r ? a : b;\n"
      "  co_await clock_.sleep_for(wait);\n"
      "  MessageRef ref{channel, ts};\n"
      "  if (co_await ready(ref)) co_return ref;\n"
      "  auto raw = R\"(co_"
      "await x(\"y\") ? 1 : {})\";\n"
      "  co_return done;\n"
      "}\n";
  EXPECT_EQ(problems_in(source), std::vector<std::string>{});
}

TEST(CoroutineLint, AWordThatOnlyContainsTheKeywordIsNotOne) {
  EXPECT_EQ(problems_in("int my_co_"
                        "await_count = a ? 1 : 2; auto co_"
                        "returned = T{};"),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace vigil::repo
