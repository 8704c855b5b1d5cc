#include "bot/app/runtime_setup.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include <boost/asio/error.hpp>
#include <boost/system/errc.hpp>
#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ListenFailureMessage, ATakenPortSaysWhatToChange) {
  const Error taken(boost::asio::error::address_in_use, "127.0.0.1:9090");
  const std::string setting = "http.listen in /etc/vigil/vigil.yaml (or VIGIL_HTTP_ADDR)";
  EXPECT_EQ(listen_failure_message("127.0.0.1:9090", taken, setting),
            "cannot listen on 127.0.0.1:9090: address already in use; another program has this port: set "
            "http.listen in /etc/vigil/vigil.yaml (or VIGIL_HTTP_ADDR), or port 0 for a free one");
}

TEST(ListenFailureMessage, OtherCausesNameTheSettingToo) {
  const Error denied(boost::asio::error::access_denied, "0.0.0.0:80");
  EXPECT_EQ(listen_failure_message("0.0.0.0:80", denied, "X"),
            "cannot listen on 0.0.0.0:80: permission denied (a port below 1024 needs privileges): set X "
            "to a port above 1023");
  const Error foreign(make_error_code(boost::system::errc::address_not_available), "10.9.9.9:9090");
  EXPECT_EQ(listen_failure_message("10.9.9.9:9090", foreign, "X"),
            "cannot listen on 10.9.9.9:9090: no network interface of this machine has this address: set X "
            "(127.0.0.1 for this machine only)");
  const Error bad(Errc::InvalidConfig, "http.listen: not an IP address: example.com");
  EXPECT_EQ(listen_failure_message("example.com:1", bad, "X"),
            "cannot listen on example.com:1: http.listen: not an IP address: example.com: set X");
}

TEST(ListenFailureMessage, TheSettingNamesTheConfigurationFile) {
  Config config;
  EXPECT_EQ(http_listen_setting(config), "http.listen in a configuration file (--config) or VIGIL_HTTP_ADDR");
  config.source_file = "/etc/vigil/vigil.yaml";
  EXPECT_EQ(http_listen_setting(config), "http.listen in /etc/vigil/vigil.yaml (or VIGIL_HTTP_ADDR)");
}

// `vigil triage --local` under sudo -i, systemd or in a container has no $USER: the timeline said
// "cli:unknown".
TEST(CliActor, NamesTheLoginOrTheAccountOfTheEffectiveUser) {
  const char* saved_user = std::getenv("USER");
  const char* saved_logname = std::getenv("LOGNAME");
  const std::string user = saved_user != nullptr ? saved_user : "";
  const std::string logname = saved_logname != nullptr ? saved_logname : "";

  ::setenv("USER", "alice", 1);
  EXPECT_EQ(cli_actor(), "cli:alice");
  ::unsetenv("USER");
  ::setenv("LOGNAME", "bob", 1);
  EXPECT_EQ(cli_actor(), "cli:bob");
  ::unsetenv("LOGNAME");
  const passwd* account = ::getpwuid(::geteuid());
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(cli_actor(), std::string("cli:") + account->pw_name);

  if (saved_user != nullptr) {
    ::setenv("USER", user.c_str(), 1);
  }
  if (saved_logname != nullptr) {
    ::setenv("LOGNAME", logname.c_str(), 1);
  }
}

}  // namespace
}  // namespace vigil
