#include "skills/condition_values.h"

#include <gtest/gtest.h>

namespace vigil::skills {
namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

TEST(Rfc3339, ReadsTheTimesKubernetesWrites) {
  EXPECT_EQ(parse_rfc3339("2026-12-07T14:02:11Z"), at(2026, 12, 7, 14, 2, 11));
  EXPECT_EQ(parse_rfc3339("2026-12-07T14:02:11.123456Z"), at(2026, 12, 7, 14, 2, 11)) << "an event's eventTime";
  EXPECT_EQ(parse_rfc3339("2026-12-07T16:02:11+02:00"), at(2026, 12, 7, 14, 2, 11));
  EXPECT_EQ(parse_rfc3339("2026-12-07T12:02:11-02:00"), at(2026, 12, 7, 14, 2, 11));
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), at(2024, 2, 29, 0, 0, 0));
}

TEST(Rfc3339, RefusesWhatIsNotExactlyOneTime) {
  for (const char* bad : {"", "2026-12-07", "2026-12-07T14:02:11", "2026-12-07 14:02:11Z", "2026-13-07T14:02:11Z",
                          "2025-02-29T00:00:00Z", "2026-12-07T24:00:00Z", "2026-12-07T14:02:11.Z",
                          "2026-12-07T14:02:11Z ", "2026-12-07T14:02:11+2:00", "Tue, 12 Aug 2025 03:43:37 +0000"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339, TheEarliestTimeAnywhereInAnOutput) {
  EXPECT_EQ(earliest_time("2026-12-07T14:09:00Z 2026-12-07T14:05:00Z\n2026-12-07T14:07:00.5Z"),
            at(2026, 12, 7, 14, 5, 0));
  EXPECT_EQ(earliest_time("app: started 2026-12-07T14:05:00Z, crashed"), at(2026, 12, 7, 14, 5, 0));
  EXPECT_FALSE(earliest_time(" ").has_value()) << "no back-off event left";
  EXPECT_FALSE(earliest_time("12026-12-07T14:05:00Z").has_value()) << "a year is four digits after a non-digit";
}

TEST(BeganWithin, TheCrashBeganWithTheRolloutOnlyInsideTheWindow) {
  const auto window = minutes{30};
  const std::string rolled_out = "2026-12-07T14:00:00Z";
  EXPECT_TRUE(began_within("2026-12-07T14:02:11Z ", rolled_out, window));
  EXPECT_TRUE(began_within("2026-12-07T14:00:00Z", rolled_out, window)) << "at the rollout itself";
  EXPECT_TRUE(began_within("2026-12-07T14:30:00Z", rolled_out, window)) << "the window's end is in it";
  EXPECT_FALSE(began_within("2026-12-07T14:30:01Z", rolled_out, window));
  EXPECT_FALSE(began_within("2026-12-10T09:00:00Z", rolled_out, window)) << "days after: not the rollout";
  EXPECT_FALSE(began_within("2026-12-07T13:59:59Z", rolled_out, window)) << "before the rollout";
  EXPECT_TRUE(began_within("2026-12-07T16:10:00+02:00", rolled_out, window)) << "14:10Z";
  EXPECT_TRUE(began_within("2026-12-07T14:50:00Z 2026-12-07T14:10:00Z", rolled_out, window)) << "the earliest counts";
}

TEST(BeganWithin, NoEvidenceIsNeverARollback) {
  const auto window = minutes{30};
  EXPECT_FALSE(began_within("", "2026-12-07T14:00:00Z", window));
  EXPECT_FALSE(began_within("2026-12-07T14:05:00Z", "", window));
  EXPECT_FALSE(began_within("2026-12-07T14:05:00Z", "yesterday", window));
  EXPECT_FALSE(began_within("\n[stderr]\n2026-12-07T14:05:00Z", "2026-12-07T14:00:00Z", window))
      << "a time in the standard error is no evidence";
}

TEST(SameAs, TheWholeOutputIsTheCapture) {
  EXPECT_TRUE(same_as("7", "7"));
  EXPECT_TRUE(same_as(" 7\n", "7"));
  EXPECT_FALSE(same_as("17", "7"));
  EXPECT_FALSE(same_as("7 8", "7"));
  EXPECT_FALSE(same_as("", ""));
  EXPECT_FALSE(same_as("\n[stderr]\n7", "7"));
}

TEST(ExtraConditions, ReadTheCapturesTheyName) {
  Condition c;
  c.step = "latest";
  c.same_as = CaptureRef{"pod", "revision"};
  CaptureValues captures{{"pod", {{"revision", "7"}, {"rolled_out_at", "2026-12-07T14:00:00Z"}}}};
  EXPECT_TRUE(extra_conditions_hold(c, "7", captures));
  EXPECT_FALSE(extra_conditions_hold(c, "6", captures));
  EXPECT_FALSE(extra_conditions_hold(c, "7", {})) << "not captured: does not hold";

  Condition w;
  w.step = "backoff";
  w.began_within = TimeWindow{CaptureRef{"pod", "rolled_out_at"}, minutes{30}};
  EXPECT_TRUE(extra_conditions_hold(w, "2026-12-07T14:02:00Z", captures));
  EXPECT_FALSE(extra_conditions_hold(w, "2026-12-07T15:02:00Z", captures));
  EXPECT_FALSE(extra_conditions_hold(w, "2026-12-07T14:02:00Z", {}));
  EXPECT_TRUE(extra_conditions_hold(Condition{}, "", {})) << "neither set";
}

}  // namespace
}  // namespace vigil::skills
