#include "bot/slack/parameter_ask.h"

#include <gtest/gtest.h>

#include "skills/skill_catalog.h"
#include "tests/support/test_paths.h"

namespace vigil {
namespace {

using nlohmann::json;

class ParameterAsk : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_.load_dirs({(test::shipped_skills_dir()).string()}).ok());
    skill_ = catalog_.find("pod-crashloop");
    skills::TextParameters text;
    text.values = {{"namespace", "demo"}};
    text.ambiguous = {{"pod", {"checkout-1", "checkout-2"}}};
    const auto check = skills::validate_parameters(*skill_, text.values, {});
    need_ = parameter_need(*skill_, check, text, "");
  }
  skills::SkillCatalog catalog_{true};
  const skills::Skill* skill_ = nullptr;
  ParameterNeed need_;
};

TEST_F(ParameterAsk, TheAskSaysWhatIsMissingWhatWasFoundAndCarriesOnlyTheRunId) {
  EXPECT_EQ(need_.sentence(), "pod-crashloop needs pod");
  const auto blocks = parameter_ask_blocks("run-1", need_, *skill_);
  const auto text = blocks[0]["text"]["text"].get<std::string>();
  EXPECT_NE(text.find("*pod-crashloop needs pod*"), std::string::npos) << text;
  EXPECT_NE(text.find("Found: namespace `demo`"), std::string::npos) << text;
  EXPECT_NE(text.find("`pod` could be any of `checkout-1`, `checkout-2`"), std::string::npos) << text;
  EXPECT_NE(text.find("/runbook run pod-crashloop namespace=&lt;namespace&gt; pod=&lt;pod&gt;"), std::string::npos)
      << text;
  const auto button = blocks[1]["elements"][0];
  EXPECT_EQ(button["action_id"], kActionGiveParameters);
  EXPECT_EQ(button["text"]["text"], "Give parameters");
  EXPECT_EQ(button["value"], "run-1");
  // The need survives its timeline row.
  const auto back = ParameterNeed::from_json(json::parse(need_.to_json().dump()));
  EXPECT_EQ(back.found, need_.found);
  EXPECT_EQ(back.missing, need_.missing);
  EXPECT_EQ(back.candidates, need_.candidates);
  EXPECT_TRUE(
      ParameterNeed::from_json(json::parse(R"({"skill": 3, "found": [1], "missing": {"x": 1}})")).skill.empty());
}

TEST_F(ParameterAsk, TheModalHasOneDescribedInputPerParameterPrefilled) {
  const auto view = parameters_modal("run-1", *skill_, need_);
  EXPECT_EQ(view["callback_id"], kParametersCallback);
  EXPECT_EQ(view["private_metadata"], "run-1 pod-crashloop");
  std::vector<json> inputs;
  for (const auto& b : view["blocks"]) {
    if (b["type"] == "input") {
      inputs.push_back(b);
    }
  }
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0]["block_id"], "param.namespace");
  EXPECT_EQ(inputs[0]["element"]["initial_value"], "demo");
  EXPECT_EQ(inputs[0]["optional"], false);
  EXPECT_NE(inputs[0]["hint"]["text"].get<std::string>().find("the pod's namespace"), std::string::npos);
  EXPECT_EQ(inputs[1]["block_id"], "param.pod");
  EXPECT_FALSE(inputs[1]["element"].contains("initial_value"));
  EXPECT_NE(inputs[1]["hint"]["text"].get<std::string>().find("Could be: checkout-1, checkout-2"), std::string::npos);
}

TEST_F(ParameterAsk, ASubmissionIsCheckedWithThePatterns) {
  auto s =
      read_parameter_submission(*skill_, {{"param.namespace.value", " demo "}, {"param.pod.value", "Bad_Pod!"}}, {});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.errors.at("param.pod"), "pod: 'Bad_Pod!' is not a pod name (lowercase letters, digits, '-' and '.')");
  EXPECT_EQ(s.errors.count("param.namespace"), 0u);
  const auto ack = submission_errors_ack(s);
  EXPECT_EQ(ack["response_action"], "errors");
  EXPECT_TRUE(ack["errors"].contains("param.pod"));

  s = read_parameter_submission(*skill_, {{"param.namespace.value", ""}}, {{"labels.pod", "web-1"}});
  EXPECT_EQ(s.errors.at("param.namespace"), "namespace is required (the pod's namespace)");
  EXPECT_EQ(s.errors.count("param.pod"), 0u) << "the incident still fills what was left empty";

  s = read_parameter_submission(
      *skill_, {{"param.namespace.value", "demo"}, {"param.pod.value", "checkout-1"}, {"param.extra.value", "ignored"}},
      {});
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.values, (std::map<std::string, std::string>{{"namespace", "demo"}, {"pod", "checkout-1"}}));
}

}  // namespace
}  // namespace vigil
