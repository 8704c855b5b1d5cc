#include "bot/base/embedded_files.h"

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil {
namespace {

TEST(EmbeddedFiles, TheSandboxPageAndTheDemoClusterAreCompiledInAsTheyAreInTheTree) {
  const auto page = embedded_file("web/index.html");
  ASSERT_TRUE(page);
  EXPECT_EQ(std::string(*page),
            test::read_file(test::test_data_dir().parent_path() / "bot/app/sandbox_assets/index.html"));
  const auto kubectl = embedded_file("demo/kubectl");
  ASSERT_TRUE(kubectl);
  EXPECT_EQ(kubectl->substr(0, 9), "#!/bin/sh");
  EXPECT_FALSE(embedded_file("web/missing.js"));
  EXPECT_FALSE(embedded_file("demo/"));
  const auto web = embedded_files("web/");
  ASSERT_GE(web.size(), 3u);
  for (std::size_t i = 1; i < web.size(); ++i) {
    EXPECT_LT(web[i - 1].name, web[i].name) << "in name order";
    EXPECT_EQ(web[i].name.substr(0, 4), "web/");
  }
}

}  // namespace
}  // namespace vigil
