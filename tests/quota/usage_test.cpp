// SPDX-License-Identifier: Apache-2.0
// UsageRecorder over storage::open_memory() and the in-process backend: idempotency, validation
// (fields named), counting past a hard limit, period boundaries on a ManualClock, daily ranges.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/quota/usage.hpp>
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::quota {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

std::vector<std::string> fields_of(const Error& e) {
  std::vector<std::string> out;
  for (const auto& f : e.fields) out.push_back(f.field);
  return out;
}

// Forwards to a backend, but add() fails: a quota engine that goes away after the store wrote.
class FailingAdd final : public QuotaBackend {
 public:
  explicit FailingAdd(QuotaBackend& inner) : inner_(inner) {}
  Result<Outcome> decide(std::string_view t, std::string_view m, std::int64_t c) override {
    return inner_.decide(t, m, c);
  }
  Result<Outcome> add(std::string_view, std::string_view, std::int64_t) override {
    return Error{Errc::unavailable, "quota backend down"};
  }
  Result<void> set_gauge(std::string_view t, std::string_view m, std::int64_t v) override {
    return inner_.set_gauge(t, m, v);
  }
  Result<Reservation> reserve(std::string_view t, std::string_view m, std::int64_t a,
                              std::chrono::seconds ttl) override {
    return inner_.reserve(t, m, a, ttl);
  }
  Result<Outcome> commit(const Reservation& r, std::int64_t a) override {
    return inner_.commit(r, a);
  }
  Result<void> release(const Reservation& r) override { return inner_.release(r); }

 private:
  QuotaBackend& inner_;
};

class UsageRecorderTest : public ::testing::Test {
 protected:
  UsageRecorderTest() {
    auto user = samples_.user();
    EXPECT_THAT(db_->users().create(user), IsOk());
    org_ = samples_.org();
    EXPECT_THAT(db_->orgs().create(org_, samples_.member(org_.id, user.id, {"owner"})), IsOk());
    other_ = samples_.org();
    EXPECT_THAT(db_->orgs().create(other_, samples_.member(other_.id, user.id, {"owner"})), IsOk());
    Policy calls = Policy::counter(100, std::chrono::days(30));
    calls.anchor = kAnchor;
    limits_.set_default("api_calls", calls);
    Policy tokens = Policy::counter(kUnlimited, std::chrono::days(30));
    tokens.anchor = kAnchor;
    limits_.set_default("ai_tokens", tokens);
    limits_.set_default("seats", Policy::gauge(3, Errc::seat_limit_reached));
    clock_.set(kAnchor + std::chrono::days(10));
  }

  static constexpr Timestamp kAnchor{std::chrono::seconds(1'767'225'600)};  // 2026-01-01

  ::tenantkit::testing::Samples samples_;
  std::unique_ptr<storage::Storage> db_ = storage::open_memory();
  storage::Org org_, other_;
  ManualClock clock_;
  SeededRandom random_{11};
  InMemoryLimitSource limits_;
  InProcessBackend backend_{limits_, clock_};
  UsageRecorder usage_{db_->usage(), backend_, limits_, random_, clock_};
};

TEST_F(UsageRecorderTest, SameKeyCountsOnceAndReturnsTheFirstId) {
  auto first = usage_.record(org_.id, "api_calls", 5, "evt-1");
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->duplicate);
  ASSERT_TRUE(first->quota.has_value());
  EXPECT_EQ(first->quota->used, 5);
  auto again = usage_.record(org_.id, "api_calls", 5, "evt-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, first->id);
  EXPECT_FALSE(again->quota.has_value());
  // Even with another quantity, the key has been used: nothing is counted.
  auto changed = usage_.record(org_.id, "api_calls", 50, "evt-1");
  ASSERT_THAT(changed, IsOk());
  EXPECT_TRUE(changed->duplicate);
  auto u = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->used, 5);
  EXPECT_THAT(db_->usage().total(org_.id, "api_calls", kAnchor, kAnchor + std::chrono::days(30)),
              ::tenantkit::testing::IsOkAndHolds(5));
}

TEST_F(UsageRecorderTest, KeysAreScopedToTheTenant) {
  auto a = usage_.record(org_.id, "api_calls", 1, "shared-key");
  auto b = usage_.record(other_.id, "api_calls", 2, "shared-key");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_FALSE(b->duplicate);
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(usage_.period_usage(org_.id, "api_calls")->used, 1);
  EXPECT_EQ(usage_.period_usage(other_.id, "api_calls")->used, 2);
}

TEST_F(UsageRecorderTest, InvalidInputsNameTheirFields) {
  auto all = usage_.record(org_.id, "API Calls", -1, "", clock_.now() + 1h);
  ASSERT_THAT(all, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(all.error()),
              ElementsAre("meter", "quantity", "idempotency_key", "occurred_at"));
  auto big = usage_.record(org_.id, "api_calls", 1'000'000'001, "k");
  ASSERT_THAT(big, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(big.error()), ElementsAre("quantity"));
  for (std::string key : {std::string(256, 'k'), std::string("tab\there"), std::string("\x7f")}) {
    auto r = usage_.record(org_.id, "api_calls", 1, key);
    ASSERT_THAT(r, HasError(Errc::validation_failed)) << key;
    EXPECT_THAT(fields_of(r.error()), ElementsAre("idempotency_key"));
  }
  EXPECT_THAT(usage_.record(org_.id, "api_calls", 1, std::string(255, 'k')), IsOk());
  EXPECT_THAT(usage_.record(org_.id, "api_calls", 0, "zero"), IsOk());
  EXPECT_THAT(usage_.record(org_.id, "api_calls", 1, "skew", clock_.now() + 4min), IsOk());
  // Nothing invalid was stored or counted.
  EXPECT_EQ(usage_.period_usage(org_.id, "api_calls")->used, 1 + 0 + 1);
}

TEST_F(UsageRecorderTest, UnknownAndNonCounterMetersAreRejected) {
  auto unknown = usage_.record(org_.id, "documents", 1, "k1");
  ASSERT_THAT(unknown, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(unknown.error()), ElementsAre("meter"));
  auto gauge = usage_.record(org_.id, "seats", 1, "k2");
  ASSERT_THAT(gauge, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(gauge.error()), ElementsAre("meter"));
  EXPECT_THAT(usage_.period_usage(org_.id, "documents"), HasError(Errc::not_found));
  EXPECT_THAT(usage_.period_usage(org_.id, "seats"), HasError(Errc::validation_failed));
  EXPECT_THAT(usage_.period_usage(org_.id, "Bad Meter"), HasError(Errc::validation_failed));
}

TEST_F(UsageRecorderTest, UnknownTenantIsNotFound) {
  EXPECT_THAT(usage_.record(samples_.org().id, "api_calls", 1, "k"), HasError(Errc::not_found));
}

TEST_F(UsageRecorderTest, RecordedUsageCountsPastAHardLimitAndFlagsIt) {
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 79, "a"), IsOk());
  auto below = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(below, IsOk());
  EXPECT_FALSE(below->warning);
  EXPECT_DOUBLE_EQ(below->percent, 79.0);
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 1, "b"), IsOk());
  auto warn = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(warn, IsOk());
  EXPECT_TRUE(warn->warning);
  EXPECT_FALSE(warn->exceeded);
  EXPECT_EQ(warn->remaining, 20);
  auto over = usage_.record(org_.id, "api_calls", 30, "c");
  ASSERT_THAT(over, IsOk());
  ASSERT_TRUE(over->quota.has_value());
  EXPECT_TRUE(over->quota->overage);
  EXPECT_EQ(over->quota->used, 110);
  auto u = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->used, 110);
  EXPECT_EQ(u->limit, 100);
  EXPECT_EQ(u->remaining, 0);
  EXPECT_TRUE(u->warning);
  EXPECT_TRUE(u->exceeded);
  EXPECT_DOUBLE_EQ(u->percent, 110.0);
  // The limit now denies metered calls.
  auto d = backend_.decide(org_.id.str(), "api_calls", 1);
  ASSERT_THAT(d, IsOk());
  EXPECT_FALSE(d->allowed());
}

TEST_F(UsageRecorderTest, ExactlyAtTheLimitIsExceeded) {
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 100, "a"), IsOk());
  auto u = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(u, IsOk());
  EXPECT_TRUE(u->exceeded);
  EXPECT_DOUBLE_EQ(u->percent, 100.0);
}

TEST_F(UsageRecorderTest, PeriodsFollowTheAnchorOnTheClock) {
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 10, "a"), IsOk());
  auto u = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->period_start, kAnchor);
  EXPECT_EQ(u->period_end, kAnchor + std::chrono::days(30));
  clock_.set(kAnchor + std::chrono::days(30) - 1us);
  EXPECT_EQ(usage_.period_usage(org_.id, "api_calls")->used, 10);
  clock_.set(kAnchor + std::chrono::days(30));
  auto next = usage_.period_usage(org_.id, "api_calls");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->used, 0);
  EXPECT_EQ(next->period_start, kAnchor + std::chrono::days(30));
  EXPECT_EQ(next->period_end, kAnchor + std::chrono::days(60));
  // An event that occurred in the previous period counts in the period it is recorded in.
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 3, "late", kAnchor + std::chrono::days(29)),
              IsOk());
  EXPECT_EQ(usage_.period_usage(org_.id, "api_calls")->used, 3);
}

TEST_F(UsageRecorderTest, UnlimitedMetersHaveNoLimitOrWarning) {
  ASSERT_THAT(usage_.record(org_.id, "ai_tokens", 900'000'000, "t"), IsOk());
  auto u = usage_.period_usage(org_.id, "ai_tokens");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->used, 900'000'000);
  EXPECT_EQ(u->limit, std::nullopt);
  EXPECT_EQ(u->remaining, std::nullopt);
  EXPECT_FALSE(u->warning);
  EXPECT_FALSE(u->exceeded);
  EXPECT_DOUBLE_EQ(u->percent, 0.0);
  auto all = usage_.period_usage(org_.id);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].meter, "api_calls");
  EXPECT_EQ((*all)[1].meter, "ai_tokens");
}

TEST_F(UsageRecorderTest, BackendFailureAfterStoringIsReportedAndARetryIsADuplicate) {
  FailingAdd failing(backend_);
  UsageRecorder broken(db_->usage(), failing, limits_, random_, clock_);
  auto r = broken.record(org_.id, "api_calls", 4, "k");
  ASSERT_THAT(r, HasError(Errc::unavailable));
  auto retry = usage_.record(org_.id, "api_calls", 4, "k");
  ASSERT_THAT(retry, IsOk());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(usage_.period_usage(org_.id, "api_calls")->used, 0);
}

TEST_F(UsageRecorderTest, DailyRollupsByOccurredAt) {
  const Timestamp day1 = kAnchor + std::chrono::days(3) + 5h;
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 2, "a", day1), IsOk());
  ASSERT_THAT(usage_.record(org_.id, "api_calls", 3, "b", day1 + 1h), IsOk());
  ASSERT_THAT(usage_.record(org_.id, "ai_tokens", 7, "c", day1 + std::chrono::days(1)), IsOk());
  ASSERT_THAT(usage_.record(other_.id, "api_calls", 100, "d", day1), IsOk());
  auto calls = usage_.daily(org_.id, "api_calls", "2026-01-01", "2026-01-31");
  ASSERT_THAT(calls, IsOk());
  EXPECT_THAT(*calls, ElementsAre(storage::DailyUsage{"2026-01-04", "api_calls", 5}));
  auto every = usage_.daily(org_.id, "", "2026-01-04", "2026-01-05");
  ASSERT_THAT(every, IsOk());
  EXPECT_EQ(every->size(), 2u);
  auto none = usage_.daily(org_.id, "api_calls", "2026-01-05", "2026-01-05");
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(UsageRecorderTest, DailyValidatesDatesAndRange) {
  auto bad = usage_.daily(org_.id, "api_calls", "2026-13-01", "yesterday");
  ASSERT_THAT(bad, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(bad.error()), ElementsAre("from", "to"));
  auto feb30 = usage_.daily(org_.id, "api_calls", "2026-02-30", "2026-03-01");
  ASSERT_THAT(feb30, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(feb30.error()), ElementsAre("from"));
  auto backwards = usage_.daily(org_.id, "api_calls", "2026-02-02", "2026-02-01");
  ASSERT_THAT(backwards, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(backwards.error()), ElementsAre("to"));
  // 366 days inclusive is the most: 2026-01-01 .. 2027-01-01.
  EXPECT_THAT(usage_.daily(org_.id, "api_calls", "2026-01-01", "2027-01-01"), IsOk());
  auto long_range = usage_.daily(org_.id, "api_calls", "2026-01-01", "2027-01-02");
  ASSERT_THAT(long_range, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(long_range.error()), ElementsAre("to"));
  auto meter = usage_.daily(org_.id, "Bad!", "2026-01-01", "2026-01-02");
  ASSERT_THAT(meter, HasError(Errc::validation_failed));
  EXPECT_THAT(fields_of(meter.error()), ElementsAre("meter"));
}

TEST(MeterName, Syntax) {
  EXPECT_TRUE(is_valid_meter_name("api_calls"));
  EXPECT_TRUE(is_valid_meter_name("gpu.seconds-v2"));
  EXPECT_FALSE(is_valid_meter_name(""));
  EXPECT_FALSE(is_valid_meter_name("1calls"));
  EXPECT_FALSE(is_valid_meter_name("Calls"));
  EXPECT_FALSE(is_valid_meter_name("a b"));
  EXPECT_FALSE(is_valid_meter_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_meter_name(std::string(64, 'a')));
}

}  // namespace
}  // namespace tenantkit::quota
