// The function-length checker measures each body from its opening to its closing brace, names the
// line of the signature, passes a body that says why it is kept long, and is not fooled by braces
// in comments, strings, lambdas, initialisers, control statements or class bodies.
#include "tests/repo/function_length.h"

#include <gtest/gtest.h>

namespace vigil::repo {
namespace {

std::string body(int lines) {
  std::string out;
  for (int i = 0; i < lines; ++i)
    out += "  step();\n";
  return out;
}

std::vector<std::string> found_in(const std::string& source, int limit = 5) {
  std::vector<std::string> out;
  for (const auto& f : find_long_functions(source, limit)) {
    out.push_back(std::to_string(f.line) + " " + std::to_string(f.body_lines) + " " + f.signature);
  }
  return out;
}

TEST(FunctionLength, ReportsABodyOverTheLimitAtItsSignature) {
  const auto source = "#include <x>\n\nint short_one() {\n" + body(3) +
                      "}\n\nTask<Result<int>> Run::long_one(int a,\n" +
                      "                                  int b) const {\n" + body(5) + "}\n";
  // The long body: its brace line, five steps and its closing line make 7 lines.
  EXPECT_EQ(found_in(source), (std::vector<std::string>{"9 7 Task<Result<int>> Run::long_one(int a, int b) const"}));
  EXPECT_TRUE(found_in(source, 7).empty());
}

TEST(FunctionLength, AReasonAboveTheSignatureKeepsItWhole) {
  const auto source =
      "// long-function: one case per Slack method, in the order of the docs\nvoid api() {\n" + body(10) + "}\n";
  EXPECT_TRUE(found_in(source).empty());
  EXPECT_EQ(found_in("// a comment that gives no reason\nvoid api() {\n" + body(10) + "}\n").size(), 1u);
}

TEST(FunctionLength, BracesInsideTheBodyAreOneFunction) {
  const auto source = "void f() {\n  if (x) {\n" + body(2) + "  } else {\n  }\n  auto g = [&](int y) {\n" + body(2) +
                      "  };\n  for (;;) { break; }\n}\n";
  EXPECT_EQ(found_in(source), (std::vector<std::string>{"1 12 void f()"}));
}

TEST(FunctionLength, BracesInCommentsStringsAndCharactersDoNotCount) {
  const auto source =
      "void f() {\n  // }\n  const char* s = \"}}\";\n  char c = '}';\n  auto r = R\"x(})x\";\n" + body(4) + "}\n";
  EXPECT_EQ(found_in(source), (std::vector<std::string>{"1 10 void f()"}));
}

TEST(FunctionLength, ClassesNamespacesInitialisersAndLambdasAreNotFunctions) {
  const auto source = "namespace a {\nstruct S {\n" + body(8) + "};\nconst auto table = std::map<int, int>{\n" +
                      "  {1, f(2)},\n" + body(8) + "};\nconst auto fn = [](int x) {\n" + body(8) + "};\n" +
                      "enum class E : int {\n" + body(8) + "};\n}  // namespace a\n";
  EXPECT_TRUE(found_in(source).empty());
}

TEST(FunctionLength, MemberFunctionsInsideAClassBodyAreMeasured) {
  const auto source =
      "class C {\n public:\n  int get() const { return 1; }\n  void work() override {\n" + body(6) + "  }\n};\n";
  EXPECT_EQ(found_in(source), (std::vector<std::string>{"4 8 void work() override"}));
}

TEST(FunctionLength, ConstructorsAndTrailingReturnTypesAreFunctions) {
  const auto source = "C::C(int a) : a_(a), b_(2) {\n" + body(6) + "}\nauto f() -> std::string {\n" + body(6) + "}\n";
  EXPECT_EQ(found_in(source),
            (std::vector<std::string>{"1 8 C::C(int a) : a_(a), b_(2)", "9 8 auto f() -> std::string"}));
}

TEST(FunctionLength, PreprocessorLinesAreNotCode) {
  const auto source = "#define OPEN {\n#if X\nvoid f() {\n" + body(6) + "}\n#endif\n";
  EXPECT_EQ(found_in(source), (std::vector<std::string>{"3 8 void f()"}));
}

}  // namespace
}  // namespace vigil::repo
