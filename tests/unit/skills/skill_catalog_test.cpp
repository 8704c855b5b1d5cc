#include "skills/skill_catalog.h"

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

std::vector<std::string> shipped() {
  return {(test::shipped_skills_dir()).string()};
}

TEST(SkillCatalog, MatchesByAlertNameTextAndLabels) {
  SkillCatalog catalog(true);
  ASSERT_TRUE(catalog.load_dirs(shipped()).ok());
  Incident alert;
  alert.alertname = "KubePodCrashLooping";
  alert.labels = {{"namespace", "shop"}, {"pod", "web-1"}};
  auto m = catalog.match(alert);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].skill->id, "pod-crashloop");
  EXPECT_NE(m[0].reason.find("alertname KubePodCrashLooping"), std::string::npos);

  Incident text;
  text.title = "checkout pods OOMKilled again";
  m = catalog.match(text);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].skill->id, "oom-killed");

  Incident none;
  none.title = "printer on fire";
  EXPECT_TRUE(catalog.match(none).empty());
}

TEST(SkillCatalog, LabelsMustAllBeEqual) {
  SkillCatalog catalog(true);
  Skill s;
  s.id = "only-prod";
  s.title = "x";
  s.triggers.alertnames = {"Down"};
  s.triggers.labels = {{"env", "prod"}};
  ASSERT_TRUE(catalog.add(s));
  EXPECT_FALSE(catalog.add(s));
  Incident i;
  i.alertname = "Down";
  i.labels = {{"env", "staging"}};
  EXPECT_TRUE(catalog.match(i).empty());
  i.labels = {{"env", "prod"}};
  EXPECT_EQ(catalog.match(i).size(), 1u);
}

TEST(SkillCatalog, KubernetesSkillsAreUnavailableWhenKubernetesIsDisabled) {
  SkillCatalog catalog(false);
  ASSERT_TRUE(catalog.load_dirs(shipped()).ok());
  const Skill* s = catalog.find("node-not-ready");
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(catalog.is_available(*s));
  EXPECT_EQ(catalog.availability(*s), "unavailable (kubernetes.enabled is false)");
  Incident i;
  i.alertname = "KubeNodeNotReady";
  auto m = catalog.match(i);
  ASSERT_FALSE(m.empty());
  EXPECT_FALSE(m[0].available);
}

}  // namespace
}  // namespace vigil::skills
