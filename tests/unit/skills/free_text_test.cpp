#include "skills/free_text.h"

#include <gtest/gtest.h>

#include "skills/skill_catalog.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

class FreeText : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_.load_dirs({(test::shipped_skills_dir()).string()}).ok());
    demo_.namespaces = {"default", "demo", "kube-system", "checkout"};
    demo_.pods = {
        {"demo", "checkout-7d9f8b6c5-4hq7n"}, {"demo", "checkout-7d9f8b6c5-x2x9k"}, {"shop", "web-5c8d7-abcde"}};
    demo_.deployments = {{"demo", "checkout"}, {"shop", "web"}};
  }
  const Skill& skill(const std::string& id) { return *catalog_.find(id); }
  SkillCatalog catalog_{true};
  kubernetes::ClusterObjects demo_;
};

TEST_F(FreeText, WordsPickASkillBelowEveryTrigger) {
  const auto errors = word_score(skill("http-5xx-spike"), "investigate checkout errors");
  EXPECT_GE(errors.score, kMinWordScore);
  EXPECT_EQ(errors.words, (std::vector<std::string>{"errors"}));
  EXPECT_LT(word_score(skill("pod-crashloop"), "investigate checkout errors").score, kMinWordScore);
  EXPECT_EQ(word_score(skill("pod-crashloop"), "printer on fire").score, 0);
  EXPECT_GE(word_score(skill("node-not-ready"), "a node is not ready").score, kMinWordScore);

  Incident text;
  text.title = text.text = "investigate checkout errors";
  auto m = catalog_.match(text);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].skill->id, "http-5xx-spike");
  EXPECT_EQ(m[0].reason, "words: errors");
  EXPECT_LT(m[0].score, 10);
  // An alert is never matched by words.
  Incident alert = text;
  alert.alertname = "SomethingElse";
  EXPECT_TRUE(catalog_.match(alert).empty());
}

TEST_F(FreeText, ExplicitForms) {
  const auto& crash = skill("pod-crashloop");
  EXPECT_EQ(extract_parameters(crash, "crash looping in namespace demo", {}).values,
            (std::map<std::string, std::string>{{"namespace", "demo"}}));
  EXPECT_EQ(extract_parameters(crash, "namespace=shop pod=web-1 crashloop", {}).values,
            (std::map<std::string, std::string>{{"namespace", "shop"}, {"pod", "web-1"}}));
  EXPECT_EQ(extract_parameters(crash, "crashloop -n shop", {}).values.at("namespace"), "shop");
  EXPECT_EQ(extract_parameters(crash, "crashloop --namespace=shop", {}).values.at("namespace"), "shop");
  EXPECT_EQ(extract_parameters(crash, "shop/web-1 is crash looping", {}).values,
            (std::map<std::string, std::string>{{"namespace", "shop"}, {"pod", "web-1"}}));
  EXPECT_EQ(extract_parameters(skill("http-5xx-spike"), "5xx on shop/web", {}).values.at("deployment"), "web");
  // "pod keeps restarting" names no pod; a refused value is not taken.
  EXPECT_TRUE(extract_parameters(crash, "the pod keeps restarting", {}).values.empty());
  EXPECT_TRUE(extract_parameters(crash, "namespace=Bad_NS!", {}).values.empty());
}

TEST_F(FreeText, KnownNamesFillOnlyWhenExactlyOneFits) {
  const auto& crash = skill("pod-crashloop");
  // Two checkout pods, one namespace: the namespace is filled, the pods are listed, none is chosen.
  auto found = extract_parameters(crash, "checkout pods crash looping", demo_);
  EXPECT_EQ(found.values, (std::map<std::string, std::string>{{"namespace", "demo"}}));
  EXPECT_EQ(found.ambiguous.at("pod"),
            (std::vector<std::string>{"checkout-7d9f8b6c5-4hq7n", "checkout-7d9f8b6c5-x2x9k"}));
  // One pod starts with "web": both filled.
  found = extract_parameters(crash, "web is crash looping", demo_);
  EXPECT_EQ(found.values, (std::map<std::string, std::string>{{"namespace", "shop"}, {"pod", "web-5c8d7-abcde"}}));
  EXPECT_TRUE(found.ambiguous.empty());
  // A deployment by its name fills deployment and namespace.
  found = extract_parameters(skill("http-5xx-spike"), "investigate checkout errors", demo_);
  EXPECT_EQ(found.values, (std::map<std::string, std::string>{{"namespace", "demo"}, {"deployment", "checkout"}}));
  // An explicit namespace wins over names found, and filters them.
  found = extract_parameters(crash, "web crash loop in namespace demo", demo_);
  EXPECT_EQ(found.values, (std::map<std::string, std::string>{{"namespace", "demo"}}));
}

}  // namespace
}  // namespace vigil::skills
