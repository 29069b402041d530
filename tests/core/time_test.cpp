#include <string>

#include <gtest/gtest.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/time.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit {
namespace {

using namespace std::chrono;
using testing::HasError;
using testing::IsOkAndHolds;

TEST(Rfc3339, FormatsWholeSecondsAndMicroseconds) {
  const Timestamp t = from_unix_seconds(1764645909);  // 2025-12-02T03:25:09Z
  EXPECT_EQ(format_rfc3339(t), "2025-12-02T03:25:09Z");
  EXPECT_EQ(format_rfc3339(t + microseconds{120}), "2025-12-02T03:25:09.000120Z");
  EXPECT_EQ(format_date(t), "2025-12-02");
}

// Every field at its widths' edges (single digits, the epoch, before it, the last instant of
// year 9999), and outside four-digit years.
TEST(Rfc3339, FormatsEveryFieldAtItsEdges) {
  const Timestamp epoch{};
  EXPECT_EQ(format_rfc3339(epoch), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(epoch - microseconds{500'000}), "1969-12-31T23:59:59.500000Z");
  EXPECT_EQ(format_rfc3339(Timestamp{sys_days{year{2001} / 2 / 3}.time_since_epoch()} + hours{4} +
                           minutes{5} + seconds{6} + microseconds{7}),
            "2001-02-03T04:05:06.000007Z");
  const Timestamp last{sys_days{year{9999} / 12 / 31}.time_since_epoch() + hours{23} + minutes{59} +
                       seconds{59} + microseconds{999'999}};
  EXPECT_EQ(format_rfc3339(last), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(last + microseconds{1}), "10000-01-01T00:00:00Z");
  EXPECT_THAT(parse_rfc3339(format_rfc3339(last)), IsOkAndHolds(last));
  EXPECT_EQ(format_rfc3339(epoch + microseconds{1}), "1970-01-01T00:00:00.000001Z");
}

TEST(Rfc3339, ParsesWhatItFormatsAndOffsets) {
  const Timestamp t = from_unix_seconds(1764645909) + microseconds{123456};
  EXPECT_THAT(parse_rfc3339(format_rfc3339(t)), IsOkAndHolds(t));
  EXPECT_THAT(parse_rfc3339("2025-12-02T05:25:09.123456+02:00"), IsOkAndHolds(t));
  EXPECT_THAT(parse_rfc3339("2025-12-02T03:25:09.1Z"),
              IsOkAndHolds(from_unix_seconds(1764645909) + milliseconds{100}));
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* bad : {"", "2025-12-02", "2025-12-02T03:25:09", "2025-13-02T03:25:09Z",
                          "2025-02-30T03:25:09Z", "2025-12-02T24:00:00Z", "2025-12-02T03:25:09.Z",
                          "2025-12-02T03:25:09Zjunk", "2025-12-02T03:25:09+2:00"}) {
    EXPECT_THAT(parse_rfc3339(bad), HasError(Errc::bad_request)) << bad;
  }
}

TEST(Date, ParsesCalendarDatesOnly) {
  EXPECT_THAT(parse_date("2026-02-28"), IsOkAndHolds(Timestamp{sys_days{2026y / 2 / 28}}));
  EXPECT_THAT(parse_date("2026-02-29"), HasError(Errc::bad_request));
  EXPECT_THAT(parse_date("2026-2-28"), HasError(Errc::bad_request));
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const Timestamp start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(seconds{90});
  EXPECT_EQ(clock.now() - start, seconds{90});
  clock.set(start);
  EXPECT_EQ(clock.now(), start);
}

TEST(SystemClock, HasMicrosecondResolutionAndMoves) {
  const Timestamp a = system_clock().now();
  const Timestamp b = system_clock().now();
  EXPECT_LE(a, b);
  EXPECT_GT(a.time_since_epoch().count(), 0);
}

}  // namespace
}  // namespace tenantkit
