#include "skills/parameter_input.h"

#include <gtest/gtest.h>

#include "skills/skill_catalog.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

class ParameterInput : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(catalog_.load_dirs({(test::shipped_skills_dir()).string()}).ok()); }
  const Skill& skill(const std::string& id) { return *catalog_.find(id); }
  SkillCatalog catalog_{true};
};

TEST_F(ParameterInput, AnInvalidPodIsNamedInWordsNotAsARegex) {
  const auto check = validate_parameters(skill("pod-crashloop"), {{"namespace", "demo"}, {"pod", "Bad_Pod!"}}, {});
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_EQ(check.problems[0].name, "pod");
  EXPECT_EQ(check.problems[0].message, "pod: 'Bad_Pod!' is not a pod name (lowercase letters, digits, '-' and '.')");
  EXPECT_FALSE(check.problems[0].missing);
  EXPECT_EQ(check.values.at("namespace"), "demo");
}

TEST_F(ParameterInput, MissingUnknownAndIncidentValues) {
  auto check = validate_parameters(skill("pod-crashloop"), {{"podd", "x"}}, {});
  EXPECT_EQ(check.missing(), (std::vector<std::string>{"namespace", "pod"}));
  EXPECT_EQ(check.problems[0].message, "'podd' is not a parameter of pod-crashloop (it takes namespace, pod)");
  // An alert's labels fill them (from_incident), as in the executor.
  check = validate_parameters(skill("pod-crashloop"), {}, {{"labels.namespace", "shop"}, {"labels.pod", "web-1"}});
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.values.at("pod"), "web-1");
  // Defaults count; a wrong integer says what it should be.
  check =
      validate_parameters(skill("http-5xx-spike"), {{"namespace", "a"}, {"deployment", "b"}, {"replicas", "500"}}, {});
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_EQ(check.problems[0].message, "replicas: '500' is not a valid replicas (a whole number from 1 to 20)");
  check = validate_parameters(skill("http-5xx-spike"), {{"namespace", "a"}, {"deployment", "b"}}, {});
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.values.at("replicas"), "4");
  // A line break is refused without echoing it.
  check = validate_parameters(skill("pod-crashloop"), {{"namespace", "a\nb"}, {"pod", "p"}}, {});
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_EQ(check.problems[0].message.find('\n'), std::string::npos);
}

TEST_F(ParameterInput, UsageShowsEveryParameterWithDescriptionAndExample) {
  EXPECT_EQ(usage_line(skill("pod-crashloop")), "/runbook run pod-crashloop namespace=<namespace> pod=<pod>");
  EXPECT_EQ(usage_line(skill("http-5xx-spike")),
            "/runbook run http-5xx-spike namespace=<namespace> deployment=<deployment> [replicas=<replicas>]");
  const auto usage = usage_text(skill("pod-crashloop"));
  EXPECT_NE(usage.find("• `pod` (required; an alert's labels.pod fills it): the crash-looping pod; lowercase letters, "
                       "digits, '-' and '.', e.g. `pod=api-7d4b9c6f5-x2x9k`"),
            std::string::npos)
      << usage;
  EXPECT_EQ(usage.find("[a-z0-9]"), std::string::npos) << "no regex dump: " << usage;
  EXPECT_EQ(join_words({"namespace", "pod"}), "namespace and pod");
  EXPECT_EQ(join_words({"a", "b", "c"}), "a, b and c");
}

}  // namespace
}  // namespace vigil::skills
