// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/money.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOkAndHolds;

TEST(Money, ParsesDecimalAmountsIntoMinorUnits) {
  EXPECT_THAT(parse_money("49.00", "USD"), IsOkAndHolds(Money{4900, "USD"}));
  EXPECT_THAT(parse_money("49", "usd"), IsOkAndHolds(Money{4900, "USD"}));
  EXPECT_THAT(parse_money("0.5", "EUR"), IsOkAndHolds(Money{50, "EUR"}));
  EXPECT_THAT(parse_money("500", "JPY"), IsOkAndHolds(Money{500, "JPY"}));
  EXPECT_THAT(parse_money("1.250", "KWD"), IsOkAndHolds(Money{1250, "KWD"}));
}

TEST(Money, RejectsMoreDecimalsThanTheCurrencyHas) {
  EXPECT_THAT(parse_money("49.001", "USD"), HasError(Errc::validation_failed));
  EXPECT_THAT(parse_money("500.5", "JPY"), HasError(Errc::validation_failed));
}

TEST(Money, RejectsAnythingButPlainDigits) {
  for (const char* bad : {"", ".5", "5.", "-1.00", "+1", "1e3", "1,000.00", " 1", "4 9", "0x10"})
    EXPECT_THAT(parse_money(bad, "USD"), HasError(Errc::validation_failed)) << bad;
}

TEST(Money, RejectsBadCurrencyCodes) {
  for (const char* bad : {"", "US", "USDD", "U$D", "12A"})
    EXPECT_THAT(parse_money("1.00", bad), HasError(Errc::validation_failed)) << bad;
}

TEST(Money, RejectsOverflow) {
  EXPECT_THAT(parse_money("92233720368547758.07", "USD"),
              IsOkAndHolds(Money{9223372036854775807, "USD"}));
  EXPECT_THAT(parse_money("92233720368547758.08", "USD"), HasError(Errc::validation_failed));
  EXPECT_THAT(parse_money("99999999999999999999", "JPY"), HasError(Errc::validation_failed));
}

TEST(Money, FormatsWithTheCurrencyExponent) {
  EXPECT_EQ(format_amount({4900, "USD"}), "49.00");
  EXPECT_EQ(format_amount({5, "USD"}), "0.05");
  EXPECT_EQ(format_amount({500, "JPY"}), "500");
  EXPECT_EQ(format_amount({1250, "KWD"}), "1.250");
  EXPECT_EQ(format_amount({-250, "EUR"}), "-2.50");
  EXPECT_EQ(format_amount({INT64_MIN, "JPY"}), "-9223372036854775808");
}

}  // namespace
}  // namespace tenantkit::billing
