// SPDX-License-Identifier: Apache-2.0
// QuotaBackendConformance: the typed GoogleTest suite every quota::QuotaBackend passes unchanged
// (in-process, Redis, leased). Instantiate it in namespace tenantkit::testing with a Backend type:
//   struct Mine {
//     // A fresh backend with empty state, or nullptr to skip (e.g. TK_TEST_REDIS_URL unset).
//     static std::unique_ptr<quota::QuotaBackend> make(const quota::LimitSource&, const Clock&);
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, QuotaBackendConformance, Mine);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/quota/backend.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::testing {

template <class Backend>
class QuotaBackendConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = Backend::make(limits_, clock_);
    if (!backend_) GTEST_SKIP() << "backend not available here";
  }

  quota::QuotaBackend& q() { return *backend_; }

  /// Decides `n` unit decisions and returns how many were allowed.
  int allowed(std::string_view tenant, std::string_view meter, int n) {
    int count = 0;
    for (int i = 0; i < n; ++i) {
      auto o = q().decide(tenant, meter, 1);
      EXPECT_THAT(o, IsOk());
      if (o && o->allowed()) ++count;
    }
    return count;
  }

  quota::InMemoryLimitSource limits_;
  ManualClock clock_;
  std::unique_ptr<quota::QuotaBackend> backend_;
};

TYPED_TEST_SUITE_P(QuotaBackendConformance);

TYPED_TEST_P(QuotaBackendConformance, HardLimitAllowsExactlyTheLimit) {
  this->limits_.set_default("api_calls", quota::Policy::counter(5));
  for (int i = 0; i < 5; ++i) {
    auto o = this->q().decide("t1", "api_calls", 1);
    ASSERT_THAT(o, IsOk());
    EXPECT_TRUE(o->allowed()) << i;
    EXPECT_EQ(o->limit, 5);
    EXPECT_EQ(o->remaining, 4 - i);
    EXPECT_EQ(o->used, i + 1);
  }
  auto denied = this->q().decide("t1", "api_calls", 1);
  ASSERT_THAT(denied, IsOk());
  EXPECT_FALSE(denied->allowed());
  EXPECT_EQ(denied->deny_code, Errc::quota_exceeded);
  EXPECT_EQ(denied->remaining, 0);
  EXPECT_GT(denied->retry_after.count(), 0);
  EXPECT_EQ(denied->to_error().code, Errc::quota_exceeded);
}

TYPED_TEST_P(QuotaBackendConformance, LargeCostsDenyWithoutSpendingTheRest) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10));
  auto a = this->q().decide("t1", "ai_tokens", 7);
  ASSERT_THAT(a, IsOk());
  EXPECT_TRUE(a->allowed());
  auto b = this->q().decide("t1", "ai_tokens", 4);
  ASSERT_THAT(b, IsOk());
  EXPECT_FALSE(b->allowed());
  auto c = this->q().decide("t1", "ai_tokens", 3);
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->allowed());
  EXPECT_EQ(c->remaining, 0);
}

TYPED_TEST_P(QuotaBackendConformance, TenantsAreIsolated) {
  this->limits_.set_default("api_calls", quota::Policy::counter(3));
  EXPECT_EQ(this->allowed("t1", "api_calls", 5), 3);
  EXPECT_EQ(this->allowed("t2", "api_calls", 5), 3);
  EXPECT_EQ(this->allowed("t1x", "api_calls", 1), 1);
}

TYPED_TEST_P(QuotaBackendConformance, FixedWindowResetsAfterTheWindow) {
  this->limits_.set_default("requests", quota::Policy::fixed_window(3, std::chrono::seconds{60}));
  EXPECT_EQ(this->allowed("t1", "requests", 4), 3);
  auto denied = this->q().decide("t1", "requests", 1);
  ASSERT_THAT(denied, IsOk());
  EXPECT_EQ(denied->deny_code, Errc::rate_limited);
  EXPECT_LE(denied->retry_after.count(), 60);
  this->clock_.advance(std::chrono::seconds{59});
  EXPECT_EQ(this->allowed("t1", "requests", 1), 0);
  this->clock_.advance(std::chrono::seconds{1});
  EXPECT_EQ(this->allowed("t1", "requests", 4), 3);
}

TYPED_TEST_P(QuotaBackendConformance, CounterPeriodResetsAndReportsTheReset) {
  this->limits_.set_default("api_calls", quota::Policy::counter(2, std::chrono::seconds{3600}));
  const Timestamp start = this->clock_.now();
  auto first = this->q().decide("t1", "api_calls", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->reset, start + std::chrono::seconds{3600});
  EXPECT_EQ(first->window, std::chrono::seconds{3600});
  EXPECT_EQ(this->allowed("t1", "api_calls", 2), 1);
  this->clock_.advance(std::chrono::seconds{3600});
  EXPECT_EQ(this->allowed("t1", "api_calls", 3), 2);
}

TYPED_TEST_P(QuotaBackendConformance, TokenBucketRefillsAtItsRate) {
  this->limits_.set_default("rps", quota::Policy::token_bucket(10, std::chrono::seconds{10}));
  EXPECT_EQ(this->allowed("t1", "rps", 12), 10);
  auto denied = this->q().decide("t1", "rps", 1);
  ASSERT_THAT(denied, IsOk());
  EXPECT_FALSE(denied->allowed());
  EXPECT_EQ(denied->deny_code, Errc::rate_limited);
  EXPECT_EQ(denied->retry_after.count(), 1);
  this->clock_.advance(std::chrono::seconds{1});
  EXPECT_EQ(this->allowed("t1", "rps", 3), 1);
  this->clock_.advance(std::chrono::seconds{30});
  EXPECT_EQ(this->allowed("t1", "rps", 12), 10);
}

TYPED_TEST_P(QuotaBackendConformance, OverridesWinOverDefaults) {
  this->limits_.set_default("api_calls", quota::Policy::counter(5));
  this->limits_.set_override("vip", "api_calls", quota::Policy::counter(8));
  EXPECT_EQ(this->allowed("vip", "api_calls", 10), 8);
  EXPECT_EQ(this->allowed("t1", "api_calls", 10), 5);
}

TYPED_TEST_P(QuotaBackendConformance, PolicyChangesApplyToCountersInUse) {
  this->limits_.set_default("api_calls", quota::Policy::counter(3));
  EXPECT_EQ(this->allowed("t1", "api_calls", 5), 3);
  this->limits_.set_override("t1", "api_calls", quota::Policy::counter(6));
  EXPECT_EQ(this->allowed("t1", "api_calls", 5), 3);
  this->limits_.clear_override("t1", "api_calls");
  EXPECT_EQ(this->allowed("t1", "api_calls", 1), 0);
}

TYPED_TEST_P(QuotaBackendConformance, SoftLimitAllowsAndFlagsOverage) {
  this->limits_.set_default("documents", quota::Policy::counter(5).soft());
  for (int i = 0; i < 3; ++i) ASSERT_THAT(this->q().decide("t1", "documents", 1), IsOk());
  auto third = this->q().decide("t1", "documents", 1);  // 4 of 5: 80 %
  ASSERT_THAT(third, IsOk());
  EXPECT_TRUE(third->warning);
  EXPECT_FALSE(third->overage);
  ASSERT_THAT(this->q().decide("t1", "documents", 1), IsOk());
  auto over = this->q().decide("t1", "documents", 1);
  ASSERT_THAT(over, IsOk());
  EXPECT_TRUE(over->allowed());
  EXPECT_TRUE(over->overage);
  EXPECT_EQ(over->used, 6);
  EXPECT_EQ(over->remaining, 0);
}

TYPED_TEST_P(QuotaBackendConformance, WarningStartsAtEightyPercent) {
  this->limits_.set_default("api_calls", quota::Policy::counter(10));
  for (int i = 1; i <= 8; ++i) {
    auto o = this->q().decide("t1", "api_calls", 1);
    ASSERT_THAT(o, IsOk());
    EXPECT_EQ(o->warning, i >= 8) << i;
  }
}

TYPED_TEST_P(QuotaBackendConformance, GaugeIsSetFromDataAndChecked) {
  this->limits_.set_default("seats", quota::Policy::gauge(3, Errc::seat_limit_reached));
  ASSERT_THAT(this->q().set_gauge("t1", "seats", 3), IsOk());
  auto full = this->q().decide("t1", "seats", 1);
  ASSERT_THAT(full, IsOk());
  EXPECT_FALSE(full->allowed());
  EXPECT_EQ(full->deny_code, Errc::seat_limit_reached);
  ASSERT_THAT(this->q().set_gauge("t1", "seats", 1), IsOk());
  EXPECT_EQ(this->allowed("t1", "seats", 3), 2);
  EXPECT_THAT(this->q().set_gauge("t1", "seats", -1), HasError(Errc::validation_failed));
  this->limits_.set_default("api_calls", quota::Policy::counter(3));
  EXPECT_THAT(this->q().set_gauge("t1", "api_calls", 1), HasError(Errc::validation_failed));
}

TYPED_TEST_P(QuotaBackendConformance, ZeroCostReadsWithoutSpending) {
  this->limits_.set_default("api_calls", quota::Policy::counter(2));
  auto peek = this->q().decide("t1", "api_calls", 0);
  ASSERT_THAT(peek, IsOk());
  EXPECT_TRUE(peek->allowed());
  EXPECT_EQ(peek->remaining, 2);
  EXPECT_EQ(this->allowed("t1", "api_calls", 2), 2);
  auto spent = this->q().decide("t1", "api_calls", 0);
  ASSERT_THAT(spent, IsOk());
  EXPECT_FALSE(spent->allowed());
  EXPECT_EQ(spent->used, 2);
}

TYPED_TEST_P(QuotaBackendConformance, BadInputsAreErrorsNotDenies) {
  this->limits_.set_default("api_calls", quota::Policy::counter(2));
  EXPECT_THAT(this->q().decide("t1", "no_such_meter", 1), HasError(Errc::not_found));
  EXPECT_THAT(this->q().decide("t1", "api_calls", -1), HasError(Errc::validation_failed));
  EXPECT_THAT(this->q().reserve("t1", "api_calls", 0, std::chrono::seconds{10}),
              HasError(Errc::validation_failed));
  EXPECT_EQ(this->allowed("t1", "api_calls", 3), 2);  // nothing above was counted
  // Past kUnlimited a cost could overflow a sum (INCRBY, packed counters): refused, not denied
  // or (worse) allowed after wrapping around.
  constexpr std::int64_t kHuge = std::numeric_limits<std::int64_t>::max();
  EXPECT_THAT(this->q().decide("t1", "api_calls", kHuge), HasError(Errc::validation_failed));
  EXPECT_THAT(this->q().decide("t1", "api_calls", quota::kUnlimited + 1),
              HasError(Errc::validation_failed));
  EXPECT_THAT(this->q().add("t1", "api_calls", kHuge), HasError(Errc::validation_failed));
  EXPECT_THAT(this->q().reserve("t1", "api_calls", kHuge, std::chrono::seconds{10}),
              HasError(Errc::validation_failed));
  this->limits_.set_default("seats", quota::Policy::gauge(5));
  EXPECT_THAT(this->q().set_gauge("t1", "seats", kHuge), HasError(Errc::validation_failed));
  auto state = this->q().decide("t1", "api_calls", 0);
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->used, 2);  // still only the two allowed units
}

TYPED_TEST_P(QuotaBackendConformance, ReserveCommitReturnsTheDifference) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10));
  auto r = this->q().reserve("t1", "ai_tokens", 8, std::chrono::seconds{60});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->outcome.allowed());
  EXPECT_NE(r->id, 0U);
  EXPECT_EQ(r->outcome.remaining, 2);
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 3), 2);
  auto done = this->q().commit(*r, 5);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->used, 7);
  EXPECT_EQ(done->remaining, 3);
  EXPECT_THAT(this->q().commit(*r, 5), HasError(Errc::gone));
  EXPECT_THAT(this->q().release(*r), HasError(Errc::gone));
}

TYPED_TEST_P(QuotaBackendConformance, CommitAboveTheReservationCountsItAll) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10));
  auto r = this->q().reserve("t1", "ai_tokens", 4, std::chrono::seconds{60});
  ASSERT_THAT(r, IsOk());
  auto done = this->q().commit(*r, 12);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->used, 12);
  EXPECT_FALSE(done->allowed());
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 1), 0);
}

TYPED_TEST_P(QuotaBackendConformance, ReleaseReturnsEverything) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10));
  auto r = this->q().reserve("t1", "ai_tokens", 10, std::chrono::seconds{60});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 1), 0);
  ASSERT_THAT(this->q().release(*r), IsOk());
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 11), 10);
}

TYPED_TEST_P(QuotaBackendConformance, ExpiredReservationsReturnTheirUnits) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10, std::chrono::seconds{86400}));
  auto r = this->q().reserve("t1", "ai_tokens", 9, std::chrono::seconds{30});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->outcome.allowed());
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 2), 1);
  this->clock_.advance(std::chrono::seconds{31});
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 10), 9);
  EXPECT_THAT(this->q().commit(*r, 9), HasError(Errc::gone));
}

TYPED_TEST_P(QuotaBackendConformance, DeniedReservationHoldsNothing) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(5));
  auto r = this->q().reserve("t1", "ai_tokens", 6, std::chrono::seconds{60});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->outcome.allowed());
  EXPECT_EQ(r->id, 0U);
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 6), 5);
}

TYPED_TEST_P(QuotaBackendConformance, ReservationsCannotBeSettledByAnotherTenant) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(10));
  auto r = this->q().reserve("victim", "ai_tokens", 10, std::chrono::seconds{60});
  ASSERT_THAT(r, IsOk());
  quota::Reservation forged = *r;
  forged.tenant = "attacker";
  EXPECT_THAT(this->q().release(forged), HasError(Errc::not_found));
  forged = *r;
  forged.id += 1000;
  EXPECT_THAT(this->q().commit(forged, 0), HasError(Errc::not_found));
  EXPECT_EQ(this->allowed("victim", "ai_tokens", 1), 0);  // still held
  ASSERT_THAT(this->q().commit(*r, 10), IsOk());
}

TYPED_TEST_P(QuotaBackendConformance, ConcurrentDecisionsAreExact) {
  this->limits_.set_default("requests", quota::Policy::counter(1000));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 600;
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto o = this->q().decide("hot", "requests", 1);
        if (!o) {
          errors.fetch_add(1);
        } else if (o->allowed()) {
          allowed.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 1000);
  auto after = this->q().decide("hot", "requests", 0);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->used, 1000);
}

TYPED_TEST_P(QuotaBackendConformance, AddCountsPastAHardLimit) {
  this->limits_.set_default("ai_tokens", quota::Policy::counter(5));
  EXPECT_EQ(this->allowed("t1", "ai_tokens", 3), 3);
  auto added = this->q().add("t1", "ai_tokens", 4);
  ASSERT_THAT(added, IsOk());
  EXPECT_EQ(added->used, 7);
  EXPECT_EQ(added->limit, 5);
  EXPECT_EQ(added->remaining, 0);
  EXPECT_TRUE(added->overage);
  EXPECT_TRUE(added->warning);
  EXPECT_FALSE(added->allowed());
  auto next = this->q().decide("t1", "ai_tokens", 1);
  ASSERT_THAT(next, IsOk());
  EXPECT_FALSE(next->allowed());
  auto read = this->q().decide("t1", "ai_tokens", 0);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->used, 7);
  // Another tenant is untouched.
  auto other = this->q().decide("t2", "ai_tokens", 0);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->used, 0);
}

TYPED_TEST_P(QuotaBackendConformance, AddCountsIntoTheCurrentWindow) {
  this->limits_.set_default("api_calls", quota::Policy::counter(10, std::chrono::seconds{60}));
  auto a = this->q().add("t1", "api_calls", 4);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->used, 4);
  EXPECT_TRUE(a->allowed());
  EXPECT_FALSE(a->overage);
  this->clock_.advance(std::chrono::seconds{61});
  auto fresh = this->q().decide("t1", "api_calls", 0);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->used, 0);
  auto b = this->q().add("t1", "api_calls", 2);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->used, 2);
  EXPECT_EQ(this->allowed("t1", "api_calls", 10), 8);
}

TYPED_TEST_P(QuotaBackendConformance, AddMovesGaugesAndBuckets) {
  this->limits_.set_default("seats", quota::Policy::gauge(5, Errc::seat_limit_reached));
  ASSERT_THAT(this->q().set_gauge("t1", "seats", 2), IsOk());
  auto g = this->q().add("t1", "seats", 1);
  ASSERT_THAT(g, IsOk());
  EXPECT_EQ(g->used, 3);
  this->limits_.set_default("calls", quota::Policy::token_bucket(10, std::chrono::seconds{10}));
  ASSERT_THAT(this->q().add("t1", "calls", 10), IsOk());
  auto denied = this->q().decide("t1", "calls", 1);
  ASSERT_THAT(denied, IsOk());
  EXPECT_FALSE(denied->allowed());
}

TYPED_TEST_P(QuotaBackendConformance, AddRejectsBadInputs) {
  this->limits_.set_default("api_calls", quota::Policy::counter(5));
  EXPECT_THAT(this->q().add("t1", "api_calls", -1), HasError(Errc::validation_failed));
  EXPECT_THAT(this->q().add("t1", "no_such_meter", 1), HasError(Errc::not_found));
  auto read = this->q().add("t1", "api_calls", 0);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->used, 0);
}

REGISTER_TYPED_TEST_SUITE_P(QuotaBackendConformance, HardLimitAllowsExactlyTheLimit,
                            LargeCostsDenyWithoutSpendingTheRest, TenantsAreIsolated,
                            FixedWindowResetsAfterTheWindow, CounterPeriodResetsAndReportsTheReset,
                            TokenBucketRefillsAtItsRate, OverridesWinOverDefaults,
                            PolicyChangesApplyToCountersInUse, SoftLimitAllowsAndFlagsOverage,
                            WarningStartsAtEightyPercent, GaugeIsSetFromDataAndChecked,
                            ZeroCostReadsWithoutSpending, BadInputsAreErrorsNotDenies,
                            ReserveCommitReturnsTheDifference, CommitAboveTheReservationCountsItAll,
                            ReleaseReturnsEverything, ExpiredReservationsReturnTheirUnits,
                            DeniedReservationHoldsNothing,
                            ReservationsCannotBeSettledByAnotherTenant, ConcurrentDecisionsAreExact,
                            AddCountsPastAHardLimit, AddCountsIntoTheCurrentWindow,
                            AddMovesGaugesAndBuckets, AddRejectsBadInputs);

}  // namespace tenantkit::testing
