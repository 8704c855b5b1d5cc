#include "integrations/agents/workspace.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "bot/base/ids.h"
#include "tests/support/test_paths.h"

namespace vigil::agents {
namespace {

namespace fs = std::filesystem;

WorkspaceInputs inputs() {
  WorkspaceInputs in;
  in.incident = {{"title", "api 5xx"}, {"annotations", {{"dsn", "postgres://app:hunter2@db/app"}}}};
  in.event = {{"type", "slash_command"}};
  in.system_instructions = "You are read-only.";
  in.prompt = "# Investigate\nurgent";
  in.knowledge = {{"api.md", "restart api with care"}, {"../../evil.md", "x"}};
  return in;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(Workspace, CreatesPrivateLayoutWithRedactedContext) {
  test::TempDir root;
  const auto id = new_uuid();
  auto ws = Workspace::create(root.path(), id, inputs(), Redactor());
  ASSERT_TRUE(ws) << ws.error().message();
  EXPECT_EQ(ws->dir(), fs::weakly_canonical(root.path()) / id);
  EXPECT_EQ(mode_of(ws->dir()), 0700u);
  EXPECT_EQ(mode_of(ws->dir() / "context"), 0700u);
  EXPECT_EQ(mode_of(ws->dir() / "PROMPT.md"), 0600u);
  const auto incident = test::read_file(ws->dir() / "context" / "incident.json");
  EXPECT_EQ(incident.find("hunter2"), std::string::npos) << incident;
  EXPECT_TRUE(fs::exists(ws->dir() / "context" / "system-instructions.txt"));
  EXPECT_TRUE(fs::exists(ws->dir() / "context" / "knowledge" / "api.md"));
  EXPECT_TRUE(fs::exists(ws->dir() / "context" / "knowledge" / "evil.md"));
  EXPECT_FALSE(fs::exists(root.path().parent_path() / "evil.md"));
  EXPECT_TRUE(fs::is_directory(ws->output_dir() / "artifacts"));
}

// Issue 21: the root is private too, whatever the umask and whoever created it first.
TEST(Workspace, RootIsCreated0700UnderUmask022AndMadePrivateWhenItWasNot) {
  test::TempDir parent;
  const auto root = parent.path() / "workspaces";
  const mode_t old_mask = ::umask(022);
  auto ws = Workspace::create(root, new_uuid(), inputs(), Redactor());
  ::umask(old_mask);
  ASSERT_TRUE(ws) << ws.error().message();
  EXPECT_EQ(mode_of(root), 0700u);

  ASSERT_EQ(::chmod(root.c_str(), 0755), 0);
  ASSERT_TRUE(Workspace::create(root, new_uuid(), inputs(), Redactor()));
  EXPECT_EQ(mode_of(root), 0700u);
}

TEST(Workspace, RefusesIdsThatAreNotUuids) {
  test::TempDir root;
  for (const std::string bad : {"../etc", "a/b", "", "0b8f2c1e-1111-4222-8333-44445555666/"}) {
    auto ws = Workspace::create(root.path(), bad, inputs(), Redactor());
    ASSERT_FALSE(ws) << bad;
    EXPECT_TRUE(ws.error().is(Errc::InvalidInput));
  }
  EXPECT_FALSE(Workspace::path_for("relative/root", new_uuid()));
}

TEST(Workspace, RefusesWorkspaceThatIsASymlink) {
  test::TempDir root, elsewhere;
  const auto id = new_uuid();
  fs::create_symlink(elsewhere.path(), root.path() / id);
  auto ws = Workspace::create(root.path(), id, inputs(), Redactor());
  EXPECT_FALSE(ws);
}

TEST(Workspace, CollectsSummaryProposalsAndArtifacts) {
  test::TempDir root;
  auto ws = Workspace::create(root.path(), new_uuid(), inputs(), Redactor());
  ASSERT_TRUE(ws);
  test::write_file(ws->output_dir() / "summary.md", "## Root cause\nOOM");
  test::write_file(
      ws->output_dir() / "proposals.json",
      R"([{"skill":"pod-oomkilled","params":{"namespace":"prod","replicas":3,"force":true},"reason":"memory"},
                       {"params":{}}, {"skill":"x","params":[1]}, {"skill":"y","params":{"a":{"b":1}}}])");
  test::write_file(ws->output_dir() / "artifacts" / "graph.txt", "data");
  test::write_file(ws->output_dir() / "artifacts" / "sub" / "more.txt", "data");
  fs::create_symlink("/etc/passwd", ws->output_dir() / "artifacts" / "passwd");
  fs::create_directory_symlink("/etc", ws->output_dir() / "artifacts" / "etc");
  const auto out = ws->collect();
  EXPECT_EQ(out.summary, "## Root cause\nOOM");
  ASSERT_EQ(out.proposals.size(), 1u);
  EXPECT_EQ(out.proposals[0].skill, "pod-oomkilled");
  EXPECT_EQ(out.proposals[0].params, (std::vector<std::pair<std::string, std::string>>{
                                         {"force", "true"}, {"namespace", "prod"}, {"replicas", "3"}}));
  EXPECT_EQ(out.proposal_errors.size(), 3u);
  auto artifacts = out.artifacts;
  std::sort(artifacts.begin(), artifacts.end());
  EXPECT_EQ(artifacts, (std::vector<std::string>{"graph.txt", "sub/more.txt"}));
  EXPECT_EQ(out.rejected_artifacts.size(), 2u);
}

// Agent output is untrusted. nlohmann::json destroys and copies a document recursively: a few
// hundred thousand nested lists overflow the stack (250,000 at -O2; fewer under ASan). The 256 KiB
// cap allows 130,000; a nest is refused before it is parsed.
TEST(Workspace, DeeplyNestedProposalsAreRefusedNotFollowed) {
  test::TempDir root;
  auto ws = Workspace::create(root.path(), new_uuid(), inputs(), Redactor());
  ASSERT_TRUE(ws);
  constexpr std::size_t kDepth = 130'000;
  test::write_file(ws->output_dir() / "proposals.json", std::string(kDepth, '[') + std::string(kDepth, ']'));
  const auto out = ws->collect();
  EXPECT_TRUE(out.proposals.empty());
  ASSERT_EQ(out.proposal_errors.size(), 1u);
  EXPECT_EQ(out.proposal_errors[0], "proposals.json nests deeper than 128 levels; ignored");
}

TEST(Workspace, SummaryThroughSymlinkIsRefused) {
  test::TempDir root;
  auto ws = Workspace::create(root.path(), new_uuid(), inputs(), Redactor());
  ASSERT_TRUE(ws);
  fs::create_symlink("/etc/hostname", ws->output_dir() / "summary.md");
  fs::create_symlink("/etc/passwd", ws->output_dir() / "proposals.json");
  const auto out = ws->collect();
  EXPECT_TRUE(out.summary.empty());
  EXPECT_TRUE(out.proposals.empty());
  EXPECT_EQ(out.proposal_errors.size(), 2u);
}

TEST(Workspace, SummaryIsCapped) {
  test::TempDir root;
  auto ws = Workspace::create(root.path(), new_uuid(), inputs(), Redactor());
  ASSERT_TRUE(ws);
  test::write_file(ws->output_dir() / "summary.md", std::string(Workspace::kMaxSummaryBytes + 10, 's'));
  const auto out = ws->collect();
  EXPECT_EQ(out.summary.size(), Workspace::kMaxSummaryBytes);
  EXPECT_TRUE(out.summary_truncated);
  EXPECT_GT(Workspace::size_bytes(ws->dir()), Workspace::kMaxSummaryBytes);
}

}  // namespace
}  // namespace vigil::agents
