#include <sstream>

#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <tenantkit/core/error.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit {
namespace {

using testing::HasError;
using testing::IsOk;
using testing::IsOkAndHolds;

TEST(Errc, EveryCodeRoundTripsThroughItsWireSpelling) {
  const char* names[] = {"bad_request",
                         "validation_failed",
                         "unauthorized",
                         "forbidden",
                         "not_found",
                         "conflict",
                         "gone",
                         "payload_too_large",
                         "rate_limited",
                         "quota_exceeded",
                         "seat_limit_reached",
                         "feature_not_in_plan",
                         "plan_limit_reached",
                         "invalid_signature",
                         "unavailable",
                         "internal"};
  int value = 1;
  for (const char* name : names) {
    Errc parsed{};
    ASSERT_TRUE(parse_errc(name, parsed)) << name;
    EXPECT_EQ(static_cast<int>(parsed), value++);
    EXPECT_EQ(to_string(parsed), name);
  }
  Errc unused{};
  EXPECT_FALSE(parse_errc("teapot", unused));
  EXPECT_EQ(to_string(static_cast<Errc>(200)), "internal");
}

TEST(Errc, IsAnErrorCodeEnumWithItsOwnCategory) {
  boost::system::error_code ec = Errc::not_found;
  EXPECT_EQ(ec.category().name(), std::string("tenantkit"));
  EXPECT_EQ(ec.message(), "not_found");
  EXPECT_EQ(ec, make_error_code(Errc::not_found));
  EXPECT_NE(ec, make_error_code(Errc::conflict));
}

Result<int> half(int v) {
  if (v % 2 != 0) return Error{Errc::validation_failed, "odd", {{"v", "must be even"}}};
  return v / 2;
}

Result<int> quarter(int v) {
  auto h = half(v);
  if (!h) return h.error();
  return half(*h);
}

TEST(Result, PropagatesTheFirstError) {
  EXPECT_THAT(quarter(8), IsOkAndHolds(2));
  auto r = quarter(6);
  ASSERT_THAT(r, HasError(Errc::validation_failed));
  ASSERT_EQ(r.error().fields.size(), 1u);
  EXPECT_EQ(r.error().fields[0].field, "v");
}

TEST(Result, ValueOnAnErrorThrowsSystemError) {
  auto r = half(3);
  EXPECT_THROW((void)r.value(), boost::system::system_error);
}

TEST(Result, VoidResults) {
  Result<void> good = ok();
  EXPECT_THAT(good, IsOk());
  Result<void> bad = Error{Errc::gone};
  EXPECT_THAT(bad, HasError(Errc::gone));
}

TEST(Error, PrintsCodeDetailAndFields) {
  std::ostringstream os;
  os << Error{Errc::validation_failed, "bad input", {{"email", "required"}}};
  EXPECT_EQ(os.str(), "validation_failed: bad input [email: required]");
}

}  // namespace
}  // namespace tenantkit
