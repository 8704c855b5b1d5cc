// The sandbox page's JSON API against the real emulator and the real Socket Mode client: what a
// person does on the page arrives as Slack-shaped envelopes, and what the app does through the Web
// API (posts, edits, modals, private replies) shows in /api/state, which waits for changes.
#include "bot/app/sandbox_web.h"

#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bot/base/logging.h"
#include "integrations/slack/emulator/slack_emulator.h"
#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"
#include "tests/support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using slack::BlockAction;
using slack::MessageEvent;
using slack::MessageKind;
using slack::SlackEmulator;
using slack::SlashCommand;
using slack::ViewSubmission;

constexpr const char* kChannel = "C222";
constexpr const char* kAlex = "U0ALEX";

class SandboxWebApi : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_.add_channel(kChannel, "incidents");
    emu_.start();
    client_ = std::make_unique<test::SlackClientHarness>(emu_, test::SlackClientHarness::Options{});
    client_->start();
    // Both of the client's connections (the default 2): a second one opening later would change
    // the emulator's state (apps.connections.open, hello) during a test's long-poll.
    ASSERT_TRUE(emu_.wait_for_connections(2, 10s));
    SandboxWebOptions o;
    o.listen = "127.0.0.1:0";
    o.users = {{kAlex, "alex", "approver"}, {"U0JORDAN", "jordan", "not an approver"}};
    o.default_channel = kChannel;
    o.poll_wait = 10s;
    web_ = std::make_unique<SandboxWeb>(emu_, o, null_logger());
    ASSERT_TRUE(web_->start());
  }
  void TearDown() override {
    web_->stop();
    client_->stop();
  }

  json post(const std::string& path, const json& body, int expect = 200) {
    const auto r = test::raw_http(web_->port(), test::http_request("POST", path,
                                                                   {{"Content-Type", "application/json"},
                                                                    {"X-Vigil-Sandbox-Token", web_->page_token()}},
                                                                   body.dump()));
    EXPECT_EQ(r.status, expect) << path << ": " << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }
  json state(std::optional<std::uint64_t> since = std::nullopt) {
    const auto target = since ? "/api/state?since=" + std::to_string(*since) : std::string("/api/state");
    const auto r = test::raw_http(web_->port(), test::http_request("GET", target), 20s);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  // The app's side: a Web API call with the bot token, as Vigil makes it.
  json slack_api(const std::string& method, const json& args) {
    const auto r =
        test::raw_http(emu_.port(), test::http_request("POST", "/api/" + method,
                                                       {{"Content-Type", "application/json; charset=utf-8"},
                                                        {"Authorization", "Bearer " + test::fake_bot_token()}},
                                                       args.dump()));
    return json::parse(r.body);
  }
  template <class T>
  std::optional<T> next_event(std::size_t& seen) {
    if (!client_->wait_for_events(seen + 1, 10s)) {
      return std::nullopt;
    }
    const auto events = client_->events();
    for (; seen < events.size(); ++seen) {
      if (const auto* e = std::get_if<T>(&events[seen].body)) {
        ++seen;
        return *e;
      }
    }
    return std::nullopt;
  }
  static json find_message(const json& st, const std::string& ts) {
    for (const auto& m : st["messages"]) {
      if (m["ts"] == ts) {
        return m;
      }
    }
    return nullptr;
  }

  SlackEmulator emu_;
  std::unique_ptr<test::SlackClientHarness> client_;
  std::unique_ptr<SandboxWeb> web_;
};

TEST_F(SandboxWebApi, ServesThePageOnLoopback) {
  EXPECT_EQ(web_->url(), "http://127.0.0.1:" + std::to_string(web_->port()) + "/");
  const auto page = test::raw_http(web_->port(), test::http_request("GET", "/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.headers.at("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("sandbox.js"), std::string::npos);
  EXPECT_NE(page.headers.at("content-security-policy").find("default-src 'self'"), std::string::npos);
  const auto js = test::raw_http(web_->port(), test::http_request("GET", "/sandbox.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.headers.at("content-type").find("javascript"), std::string::npos);
  const auto st = state();
  EXPECT_TRUE(st["connected"].get<bool>());
  EXPECT_EQ(st["default_channel"], kChannel);
  EXPECT_EQ(st["users"][0]["name"], "alex");
}

TEST_F(SandboxWebApi, AMessageAndASlashCommandReachTheSocketModeClient) {
  std::size_t seen = 0;
  const auto sent =
      post("/api/message", {{"user", kAlex}, {"channel", kChannel}, {"text", "hi @vigil, is checkout <ok>?"}});
  ASSERT_TRUE(sent.value("ok", false));
  // Slack sends a message event and, as the bot is mentioned, an app_mention (in either order).
  const auto first = next_event<MessageEvent>(seen);
  const auto second = next_event<MessageEvent>(seen);
  ASSERT_TRUE(first && second);
  const auto& message = first->kind == MessageKind::AppMention ? *second : *first;
  const auto& mention = first->kind == MessageKind::AppMention ? *first : *second;
  EXPECT_EQ(message.kind, MessageKind::ChannelMessage);
  EXPECT_EQ(mention.kind, MessageKind::AppMention);
  EXPECT_EQ(message.user, kAlex);
  EXPECT_EQ(message.channel, kChannel);
  EXPECT_EQ(message.ts, sent["ts"]);
  EXPECT_EQ(mention.ts, sent["ts"]);
  EXPECT_EQ(message.text, "hi <@U0VIGIL>, is checkout &lt;ok&gt;?") << "a mention and Slack's escaping";
  EXPECT_TRUE(emu_.wait_for_ack(sent["envelope_id"], 3s)) << "the client acked the envelope";
  // The message is in the channel as the page shows it.
  EXPECT_EQ(find_message(state(), sent["ts"])["user"], kAlex);

  const auto cmd =
      post("/api/command", {{"user", kAlex}, {"channel", kChannel}, {"command", "/triage"}, {"text", "status"}});
  ASSERT_TRUE(cmd.value("ok", false));
  const auto slash = next_event<SlashCommand>(seen);
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->command, "/triage");
  EXPECT_EQ(slash->text, "status");
  EXPECT_EQ(slash->user_id, kAlex);
  EXPECT_EQ(slash->user_name, "alex");
  EXPECT_EQ(slash->channel_name, "incidents");
  EXPECT_EQ(slash->response_url.rfind("http://127.0.0.1:" + std::to_string(emu_.port()) + "/response/", 0), 0u);
  EXPECT_FALSE(slash->trigger_id.empty());

  // Usage mistakes are refused before anything reaches Slack.
  post("/api/message", {{"user", "U0NOBODY"}, {"channel", kChannel}, {"text", "x"}}, 400);
  post("/api/message", {{"user", kAlex}, {"channel", "C0NONE"}, {"text", "x"}}, 404);
  post("/api/command", {{"user", kAlex}, {"channel", kChannel}, {"command", "triage"}, {"text", ""}}, 400);
}

TEST_F(SandboxWebApi, TheChangeFeedWaitsForAnEditAndShowsIt) {
  const auto posted = slack_api("chat.postMessage", {{"channel", kChannel}, {"text", "Run started"}});
  ASSERT_TRUE(posted.value("ok", false)) << posted.dump();
  const std::string ts = posted["ts"];
  const auto before = state();
  EXPECT_EQ(find_message(before, ts)["text"], "Run started");
  EXPECT_FALSE(find_message(before, ts)["edited"].get<bool>());
  // A long-poll from the current version waits until the app edits the message.
  const auto version = before["version"].get<std::uint64_t>();
  auto waiting = std::async(std::launch::async, [&] { return state(version); });
  EXPECT_EQ(waiting.wait_for(300ms), std::future_status::timeout) << "nothing changed yet";
  const auto updated = slack_api("chat.update", {{"channel", kChannel}, {"ts", ts}, {"text", "Run succeeded"}});
  ASSERT_TRUE(updated.value("ok", false)) << updated.dump();
  const auto after = waiting.get();
  EXPECT_GT(after["version"].get<std::uint64_t>(), version);
  EXPECT_EQ(find_message(after, ts)["text"], "Run succeeded");
  EXPECT_TRUE(find_message(after, ts)["edited"].get<bool>());
  // Thread replies and reactions too.
  slack_api("chat.postMessage", {{"channel", kChannel}, {"thread_ts", ts}, {"text", "step 1 done"}});
  slack_api("reactions.add", {{"channel", kChannel}, {"timestamp", ts}, {"name", "eyes"}});
  const auto later = state();
  EXPECT_EQ(find_message(later, ts)["reactions"], json::array({"eyes"}));
  bool reply = false;
  for (const auto& m : later["messages"]) {
    reply = reply || (m["thread_ts"] == ts && m["text"] == "step 1 done");
  }
  EXPECT_TRUE(reply);
}

TEST_F(SandboxWebApi, AButtonClickIsABlockActionsEnvelopeAndAModalCanBeSubmitted) {
  const json blocks =
      json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "Approve the restart?"}}}},
                   {{"type", "actions"},
                    {"block_id", "approval:tok123"},
                    {"elements", json::array({{{"type", "button"},
                                               {"action_id", "approval.approve"},
                                               {"value", "tok123"},
                                               {"style", "primary"},
                                               {"text", {{"type", "plain_text"}, {"text", "Approve"}}}},
                                              {{"type", "button"},
                                               {"action_id", "approval.deny"},
                                               {"value", "tok123"},
                                               {"style", "danger"},
                                               {"text", {{"type", "plain_text"}, {"text", "Deny"}}}}})}}});
  const auto card = slack_api("chat.postMessage", {{"channel", kChannel}, {"text", "approval"}, {"blocks", blocks}});
  ASSERT_TRUE(card.value("ok", false)) << card.dump();
  const std::string ts = card["ts"];
  std::size_t seen = 0;
  const auto clicked = post("/api/action", {{"user", kAlex},
                                            {"channel", kChannel},
                                            {"message_ts", ts},
                                            {"block_id", "approval:tok123"},
                                            {"action_id", "approval.deny"}});
  ASSERT_TRUE(clicked.value("ok", false));
  const auto action = next_event<BlockAction>(seen);
  ASSERT_TRUE(action);
  EXPECT_EQ(action->action_id, "approval.deny");
  EXPECT_EQ(action->value, "tok123") << "the value comes from the message, not the page";
  EXPECT_EQ(action->user_id, kAlex);
  EXPECT_EQ(action->channel_id, kChannel);
  EXPECT_EQ(action->message_ts, ts);
  EXPECT_EQ(action->container_type, "message");
  ASSERT_FALSE(action->trigger_id.empty());
  // No such button: nothing is sent.
  post("/api/action",
       {{"user", kAlex},
        {"channel", kChannel},
        {"message_ts", ts},
        {"block_id", "approval:tok123"},
        {"action_id", "approval.forged"}},
       404);

  // The app opens a modal with the click's trigger_id; the page shows it to alex only.
  const json modal{{"type", "modal"},
                   {"callback_id", "approval.deny_reason"},
                   {"private_metadata", "tok123"},
                   {"title", {{"type", "plain_text"}, {"text", "Deny this step"}}},
                   {"submit", {{"type", "plain_text"}, {"text", "Deny"}}},
                   {"blocks", json::array({{{"type", "input"},
                                            {"block_id", "reason"},
                                            {"optional", true},
                                            {"label", {{"type", "plain_text"}, {"text", "Why?"}}},
                                            {"element", {{"type", "plain_text_input"}, {"action_id", "reason"}}}}})}};
  const auto opened = slack_api("views.open", {{"trigger_id", action->trigger_id}, {"view", modal}});
  ASSERT_TRUE(opened.value("ok", false)) << opened.dump();
  const std::string view_id = opened["view"]["id"];
  const auto with_modal = state();
  ASSERT_EQ(with_modal["views"].size(), 1u);
  EXPECT_EQ(with_modal["views"][0]["user"], kAlex);
  EXPECT_EQ(with_modal["views"][0]["view"]["title"]["text"], "Deny this step");

  post("/api/view_submission",
       {{"user", kAlex}, {"view_id", view_id}, {"values", {{"reason", {{"reason", "not at peak"}}}}}});
  const auto submission = next_event<ViewSubmission>(seen);
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission->callback_id, "approval.deny_reason");
  EXPECT_EQ(submission->private_metadata, "tok123");
  EXPECT_EQ(submission->view_id, view_id);
  EXPECT_EQ(submission->user_id, kAlex);
  EXPECT_EQ(submission->values.at("reason.reason"), "not at peak");
  EXPECT_TRUE(state()["views"].empty()) << "a submitted modal closes";
}

// What the page shows of a channel: a click's response_url replaces or deletes the clicked message,
// and a shared file shows under its message, its start as a preview.
TEST_F(SandboxWebApi, AResponseUrlReplacesOrDeletesTheClickedMessageAndFilesShowUnderTheirMessage) {
  const auto card_blocks = [](const std::string& block_id) {
    return json::array({{{"type", "actions"},
                         {"block_id", block_id},
                         {"elements", json::array({{{"type", "button"},
                                                    {"action_id", "go"},
                                                    {"value", block_id},
                                                    {"text", {{"type", "plain_text"}, {"text", "Go"}}}}})}}});
  };
  std::size_t seen = 0;
  // Clicks the card's button; returns the path of the click's response_url.
  const auto click = [&](const std::string& ts, const std::string& block_id) -> std::string {
    post("/api/action",
         {{"user", kAlex}, {"channel", kChannel}, {"message_ts", ts}, {"block_id", block_id}, {"action_id", "go"}});
    const auto action = next_event<BlockAction>(seen);
    EXPECT_TRUE(action);
    return action ? action->response_url.substr(action->response_url.find("/response/")) : std::string();
  };
  const auto respond = [&](const std::string& path, const json& body) {
    const auto r = test::raw_http(
        emu_.port(), test::http_request("POST", path, {{"Content-Type", "application/json"}}, body.dump()));
    EXPECT_EQ(r.status, 200) << r.body;
  };
  const std::string kept = slack_api(
      "chat.postMessage", {{"channel", kChannel}, {"text", "card one"}, {"blocks", card_blocks("one")}})["ts"];
  const std::string gone = slack_api(
      "chat.postMessage", {{"channel", kChannel}, {"text", "card two"}, {"blocks", card_blocks("two")}})["ts"];
  respond(click(kept, "one"),
          {{"replace_original", true},
           {"text", "Approved by alex"},
           {"blocks", json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "Approved"}}}}})}});
  respond(click(gone, "two"), {{"delete_original", true}});

  const auto upload = slack_api("files.getUploadURLExternal", {{"filename", "pods.txt"}, {"length", "11"}});
  ASSERT_TRUE(upload.value("ok", false)) << upload;
  const std::string file_id = upload["file_id"];
  test::raw_http(emu_.port(), test::http_request("POST", "/upload/" + file_id, {}, "pod-1 Ready"));
  const auto shared =
      slack_api("files.completeUploadExternal", {{"files", json::array({{{"id", file_id}, {"title", "Pods"}}}).dump()},
                                                 {"channel_id", kChannel},
                                                 {"thread_ts", kept},
                                                 {"initial_comment", "the pods"}});
  ASSERT_TRUE(shared.value("ok", false)) << shared;

  const auto messages = state()["messages"];
  ASSERT_EQ(messages.size(), 2u) << messages.dump();
  EXPECT_EQ(messages[0]["ts"], kept);
  EXPECT_EQ(messages[0]["text"], "Approved by alex");
  EXPECT_EQ(messages[0]["blocks"][0]["text"]["text"], "Approved");
  EXPECT_EQ(messages[0]["blocks"][0]["block_id"], "sbx-0") << "Slack names a block that has no block_id";
  EXPECT_EQ(messages[0]["edited"], true);
  EXPECT_EQ(messages[0]["files"], json::array());
  EXPECT_EQ(messages[1]["text"], "the pods");
  EXPECT_EQ(messages[1]["thread_ts"], kept);
  ASSERT_EQ(messages[1]["files"].size(), 1u);
  EXPECT_EQ(messages[1]["files"][0]["title"], "Pods");
  EXPECT_EQ(messages[1]["files"][0]["name"], "pods.txt");
  EXPECT_EQ(messages[1]["files"][0]["size"], 11);
  EXPECT_EQ(messages[1]["files"][0]["preview"], "pod-1 Ready");
}

TEST_F(SandboxWebApi, PrivateRepliesShowOnlyForTheirPerson) {
  std::size_t seen = 0;
  post("/api/command", {{"user", kAlex}, {"channel", kChannel}, {"command", "/runbook"}, {"text", "list"}});
  const auto slash = next_event<SlashCommand>(seen);
  ASSERT_TRUE(slash);
  // A response_url answer (the default is ephemeral) and a chat.postEphemeral.
  const auto path = slash->response_url.substr(slash->response_url.find("/response/"));
  const auto r = test::raw_http(emu_.port(), test::http_request("POST", path, {{"Content-Type", "application/json"}},
                                                                json{{"text", "3 runbooks"}}.dump()));
  EXPECT_EQ(r.status, 200);
  slack_api("chat.postEphemeral", {{"channel", kChannel}, {"user", kAlex}, {"text", "only for alex"}});
  const auto st = state();
  std::vector<std::string> texts;
  for (const auto& e : st["ephemerals"]) {
    EXPECT_EQ(e["user"], kAlex);
    EXPECT_EQ(e["channel"], kChannel);
    texts.push_back(e["text"]);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"only for alex", "3 runbooks"}));
  for (const auto& m : st["messages"]) {
    EXPECT_NE(m["text"], "only for alex") << "never in the channel for everyone";
  }
}

TEST_F(SandboxWebApi, HeaderActionsAndForeignPages) {
  web_->stop();
  SandboxWebOptions o;
  o.listen = "127.0.0.1:0";
  o.users = {{kAlex, "alex", "approver"}};
  web_ = std::make_unique<SandboxWeb>(emu_, o, null_logger());
  int fired = 0;
  web_->add_action("demo-alert", "Fire a demo alert", [&]() -> Result<std::string> {
    ++fired;
    auto sent = web_->post_as_bot(
        kChannel, {{"bot_id", "B0ALERTS"}, {"username", "Alertmanager (demo)"}, {"text", "[FIRING:1] Demo"}});
    if (!sent) {
      return sent.error();
    }
    return std::string("posted");
  });
  ASSERT_TRUE(web_->start());
  EXPECT_EQ(state()["actions"][0]["label"], "Fire a demo alert");
  std::size_t seen = 0;
  EXPECT_EQ(post("/api/run/demo-alert", json::object())["note"], "posted");
  EXPECT_EQ(fired, 1);
  const auto alert = next_event<MessageEvent>(seen);
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->kind, MessageKind::BotMessage);
  EXPECT_EQ(alert->bot_id, "B0ALERTS");
  EXPECT_EQ(alert->bot_name, "Alertmanager (demo)");

  // A form post from another web page, or a rebinding host name, gets nothing done.
  const auto form = test::raw_http(
      web_->port(), test::http_request("POST", "/api/run/demo-alert", {{"Content-Type", "text/plain"}}, "{}"));
  EXPECT_EQ(form.status, 403);
  const auto rebound = test::raw_http(
      web_->port(),
      "POST /api/run/demo-alert HTTP/1.1\r\nHost: evil.example:8080\r\nContent-Type: application/json\r\n"
      "X-Vigil-Sandbox-Token: " +
          web_->page_token() + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(fired, 1);
}

// What a browser on another site can send without a preflight, and what a client without the
// page's token sends, is refused with 403 and why; the page itself (its origin, its token) is served.
TEST_F(SandboxWebApi, OnlyThePageItselfMayPost) {
  web_->stop();
  SandboxWebOptions o;
  o.listen = "127.0.0.1:0";
  o.users = {{kAlex, "alex", "approver"}};
  web_ = std::make_unique<SandboxWeb>(emu_, o, null_logger());
  int fired = 0;
  web_->add_action("demo-alert", "Fire a demo alert", [&]() -> Result<std::string> {
    ++fired;
    return std::string("posted");
  });
  ASSERT_TRUE(web_->start());
  const auto own_origin = "http://127.0.0.1:" + std::to_string(web_->port());
  const auto& token = web_->page_token();
  // As a browser sends it: the Host with the page's port.
  auto post_with = [&](const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string request = "POST /api/run/demo-alert HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(web_->port()) +
                          "\r\nConnection: close\r\nContent-Length: 2\r\n";
    for (const auto& [name, value] : headers) {
      request += name + ": " + value + "\r\n";
    }
    const auto r = test::raw_http(web_->port(), request + "\r\n{}");
    const auto body = json::parse(r.body, nullptr, false);
    return std::make_pair(r.status, body.is_object() ? body.value("error", "") : std::string());
  };

  // The page carries its token (and nothing else in it names one).
  const auto page = test::raw_http(web_->port(), test::http_request("GET", "/"));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_NE(page.body.find("<meta name=\"vigil-sandbox-token\" content=\"" + token + "\">"), std::string::npos);
  EXPECT_EQ(page.body.find("{{"), std::string::npos) << "the placeholder is filled in";

  // The content type is application/json exactly; parameters are fine.
  const auto sneaky = post_with({{"Content-Type", "text/plain;charset=application/json"},
                                 {"Origin", own_origin},
                                 {"X-Vigil-Sandbox-Token", token}});
  EXPECT_EQ(sneaky.first, 403);
  EXPECT_EQ(sneaky.second,
            "refused: the content type must be application/json, not 'text/plain;charset=application/json'");
  EXPECT_EQ(post_with({{"Content-Type", "application/jsonx"}, {"X-Vigil-Sandbox-Token", token}}).first, 403);
  EXPECT_EQ(fired, 0);

  // Another site's page, even one that somehow had the token.
  const auto foreign = post_with(
      {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}, {"X-Vigil-Sandbox-Token", token}});
  EXPECT_EQ(foreign.first, 403);
  EXPECT_EQ(foreign.second,
            "refused: a request from another origin (https://evil.example); only the sandbox page itself may post");
  EXPECT_EQ(
      post_with({{"Content-Type", "application/json"}, {"Origin", "null"}, {"X-Vigil-Sandbox-Token", token}}).first,
      403);
  EXPECT_EQ(fired, 0);

  // No token, or a wrong one, from the right origin or none.
  const auto tokenless = post_with({{"Content-Type", "application/json"}, {"Origin", own_origin}});
  EXPECT_EQ(tokenless.first, 403);
  EXPECT_EQ(tokenless.second, "refused: missing or wrong page token (X-Vigil-Sandbox-Token); reload the sandbox page");
  EXPECT_EQ(post_with({{"Content-Type", "application/json"}, {"X-Vigil-Sandbox-Token", std::string(32, '0')}}).first,
            403);
  EXPECT_EQ(fired, 0);

  // The page itself, and a non-browser client with the token.
  EXPECT_EQ(post_with({{"Content-Type", "application/json; charset=utf-8"},
                       {"Origin", own_origin},
                       {"X-Vigil-Sandbox-Token", token}})
                .first,
            200);
  EXPECT_EQ(post_with({{"Content-Type", "Application/JSON"}, {"X-Vigil-Sandbox-Token", token}}).first, 200);
  EXPECT_EQ(fired, 2);
}

}  // namespace
}  // namespace vigil
