#include "skills/skill_loader.h"

#include <gtest/gtest.h>

#include "skills/step_executor.h"
#include "tests/support/test_paths.h"

namespace vigil::skills {
namespace {

bool has(const std::vector<SkillDiagnostic>& ds, const std::string& text) {
  for (const auto& d : ds) {
    if (d.to_string() == text) {
      return true;
    }
  }
  return false;
}

std::string all(const SkillLoad& l) {
  std::string out;
  for (const auto& d : l.errors) {
    out += d.to_string() + "\n";
  }
  for (const auto& d : l.warnings) {
    out += d.to_string() + " (warning)\n";
  }
  return out;
}

constexpr const char* kGood = R"(id: restart-web
title: Restart web
triggers:
  alertnames: [WebDown]
parameters:
  - name: namespace
    pattern: '[a-z]+'
    required: true
steps:
  - id: get
    run: [kubectl, get, pods, -n, '{{ params.namespace }}']
    capture:
      pod: '^(\S+)'
  - id: restart
    run: [kubectl, delete, 'pod/{{ steps.get.pod }}', -n, '{{ params.namespace }}']
    mutating: true
)";

TEST(SkillLoader, LoadsAValidSkillAndForcesApprovalOnMutatingSteps) {
  const auto l = SkillLoader::load_text(kGood, "s.yaml");
  ASSERT_TRUE(l.ok()) << all(l);
  ASSERT_EQ(l.skills.size(), 1u);
  const auto& s = l.skills[0];
  EXPECT_TRUE(s.requires_kubernetes);
  EXPECT_TRUE(s.steps[1].requires_approval);
  EXPECT_EQ(s.steps[1].risk, Risk::Medium);
  EXPECT_TRUE(has(l.warnings,
                  "s.yaml:14:5: step restart: mutating steps always require approval "
                  "(requires_approval forced on)"))
      << all(l);
}

TEST(SkillLoader, ReportsEveryProblemWithFileLineAndColumn) {
  const std::string yaml = R"(id: broken
title: Broken
colour: red
parameters:
  - name: namespace
    required: true
  - name: mode
    enum: [a, b]
steps:
  - id: one
    run: [kubectl, get, pods, -n, '{{ params.namespace }}']
    timeout: forever
  - id: one
    run: [echo, '{{ params.nope }}', '{{ steps.one.missing }}', '{{ params.mode }}']
    risk: extreme
  - id: three
    run: [echo, '{{ params.mode ']
    when: {step: later}
    retries: 3
)";
  const auto l = SkillLoader::load_text(yaml, "b.yaml");
  EXPECT_FALSE(l.ok());
  EXPECT_TRUE(l.skills.empty());
  const auto text = all(l);
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:3:1: skill: unknown key 'colour' (known: description, findings, id, "
                  "parameters, requires_kubernetes, rollback, start, steps, title, "
                  "triggers, verify)"))
      << text;
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:11:35: step one.run: parameter namespace is substituted into "
                  "argv but has neither a pattern nor an enum"))
      << text;
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:12:14: step one.timeout: expected a duration such as 30s, 5m "
                  "or 1h"))
      << text;
  EXPECT_TRUE(has(l.errors, "b.yaml:13:9: step one: duplicate step id")) << text;
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:14:17: step one.run: template variable {{ params.nope }} is "
                  "not defined"))
      << text;
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:14:38: step one.run: template variable {{ steps.one.missing "
                  "}} is not defined (no earlier step captures it)"))
      << text;
  EXPECT_TRUE(has(l.errors, "b.yaml:15:11: step one.risk: expected low, medium or high")) << text;
  EXPECT_TRUE(has(l.errors, "b.yaml:17:17: step three.run: '{{' without a closing '}}'")) << text;
  EXPECT_TRUE(has(l.errors, "b.yaml:18:18: step three.when: step 'later' is not an earlier step")) << text;
  EXPECT_TRUE(has(l.errors,
                  "b.yaml:19:5: step: unknown key 'retries' (known: allow_self_approval, "
                  "approvers, capture, dry_run, id, mutating, on_failure, "
                  "requires_approval, risk, run, timeout, title, when)"))
      << text;
}

TEST(SkillLoader, ReadsFindings) {
  const std::string yaml = std::string(kGood) + R"(findings:
  - id: crash
    when: [{step: get, output_matches: 'CrashLoopBackOff'}, {step: restart, status: succeeded}]
    capture:
      code: 'Exit Code:\s+(\d+)'
      last: {step: restart, regex: '^(.+)$', last: true, default: none}
    say: 'exits {{ findings.code }} in {{ params.namespace }} ({{ steps.get.pod }}): {{ findings.last }}'
    evidence: ['Exit Code:', {step: restart, regex: 'deleted'}]
)";
  const auto l = SkillLoader::load_text(yaml, "f.yaml");
  ASSERT_TRUE(l.ok()) << all(l);
  const auto& f = l.skills.at(0).findings.at(0);
  EXPECT_EQ(f.id, "crash");
  ASSERT_EQ(f.when.size(), 2u);
  EXPECT_EQ(f.when[1].status, "succeeded");
  ASSERT_EQ(f.captures.size(), 2u);
  EXPECT_EQ(f.captures[0].step, "get");  // the first condition's step
  EXPECT_TRUE(f.captures[1].last);
  EXPECT_EQ(f.captures[1].default_value, "none");
  ASSERT_EQ(f.evidence.size(), 2u);
  EXPECT_EQ(f.evidence[1].step, "restart");
}

TEST(SkillLoader, FindingProblemsCarryTheirPlace) {
  const std::string yaml = std::string(kGood) + R"(findings:
  - id: bad
    when: {step: nowhere, output_matches: '('}
    capture:
      code: '(['
    say: 'exit {{ findings.nope }} {{ params.missing }} {{ env.HOME }}'
    evidence: ['x', {step: gone, regex: 'y'}]
    severity: high
  - id: quiet
    when: {step: get}
)";
  const auto l = SkillLoader::load_text(yaml, "f.yaml");
  EXPECT_FALSE(l.ok());
  const auto text = all(l);
  EXPECT_TRUE(has(l.errors,
                  "f.yaml:24:5: finding: unknown key 'severity' (known: capture, evidence, id, say, "
                  "when)"))
      << text;
  EXPECT_TRUE(has(l.errors, "f.yaml:19:18: finding bad.when: step 'nowhere' is not a step of this skill")) << text;
  EXPECT_NE(text.find("f.yaml:19:43: finding bad.when.output_matches: bad regular expression"), std::string::npos)
      << text;
  EXPECT_NE(text.find("f.yaml:21:13: finding bad.capture.code: bad regular expression"), std::string::npos) << text;
  EXPECT_TRUE(has(l.errors,
                  "f.yaml:22:10: finding bad.say: {{ env.HOME }}: expected findings.<capture>, "
                  "params.<name>, steps.<step>.<capture> or incident.<key>"))
      << text;
  EXPECT_TRUE(has(l.errors, "f.yaml:23:28: finding bad.evidence: step 'gone' is not a step of this skill")) << text;
  EXPECT_TRUE(has(l.errors, "f.yaml:25:5: finding quiet: say is required (the one-line diagnosis)")) << text;
}

TEST(SkillLoader, YamlSyntaxErrorsCarryTheirPlace) {
  const auto l = SkillLoader::load_text("id: x\nsteps: [\n", "y.yaml");
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].file, "y.yaml");
  EXPECT_GT(l.errors[0].line, 0);
}

TEST(SkillLoader, ShippedSkillsLoadWithoutErrorsOrWarnings) {
  const auto dir = test::shipped_skills_dir();
  const auto l = SkillLoader::load_dir(dir.string());
  EXPECT_TRUE(l.ok()) << all(l);
  EXPECT_TRUE(l.warnings.empty()) << all(l);
  EXPECT_EQ(l.skills.size(), 6u);
  for (const auto& s : l.skills) {
    EXPECT_TRUE(s.requires_kubernetes) << s.id;
    EXPECT_TRUE(s.has_remediation()) << s.id;
    EXPECT_FALSE(s.verify.steps.empty()) << s.id;
    EXPECT_GE(s.findings.size(), 2u) << s.id;
    for (const auto& step : s.steps) {
      if (step.mutating) {
        EXPECT_TRUE(step.requires_approval);
        EXPECT_FALSE(step.dry_run.empty()) << s.id << "/" << step.id;
      }
    }
  }
}

TEST(SkillLoader, DuplicateSkillIdsAcrossFilesAreErrors) {
  test::TempDir dir;
  test::write_file(dir / "a.yaml", kGood);
  test::write_file(dir / "b.yaml", kGood);
  const auto l = SkillLoader::load_dir(dir.path().string());
  EXPECT_FALSE(l.ok());
  EXPECT_EQ(l.skills.size(), 1u);
}

// Found by fuzz/fuzz_skill_loader (fuzz/regressions/skill_loader/): libstdc++'s regex compiler
// overflowed a long reading "{0,5555…}" (undefined behaviour); such numbers are refused first.
TEST(SkillLoader, HugeRepetitionCountsAndBackReferencesAreRefused) {
  std::string yaml = kGood;
  const std::string pattern = "pattern: '[a-z]+'";
  yaml.replace(yaml.find(pattern), pattern.size(),
               "pattern: '[a-z0-9]([-a-z0-9]{0,555555555555555555555555555555555555555561}[a-z0-9])?'");
  auto l = SkillLoader::load_text(yaml, "r.yaml");
  EXPECT_FALSE(l.ok());
  EXPECT_TRUE(has(l.errors,
                  "r.yaml:7:14: parameters.namespace.pattern: bad regular expression: a "
                  "repetition count or back-reference is too large"))
      << all(l);
  yaml = kGood;
  yaml.replace(yaml.find(pattern), pattern.size(), "pattern: '(a)\\99999999999999999999'");
  l = SkillLoader::load_text(yaml, "r.yaml");
  EXPECT_FALSE(l.ok()) << all(l);
  // Ordinary counts, escaped braces and digits elsewhere are untouched.
  yaml = kGood;
  yaml.replace(yaml.find(pattern), pattern.size(), "pattern: '[a-z]{1,63}\\{12345678\\}x12345678(\\d{4})\\1'");
  l = SkillLoader::load_text(yaml, "r.yaml");
  EXPECT_TRUE(l.ok()) << all(l);
}

TEST(SkillLoader, ReadsWhoMayStartTheSkill) {
  const std::string yaml = std::string(kGood) + "start:\n  users: [U0ALICE1]\n  groups: [S0SRE001]\n";
  const auto l = SkillLoader::load_text(yaml, "s.yaml");
  ASSERT_TRUE(l.ok()) << all(l);
  EXPECT_EQ(l.skills[0].start.users, std::vector<std::string>{"U0ALICE1"});
  EXPECT_EQ(l.skills[0].start.groups, std::vector<std::string>{"S0SRE001"});
  EXPECT_FALSE(SkillLoader::load_text(kGood, "s.yaml").skills[0].start.restricted()) << "no start: everyone";
}

TEST(SkillLoader, WhoMayStartNamesSlackIdsOrIsRefusedWithItsPlace) {
  const std::string yaml = std::string(kGood) + "start:\n  users: ['#oncall']\n  groups: [U0ALICE1]\n  team: [x]\n";
  const auto l = SkillLoader::load_text(yaml, "s.yaml");
  EXPECT_FALSE(l.ok());
  EXPECT_TRUE(has(l.errors, "s.yaml:18:11: start.users: '#oncall' is not a Slack user id (U… or W…)")) << all(l);
  EXPECT_TRUE(has(l.errors, "s.yaml:19:12: start.groups: 'U0ALICE1' is not a Slack user group id (S…)")) << all(l);
  EXPECT_NE(all(l).find("start: unknown key 'team'"), std::string::npos) << all(l);
}

}  // namespace
}  // namespace vigil::skills

namespace vigil::skills {
namespace {

// A parameter (or capture) pattern that admits a value starting with "-" would let a value such as
// "-shttp://127.0.0.1:16443" reach kubectl as its --server flag: the loader refuses it, saying
// which value it would let through.
TEST(SkillLoader, PatternsThatCanMatchAnOptionAreRefused) {
  const std::string yaml = R"(id: opt
title: Options
parameters:
  - name: deployment
    pattern: '[a-z0-9-]{1,40}'
  - name: anything
    pattern: '.+'
  - name: namespace
    pattern: '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?'
steps:
  - id: get
    run: [kubectl, get, 'deployment/{{ params.deployment }}', -n, '{{ params.namespace }}', '{{ params.anything }}']
    capture:
      owner: {regex: 'Owner:\s+(\S+)', pattern: '-?[a-z]+'}
)";
  const auto l = SkillLoader::load_text(yaml, "o.yaml");
  EXPECT_TRUE(has(l.errors,
                  "o.yaml:5:14: parameters.deployment.pattern: matches '-', a value starting with '-' that "
                  "a program would read as an option; start the pattern with a letter or digit"))
      << all(l);
  EXPECT_NE(all(l).find("parameters.anything.pattern: matches '-"), std::string::npos) << all(l);
  EXPECT_NE(all(l).find("capture.owner.pattern: matches '-"), std::string::npos) << all(l);
  EXPECT_EQ(all(l).find("namespace.pattern"), std::string::npos) << "a DNS-label pattern cannot start with '-'";
}

// Every shipped runbook's patterns start with a letter or digit.
TEST(SkillLoader, ShippedSkillsAdmitNoOptionLikeValue) {
  const auto l = SkillLoader::load_dir(test::shipped_skills_dir().string());
  EXPECT_TRUE(l.ok()) << all(l);
  EXPECT_FALSE(l.skills.empty());
}

}  // namespace
}  // namespace vigil::skills

namespace vigil::skills {
namespace {

TEST(SkillCondition, OutputBelowAParameterComparesWholeNumbersOnly) {
  const std::map<std::string, std::string> params{{"replicas", "6"}, {"word", "six"}};
  EXPECT_TRUE(output_below("3\n", params, "replicas"));
  EXPECT_TRUE(output_below(" 5 ", params, "replicas"));
  EXPECT_FALSE(output_below("6", params, "replicas"));
  EXPECT_FALSE(output_below("12", params, "replicas"));
  EXPECT_FALSE(output_below("", params, "replicas")) << "a misread never scales";
  EXPECT_FALSE(output_below("3 replicas", params, "replicas"));
  EXPECT_FALSE(output_below("-1", params, "replicas"));
  EXPECT_FALSE(output_below("3", params, "word"));
  EXPECT_FALSE(output_below("3", params, "missing"));
}

TEST(SkillLoader, OutputBelowParamMustNameAnIntegerParameter) {
  const auto l = SkillLoader::load_text(R"(id: b
title: B
parameters:
  - name: replicas
    type: integer
  - name: name
    pattern: '[a-z]+'
steps:
  - id: count
    run: [echo, '3']
  - id: one
    when: {step: count, output_below_param: replicas}
    run: [echo, one]
  - id: two
    when: {step: count, output_below_param: name}
    run: [echo, two]
)",
                                        "b.yaml");
  EXPECT_EQ(l.errors.size(), 1u) << all(l);
  EXPECT_NE(all(l).find("output_below_param: 'name' is not an integer parameter of this skill"), std::string::npos)
      << all(l);
}

TEST(SkillLoader, AStepsWhenMayBeAListAndNameEarlierCaptures) {
  const auto l = SkillLoader::load_text(R"(id: c
title: C
steps:
  - id: pod
    run: [echo, '7 2026-12-07T14:00:00Z']
    capture:
      revision: {regex: '^(\d+)', pattern: '[0-9]+'}
      at: {regex: ' (\S+)$', pattern: '[0-9][0-9TZ:-]+'}
  - id: latest
    run: [echo, '7']
  - id: undo
    when:
      - {step: latest, same_as: pod.revision}
      - {step: latest, began_within: {after: pod.at, at_most: 30m}}
    run: [echo, undo]
)",
                                        "c.yaml");
  ASSERT_TRUE(l.errors.empty()) << all(l);
  ASSERT_EQ(l.skills.size(), 1u);
  const auto& when = l.skills[0].steps[2].when;
  ASSERT_EQ(when.size(), 2u);
  EXPECT_EQ(when[0].same_as, (CaptureRef{"pod", "revision"}));
  ASSERT_TRUE(when[1].began_within.has_value());
  EXPECT_EQ(when[1].began_within->after, (CaptureRef{"pod", "at"}));
  EXPECT_EQ(when[1].began_within->at_most, std::chrono::minutes{30});
}

TEST(SkillLoader, CaptureConditionsNameACaptureOfAnEarlierStep) {
  const auto l = SkillLoader::load_text(R"(id: d
title: D
steps:
  - id: pod
    run: [echo, '7']
    capture:
      revision: {regex: '^(\d+)', pattern: '[0-9]+'}
  - id: one
    when: {step: pod, same_as: pod.nothing}
    run: [echo, one]
  - id: two
    when: {step: pod, same_as: later.revision}
    run: [echo, two]
  - id: three
    when: {step: pod, began_within: {after: pod.revision}}
    run: [echo, three]
  - id: four
    when: {step: pod, began_within: {after: pod.revision, at_most: soon}}
    run: [echo, four]
  - id: five
    when: []
    run: [echo, five]
  - id: later
    run: [echo, '7']
    capture:
      revision: {regex: '^(\d+)', pattern: '[0-9]+'}
)",
                                        "d.yaml");
  const auto text = all(l);
  EXPECT_NE(text.find("d.yaml:9:"), std::string::npos) << text;
  EXPECT_NE(text.find("step one.when.same_as: 'pod.nothing' is not step.capture of an earlier step"), std::string::npos)
      << text;
  EXPECT_NE(text.find("step two.when.same_as: 'later.revision' is not step.capture of an earlier step"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("step three.when.began_within: expected {after: step.capture, at_most: a duration}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("step four.when.began_within.at_most: expected a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("step five.when: expected at least one condition"), std::string::npos) << text;
  EXPECT_EQ(l.errors.size(), 5u) << text;
}

}  // namespace
}  // namespace vigil::skills
