#include "skills/template.h"

#include <gtest/gtest.h>

#include "skills/argv_hash.h"

namespace vigil::skills {
namespace {

Skill skill_with_params() {
  Skill s;
  s.id = "t";
  Parameter ns;
  ns.name = "namespace";
  ns.pattern = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
  ns.required = true;
  Parameter mode;
  mode.name = "mode";
  mode.enum_values = {"fast", "slow"};
  mode.default_value = "fast";
  Parameter n;
  n.name = "replicas";
  n.type = "integer";
  Parameter app;
  app.name = "app";
  app.pattern = "[a-z]+";
  app.from_incident = "labels.app";
  s.parameters = {ns, mode, n, app};
  return s;
}

TEST(Template, EachPlaceholderFillsOneElementOrPartOfOne) {
  auto t = Template::parse({"kubectl", "get", "deployment/{{ params.app }}", "-n", "{{params.namespace}}"});
  ASSERT_TRUE(t) << t.error().detail;
  TemplateValues v;
  v.params = {{"app", "web server"}, {"namespace", "prod"}};
  auto argv = t->render(v);
  ASSERT_TRUE(argv);
  EXPECT_EQ(*argv, (std::vector<std::string>{"kubectl", "get", "deployment/web server", "-n", "prod"}));
}

TEST(Template, ValueThatLooksLikeAPlaceholderIsRefusedNotExpanded) {
  auto t = Template::parse({"echo", "{{ params.a }}"});
  ASSERT_TRUE(t);
  TemplateValues v;
  v.params = {{"a", "{{ params.b }}"}, {"b", "secret"}};
  auto argv = t->render(v);
  ASSERT_FALSE(argv);
  EXPECT_NE(argv.error().detail.find("template marker"), std::string::npos);
}

TEST(Template, UnknownRootsAndUnclosedMarkersAreErrors) {
  EXPECT_FALSE(Template::parse({"x", "{{ env.HOME }}"}));
  EXPECT_FALSE(Template::parse({"x", "{{ params.a "}));
  EXPECT_FALSE(Template::parse({"x", "{{ incident.password }}"}));
  auto ok = Template::parse({"x", "{{ steps.describe.owner }}", "{{ incident.labels.app.kubernetes.io/name }}"});
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->placeholders().size(), 2u);
}

// Whatever a parameter's pattern allowed, a value that would begin an argument with "-" is refused:
// kubectl would read "-shttp://…" as its --server flag.
TEST(Template, AValueThatWouldStartAnArgumentWithADashIsRefused) {
  auto t = Template::parse({"kubectl", "get", "{{ params.what }}", "deployment/{{ params.name }}"});
  ASSERT_TRUE(t);
  TemplateValues v;
  v.params["what"] = "pods";
  v.params["name"] = "-web";  // inside an argument ("deployment/-web") it is no option
  EXPECT_TRUE(t->render(v));
  v.params["what"] = "-shttp://127.0.0.1:16443";
  const auto r = t->render(v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "params.what: value refused (starts with '-', which would be read as an option)");
}

TEST(Template, CapturedAndIncidentValuesMustBePlainNames) {
  auto t = Template::parse({"kubectl", "get", "pod/{{ steps.s.pod }}", "{{ incident.labels.ns }}"});
  ASSERT_TRUE(t);
  TemplateValues v;
  v.captures["s"]["pod"] = "web-1";
  v.incident["labels.ns"] = "prod";
  EXPECT_TRUE(t->render(v));
  v.incident["labels.ns"] = "--kubeconfig=/etc/x";
  EXPECT_FALSE(t->render(v));
  v.incident["labels.ns"] = "x; touch /tmp/pwned";
  EXPECT_FALSE(t->render(v));
  v.incident["labels.ns"] = "prod";
  v.captures["s"]["pod"] = "$(id)";
  EXPECT_FALSE(t->render(v));
}

TEST(Template, InjectionAttemptsAreRefusedByThePattern) {
  const Skill s = skill_with_params();
  for (const std::string& bad : std::vector<std::string>{"x; touch /tmp/pwned", "$(id)", "--kubeconfig=/etc/x", "a\nb",
                                                         "{{ params.mode }}", std::string("a\0b", 3), "-n", "Prod"}) {
    auto r = resolve_parameters(s, {{"namespace", bad}}, {});
    EXPECT_FALSE(r) << "accepted: " << bad;
  }
  auto ok = resolve_parameters(s, {{"namespace", "prod-eu"}, {"replicas", "3"}}, {});
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->at("mode"), "fast");
}

TEST(Template, ResolveUsesIncidentThenDefaultAndListsEveryProblem) {
  const Skill s = skill_with_params();
  auto r = resolve_parameters(s, {{"namespace", "prod"}}, {{"labels.app", "checkout"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("app"), "checkout");
  auto bad = resolve_parameters(s, {{"mode", "turbo"}, {"replicas", "-1"}, {"nope", "1"}}, {});
  ASSERT_FALSE(bad);
  const auto& d = bad.error().detail;
  EXPECT_NE(d.find("unknown parameter 'nope'"), std::string::npos) << d;
  EXPECT_NE(d.find("parameter namespace is required"), std::string::npos) << d;
  EXPECT_NE(d.find("'turbo' is not one of fast, slow"), std::string::npos) << d;
  EXPECT_NE(d.find("parameter replicas: value refused"), std::string::npos) << d;
  auto injected = resolve_parameters(s, {{"namespace", "prod"}}, {{"labels.app", "$(id)"}});
  EXPECT_FALSE(injected);
}

TEST(ArgvHash, Sha256MatchesKnownVectorsAndElementsAreLengthPrefixed) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string(1000, 'a')).size(), 64u);
  EXPECT_NE(argv_hash({"a b"}), argv_hash({"a", "b"}));
  EXPECT_EQ(argv_hash({"kubectl", "x"}), argv_hash({"kubectl", "x"}));
}

}  // namespace
}  // namespace vigil::skills
