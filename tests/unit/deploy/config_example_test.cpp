// deploy/config.example.yaml shows every option with its default: each value it sets (except the
// sample `channels` entry) must be what Vigil uses when the option is left out, so the two cannot
// drift apart.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bot/core/config.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

std::filesystem::path example_path() {
  return test::test_data_dir().parent_path() / "deploy" / "config.example.yaml";
}

// Every value `node` sets, as its key path and the value (a scalar or a whole list).
void collect_values(const YAML::Node& node, std::vector<std::string>& path,
                    std::vector<std::pair<std::vector<std::string>, YAML::Node>>& out) {
  if (!node.IsMap()) {
    out.emplace_back(path, node);
    return;
  }
  for (const auto& item : node) {
    path.push_back(item.first.as<std::string>());
    if (path != std::vector<std::string>{"channels"}) {  // a sample binding; there is none by default
      collect_values(item.second, path, out);
    }
    path.pop_back();
  }
}

// A document setting only `value` at `path`.
std::string only(const std::vector<std::string>& path, const YAML::Node& value) {
  YAML::Node leaf = YAML::Clone(value);
  for (auto key = path.rbegin(); key != path.rend(); ++key) {
    YAML::Node parent(YAML::NodeType::Map);
    parent[*key] = leaf;
    leaf = parent;
  }
  return YAML::Dump(leaf);
}

std::string dotted(const std::vector<std::string>& path) {
  std::string text;
  for (const auto& key : path) {
    text += (text.empty() ? "" : ".") + key;
  }
  return text;
}

// Each value alone, loaded as a file of its own, must leave the effective configuration (as
// `vigil config show` prints it) exactly as no file does.
TEST(ConfigExample, EveryValueItSetsIsTheBuiltInDefault) {
  const auto example = YAML::LoadFile(example_path().string());
  const auto defaults = load_config_text("", "", {});
  ASSERT_TRUE(defaults.ok());
  const auto expected = render_config(defaults.config);
  std::vector<std::string> path;
  std::vector<std::pair<std::vector<std::string>, YAML::Node>> values;
  collect_values(example, path, values);
  EXPECT_GT(values.size(), 40u);
  for (const auto& [key, value] : values) {
    const auto text = only(key, value);
    const auto load = load_config_text(text, "", {});
    for (const auto& e : load.errors) {
      ADD_FAILURE() << dotted(key) << ": " << e.to_string();
    }
    EXPECT_EQ(render_config(load.config), expected) << dotted(key) << " in the example is not the default:\n" << text;
  }
  // The ones a first run trips over, by name.
  EXPECT_EQ(example["storage"]["database"].as<std::string>(), StorageConfig{}.database);
  EXPECT_EQ(example["http"]["listen"].as<std::string>(), HttpConfig{}.listen);
}

// skills.dirs depends on where Vigil is installed, so the example leaves it out (in a comment) and
// loading the example gives the shipped skills, as no file does.
TEST(ConfigExample, SkillsAndDatabaseLoadAsWithoutAFile) {
  const auto example = YAML::LoadFile(example_path().string());
  EXPECT_FALSE(example["skills"] && example["skills"]["dirs"]);
  const auto with_example = load_config(example_path().string(), {});
  const auto without_file = load_config("", {});
  ASSERT_TRUE(with_example.ok());
  EXPECT_TRUE(with_example.config.skills.shipped);
  EXPECT_EQ(with_example.config.skills.dirs, without_file.config.skills.dirs);
  ASSERT_EQ(with_example.config.skills.dirs.size(), 1u);
  // The relative default database, next to the file.
  EXPECT_EQ(with_example.config.storage.database,
            (example_path().parent_path() / "vigil.db").lexically_normal().string());
  EXPECT_EQ(with_example.config.http.listen, without_file.config.http.listen);
}

}  // namespace
}  // namespace vigil
