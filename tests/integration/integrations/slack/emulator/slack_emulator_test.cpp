// The Slack emulator's Web API over HTTP on loopback: every method it knows answers as Slack does
// (ok, the fields Vigil reads, Slack's error strings), refusals come in Slack's order (injected
// HTTP failures and rate limits, then the token, then the body), and every call is recorded.
#include "integrations/slack/emulator/slack_emulator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/raw_http.h"
#include "tests/support/slack_harness.h"

namespace vigil::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class EmulatorWebApi : public ::testing::Test {
 protected:
  void SetUp() override { emu_.start(); }

  test::RawHttpResponse raw(const std::string& method, const std::string& body, const std::string& token,
                            const std::string& content_type = "application/json; charset=utf-8") {
    std::map<std::string, std::string> headers{{"Content-Type", content_type}};
    if (!token.empty()) {
      headers["Authorization"] = "Bearer " + token;
    }
    return test::raw_http(emu_.port(), test::http_request("POST", "/api/" + method, headers, body));
  }
  // A call as Vigil makes it: a JSON body and the bot token (the app token for
  // apps.connections.open); the HTTP status must be 200.
  json call(const std::string& method, const json& args, std::string token = "") {
    if (token.empty()) {
      token = method == "apps.connections.open" ? test::fake_app_token() : test::fake_bot_token();
    }
    const auto r = raw(method, args.dump(), token);
    EXPECT_EQ(r.status, 200) << method << ": " << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }
  static std::string error_of(const json& answer) {
    return answer.value("ok", true) ? std::string("(ok)") : answer.value("error", std::string("(none)"));
  }

  SlackEmulator emu_;
};

TEST_F(EmulatorWebApi, ConnectsAndIdentifiesTheApp) {
  const auto auth = call("auth.test", json::object());
  EXPECT_EQ(auth["ok"], true);
  EXPECT_EQ(auth["user_id"], "U0VIGIL");
  EXPECT_EQ(auth["bot_id"], "B0VIGIL");
  EXPECT_EQ(auth["team_id"], "T111");
  const auto first = call("apps.connections.open", json::object());
  const auto second = call("apps.connections.open", json::object());
  const auto base = "ws://127.0.0.1:" + std::to_string(emu_.port()) + "/link/?ticket=";
  EXPECT_EQ(first["url"], base + "1&app_id=A0VIGIL");
  EXPECT_EQ(second["url"], base + "2&app_id=A0VIGIL");
}

TEST_F(EmulatorWebApi, PostsEditsReactsDeletesAndListsMessages) {
  const auto root = call("chat.postMessage", {{"channel", "C111"}, {"text", "root"}});
  ASSERT_EQ(root["ok"], true) << root;
  const std::string ts = root["ts"];
  EXPECT_EQ(root["channel"], "C111");
  EXPECT_EQ(root["message"]["bot_id"], "B0VIGIL");
  EXPECT_EQ(root["message"]["user"], "U0VIGIL");
  const auto reply = call("chat.postMessage", {{"channel", "C111"}, {"text", "reply"}, {"thread_ts", ts}});
  EXPECT_GT(std::string(reply["ts"]), ts);
  const auto secret = call("chat.postEphemeral", {{"channel", "C111"}, {"user", "U111"}, {"text", "psst"}});
  EXPECT_EQ(secret["ok"], true);
  EXPECT_TRUE(secret.contains("message_ts"));

  const auto edited = call("chat.update", {{"channel", "C111"}, {"ts", ts}, {"text", "root, edited"}});
  EXPECT_EQ(edited["text"], "root, edited");
  EXPECT_EQ(call("reactions.add", {{"channel", "C111"}, {"timestamp", ts}, {"name", "eyes"}})["ok"], true);
  EXPECT_EQ(error_of(call("reactions.add", {{"channel", "C111"}, {"timestamp", ts}, {"name", "eyes"}})),
            "already_reacted");
  const auto messages = emu_.messages("C111");
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].text, "root, edited");
  EXPECT_TRUE(messages[0].edited);
  EXPECT_EQ(messages[0].reactions, std::vector<std::string>{"eyes"});
  EXPECT_TRUE(messages[2].ephemeral);
  EXPECT_EQ(messages[2].user, "U111");

  // The channel lists top-level messages, newest first; the thread lists its root and replies.
  call("chat.postMessage", {{"channel", "C111"}, {"text", "later"}});
  const auto history = call("conversations.history", {{"channel", "C111"}});
  ASSERT_EQ(history["messages"].size(), 2u) << history;
  EXPECT_EQ(history["messages"][0]["text"], "later");
  EXPECT_EQ(history["messages"][1]["text"], "root, edited");
  EXPECT_EQ(history["has_more"], false);
  const auto limited = call("conversations.history", {{"channel", "C111"}, {"limit", "1"}});
  EXPECT_EQ(limited["messages"].size(), 1u);
  EXPECT_EQ(limited["has_more"], true);
  EXPECT_EQ(error_of(call("conversations.history", {{"channel", "C111"}, {"limit", "many"}})), "invalid_limit");
  const auto thread = call("conversations.replies", {{"channel", "C111"}, {"ts", ts}});
  ASSERT_EQ(thread["messages"].size(), 2u) << thread;
  EXPECT_EQ(thread["messages"][0]["text"], "root, edited");
  EXPECT_EQ(thread["messages"][1]["text"], "reply");
  EXPECT_EQ(thread["messages"][1]["thread_ts"], ts);
  EXPECT_EQ(error_of(call("conversations.replies", {{"channel", "C111"}})), "thread_not_found");

  EXPECT_EQ(call("chat.delete", {{"channel", "C111"}, {"ts", ts}})["ok"], true);
  EXPECT_EQ(error_of(call("chat.update", {{"channel", "C111"}, {"ts", ts}, {"text", "gone"}})), "message_not_found");
  EXPECT_EQ(call("conversations.history", {{"channel", "C111"}})["messages"].size(), 1u);
}

TEST_F(EmulatorWebApi, RefusesBadMessagesWithSlacksErrors) {
  EXPECT_EQ(error_of(call("chat.postMessage", {{"text", "where"}})), "channel_not_found");
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "C999"}, {"text", "where"}})), "channel_not_found");
  EXPECT_EQ(call("chat.postMessage", {{"channel", "D0DIRECT"}, {"text", "a DM"}})["ok"], true);
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "C111"}})), "no_text");
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "C111"}, {"text", std::string(40'001, 'x')}})),
            "msg_too_long");
  const json label{{"type", "plain_text"}, {"text", std::string(76, 'b')}};
  const auto long_button = json::array(
      {{{"type", "actions"}, {"elements", json::array({{{"type", "button"}, {"text", label}, {"action_id", "a"}}})}}});
  const auto invalid = call("chat.postMessage", {{"channel", "C111"}, {"text", "card"}, {"blocks", long_button}});
  EXPECT_EQ(error_of(invalid), "invalid_blocks");
  EXPECT_EQ(invalid["response_metadata"]["messages"][0], "[ERROR] button text longer than 75");
  EXPECT_EQ(emu_.calls("chat.postMessage").back().error, "invalid_blocks");

  // Only the app's own messages can be edited; invalid blocks refuse an edit too.
  const auto own = call("chat.postMessage", {{"channel", "C111"}, {"text", "mine"}});
  EmulatedMessage person;
  person.channel = "C111";
  person.user = "U111";
  person.text = "a person's";
  const auto theirs = emu_.post_message(person);
  EXPECT_EQ(error_of(call("chat.update", {{"channel", "C111"}, {"ts", theirs}, {"text", "x"}})), "cant_update_message");
  EXPECT_EQ(
      error_of(call("chat.update", {{"channel", "C111"}, {"ts", own["ts"]}, {"text", "x"}, {"blocks", long_button}})),
      "invalid_blocks");
  EXPECT_EQ(error_of(call("chat.delete", {{"channel", "C999"}, {"ts", own["ts"]}})), "channel_not_found");
}

TEST_F(EmulatorWebApi, OpensAndUpdatesViews) {
  EXPECT_EQ(error_of(call("views.open", {{"view", {{"type", "modal"}}}})), "invalid_trigger_id");
  const auto opened = call("views.open", {{"trigger_id", "1.2.abc"}, {"view", {{"type", "modal"}}}});
  EXPECT_EQ(opened["view"]["id"], "V1");
  EXPECT_EQ(call("views.update", {{"view_id", "V1"}, {"view", {{"type", "modal"}}}})["view"]["id"], "V1");
  EXPECT_EQ(error_of(call("views.update", {{"view", {{"type", "modal"}}}})), "not_found");
}

TEST_F(EmulatorWebApi, CreatesChannelsInvitesAndLooksUpPeople) {
  const auto info = call("conversations.info", {{"channel", "C222"}});
  EXPECT_EQ(info["channel"]["name"], "incidents");
  EXPECT_EQ(info["channel"]["is_member"], true);
  EXPECT_EQ(error_of(call("conversations.info", {{"channel", "C999"}})), "channel_not_found");

  const auto created = call("conversations.create", {{"name", "inc-42"}, {"is_private", "true"}});
  ASSERT_EQ(created["ok"], true) << created;
  const std::string id = created["channel"]["id"];
  EXPECT_EQ(created["channel"]["is_private"], true);
  EXPECT_EQ(error_of(call("conversations.create", {{"name", "inc-42"}})), "name_taken");
  EXPECT_EQ(error_of(call("conversations.create", json::object())), "invalid_name_required");
  EXPECT_EQ(call("conversations.invite", {{"channel", id}, {"users", "U111,U222"}})["channel"]["name"], "inc-42");
  EXPECT_EQ(error_of(call("conversations.invite", {{"channel", id}})), "no_user");
  EXPECT_EQ(error_of(call("conversations.invite", {{"channel", "C999"}, {"users", "U111"}})), "channel_not_found");
  bool found = false;
  for (const auto& c : emu_.channels()) {
    if (c.id == id) {
      found = true;
      EXPECT_EQ(c.members, (std::vector<std::string>{"U111", "U222"}));
    }
  }
  EXPECT_TRUE(found);

  const auto alice = call("users.info", {{"user", "U111"}});
  EXPECT_EQ(alice["user"]["name"], "alice");
  EXPECT_EQ(alice["user"]["profile"]["email"], "alice@example.com");
  EXPECT_EQ(call("users.lookupByEmail", {{"email", "bob@example.com"}})["user"]["id"], "U222");
  EXPECT_EQ(error_of(call("users.info", {{"user", "U999"}})), "user_not_found");
  EXPECT_EQ(error_of(call("users.lookupByEmail", {{"email", "nobody@example.com"}})), "users_not_found");

  emu_.add_usergroup("S0ONCALL", {"U111"});
  EXPECT_EQ(call("usergroups.users.list", {{"usergroup", "S0ONCALL"}})["users"], json::array({"U111"}));
  EXPECT_EQ(error_of(call("usergroups.users.list", {{"usergroup", "S0NONE"}})), "no_such_subteam");
}

TEST_F(EmulatorWebApi, UploadsAFileAndSharesItInAThread) {
  const auto url = call("files.getUploadURLExternal", {{"filename", "out.txt"}, {"length", "5"}});
  ASSERT_EQ(url["ok"], true) << url;
  const std::string file_id = url["file_id"];
  EXPECT_EQ(url["upload_url"], "http://127.0.0.1:" + std::to_string(emu_.port()) + "/upload/" + file_id);
  EXPECT_EQ(error_of(call("files.getUploadURLExternal", {{"filename", "out.txt"}, {"length", "none"}})),
            "invalid_arguments");
  const auto files = json::array({{{"id", file_id}, {"title", "Output"}}}).dump();
  EXPECT_EQ(error_of(call("files.completeUploadExternal", {{"files", files}, {"channel_id", "C111"}})),
            "file_not_found");  // not uploaded yet
  const auto upload = test::raw_http(emu_.port(), test::http_request("POST", "/upload/" + file_id, {}, "hello"));
  EXPECT_EQ(upload.status, 200);
  EXPECT_EQ(upload.body, "OK - 5");
  EXPECT_EQ(error_of(call("files.completeUploadExternal", {{"files", "[]"}})), "invalid_arguments");
  EXPECT_EQ(error_of(call("files.completeUploadExternal", {{"files", files}, {"channel_id", "C999"}})),
            "channel_not_found");
  const auto done = call("files.completeUploadExternal", {{"files", files},
                                                          {"channel_id", "C111"},
                                                          {"thread_ts", "1800000000.000001"},
                                                          {"initial_comment", "the output"}});
  EXPECT_EQ(done["files"], json::array({{{"id", file_id}}})) << done;
  const auto shared = emu_.files();
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].content, "hello");
  EXPECT_EQ(shared[0].title, "Output");
  EXPECT_TRUE(shared[0].shared);
  const auto messages = emu_.messages("C111");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].text, "the output");
  EXPECT_EQ(messages[0].thread_ts, "1800000000.000001");
  EXPECT_EQ(messages[0].file_ids, std::vector<std::string>{file_id});
}

TEST_F(EmulatorWebApi, RefusesTokensBodiesAndUnknownMethodsLikeSlack) {
  EXPECT_EQ(error_of(json::parse(raw("auth.test", "{}", "").body)), "not_authed");
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "C111"}, {"text", "x"}}, test::fake_app_token())),
            "not_allowed_token_type");
  EXPECT_EQ(error_of(call("apps.connections.open", json::object(), test::fake_bot_token())), "not_allowed_token_type");
  EXPECT_EQ(error_of(call("auth.test", json::object(), "not-a-token")), "invalid_auth");
  EXPECT_EQ(error_of(json::parse(raw("auth.test", "{not json", test::fake_bot_token()).body)), "invalid_json");
  EXPECT_EQ(error_of(json::parse(raw("auth.test", "[1]", test::fake_bot_token()).body)), "json_not_object");
  EXPECT_EQ(error_of(call("chat.scheduleMessage", {{"channel", "C111"}})), "unknown_method");
  // A form body (and the token as a field) works as well as JSON.
  const auto form = raw("chat.postMessage", "channel=C111&text=hello%20there&token=" + test::fake_bot_token(), "",
                        "application/x-www-form-urlencoded");
  EXPECT_EQ(json::parse(form.body)["ok"], true) << form.body;
  EXPECT_EQ(emu_.messages("C111").back().text, "hello there");
  EXPECT_EQ(emu_.calls("chat.postMessage").back().token, test::fake_bot_token());
  EXPECT_FALSE(emu_.calls("chat.postMessage").back().args.contains("token"));

  emu_.fail_next("chat.postMessage", "is_archived", 1);
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "C111"}, {"text", "x"}})), "is_archived");
  EXPECT_EQ(call("chat.postMessage", {{"channel", "C111"}, {"text", "x"}})["ok"], true);
}

TEST_F(EmulatorWebApi, InjectedFailuresAndRateLimitsComeBeforeEverythingElse) {
  emu_.fail_next_http("auth.test", 429, 1, 7);
  const auto limited = raw("auth.test", "{}", "");  // no token: the 429 still comes first
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.at("retry-after"), "7");
  emu_.fail_next_http("auth.test", 503, 1);
  EXPECT_EQ(raw("auth.test", "{}", test::fake_bot_token()).status, 503);
  EXPECT_EQ(call("auth.test", json::object())["ok"], true);
  const auto calls = emu_.calls("auth.test");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].status, 429);
  EXPECT_EQ(calls[0].error, "ratelimited");
  EXPECT_EQ(calls[1].status, 503);
  EXPECT_EQ(calls[1].error, "http_503");
  EXPECT_EQ(calls[2].status, 200);

  emu_.set_rate_limit("users.info", 1, 60s);
  EXPECT_EQ(call("users.info", {{"user", "U111"}})["ok"], true);
  const auto over = raw("users.info", json{{"user", "U111"}}.dump(), test::fake_bot_token());
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(over.headers.at("retry-after"), "60");
  emu_.set_channel_rate_limit(1, 60s);
  EXPECT_EQ(call("chat.postMessage", {{"channel", "C111"}, {"text", "1"}})["ok"], true);
  EXPECT_EQ(call("chat.postMessage", {{"channel", "C222"}, {"text", "other channel"}})["ok"], true);
  EXPECT_EQ(raw("chat.postMessage", json{{"channel", "C111"}, {"text", "2"}}.dump(), test::fake_bot_token()).status,
            429);
  EXPECT_EQ(emu_.rate_limited_count(), 3);
}

TEST_F(EmulatorWebApi, RandomFaultsNeverFailTheSameRequestMoreThanAllowedInARow) {
  RandomFaults faults;
  faults.seed = 7;
  faults.server_error_rate = 0.9;
  faults.max_in_a_row = 2;
  faults.methods = {"users.info"};
  emu_.set_random_faults(faults);
  EXPECT_EQ(call("auth.test", json::object())["ok"], true);  // not a faulted method
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    const auto r = raw("users.info", json{{"user", "U111"}}.dump(), test::fake_bot_token());
    if (r.status == 200) {
      break;
    }
    EXPECT_TRUE(r.status == 500 || r.status == 502 || r.status == 503) << r.status;
    ++failures;
  }
  EXPECT_LE(failures, 2);
  EXPECT_EQ(emu_.calls("users.info").back().status, 200);
}

TEST_F(EmulatorWebApi, AnotherAppsBotPostsAndEditsItsOwnMessages) {
  const auto token = test::fake_bot_token() + "-grafana";
  emu_.add_app_bot(token, "B0GRAFANA", "Grafana");
  const auto posted = call("chat.postMessage", {{"channel", "#incidents"}, {"text", "[FIRING] api down"}}, token);
  ASSERT_EQ(posted["ok"], true) << posted;
  EXPECT_EQ(posted["channel"], "C222");
  EXPECT_EQ(posted["message"]["bot_id"], "B0GRAFANA");
  EXPECT_EQ(posted["message"]["bot_profile"]["name"], "Grafana");
  const auto edited =
      call("chat.update", {{"channel", "C222"}, {"ts", posted["ts"]}, {"text", "[RESOLVED] api down"}}, token);
  EXPECT_EQ(edited["ok"], true) << edited;
  const auto messages = emu_.messages("C222");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].bot_id, "B0GRAFANA");
  EXPECT_EQ(messages[0].text, "[RESOLVED] api down");
  EXPECT_TRUE(messages[0].edited);
  EXPECT_EQ(error_of(call("chat.postMessage", {{"channel", "#nowhere"}, {"text", "x"}}, token)), "channel_not_found");
}

}  // namespace
}  // namespace vigil::slack
