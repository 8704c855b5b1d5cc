// Every kubectl step of every shipped runbook (run, dry run, verification and rollback), rendered
// with ordinary values, parsed by the real kubectl client against an API server that does not
// answer: kubectl must get as far as calling the server, with no flag or syntax error first.
// Skipped only where no kubectl client is installed (Debian 12 ships none).
#include <filesystem>

#include <gtest/gtest.h>

#include "skills/skill_loader.h"
#include "skills/template.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

// An ordinary value for a placeholder, by what it names.
std::string sample(const Placeholder& p) {
  if (p.name == "namespace" || p.name.ends_with(".namespace")) {
    return "shop";
  }
  if (p.name == "replicas" || p.name == "count" || p.name == "ceiling") {
    return "4";
  }
  if (p.name == "node") {
    return "node-1";
  }
  if (p.name == "pod") {
    return "checkout-7d9c8b6f5d-x2x9q";
  }
  if (p.name == "revision" || p.name == "previous") {
    return "2";
  }
  return "checkout";
}

std::vector<std::vector<std::string>> kubectl_templates(const Skill& skill) {
  std::vector<std::vector<std::string>> out;
  auto add = [&](const std::vector<Step>& steps) {
    for (const auto& step : steps) {
      for (const auto* argv : {&step.run, &step.dry_run}) {
        if (!argv->empty() && argv->front() == "kubectl") {
          out.push_back(*argv);
        }
      }
    }
  };
  add(skill.steps);
  add(skill.verify.steps);
  add(skill.rollback);
  return out;
}

TEST(ShippedSkillsKubectl, TheRealClientParsesEveryStep) {
  const auto kubectl = test::find_on_path("kubectl");
  if (!kubectl) {
    GTEST_SKIP() << "no kubectl client installed (Debian 12 has no package; put one on PATH to run this)";
  }
  test::TempDir dir;
  const auto kubeconfig = dir / "unreachable.kubeconfig";
  test::write_file(kubeconfig,
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
                   "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n"
                   "users:\n- name: u\n  user:\n    token: not-a-real-token\n");
  const auto load = SkillLoader::load_dir(test::shipped_skills_dir().string());
  ASSERT_TRUE(load.ok());
  int checked = 0;
  for (const auto& skill : load.skills) {
    for (const auto& argv_template : kubectl_templates(skill)) {
      auto t = Template::parse(argv_template);
      ASSERT_TRUE(t) << skill.id;
      TemplateValues values;
      for (const auto& p : t->placeholders()) {
        if (p.kind == Placeholder::Kind::Param) {
          values.params[p.name] = sample(p);
        } else if (p.kind == Placeholder::Kind::Capture) {
          values.captures[p.step][p.name] = sample(p);
        } else {
          values.incident[p.name] = sample(p);
        }
      }
      auto argv = t->render(values);
      ASSERT_TRUE(argv) << skill.id << ": " << argv.error().detail;
      std::vector<std::string> command = {"/usr/bin/timeout", "30", kubectl->string()};
      command.insert(command.end(), argv->begin() + 1, argv->end());
      const auto r = test::run_process(command, {{"KUBECONFIG", kubeconfig.string()}, {"HOME", dir.path().string()}});
      const auto said = r.err + r.out;
      SCOPED_TRACE(skill.id + ": " + testing::PrintToString(*argv) + "\n" + said);
      EXPECT_NE(r.exit_code, 0) << "there is no API server to succeed against";
      for (const char* parse_error :
           {"unknown flag", "unknown shorthand flag", "unknown command", "invalid argument", "flag needs an argument",
            "accepts ", "required flag", "error: unknown", "must specify", "bad flag syntax"}) {
        EXPECT_EQ(said.find(parse_error), std::string::npos) << parse_error;
      }
      // It got as far as calling the server.
      EXPECT_NE(said.find("127.0.0.1:1"), std::string::npos);
      ++checked;
    }
  }
  EXPECT_GE(checked, 15) << "every shipped skill's kubectl steps";
}

}  // namespace
}  // namespace vigil::skills
