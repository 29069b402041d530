// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::UsageStore: counted once per (org, idempotency key) (also under
// concurrent duplicates), validation, totals over [from, to), daily rollups by UTC date, batches,
// tenant isolation. Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class UsageStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::UsageStore& usage() { return this->db().usage(); }

  /// An event of `org` on `meter` at `at`.
  storage::UsageEvent event_at(const OrgId& org, std::string meter, std::int64_t qty, Timestamp at,
                               std::string key = {}) {
    auto e = this->s_.usage(org, std::move(meter), qty, std::move(key));
    e.occurred_at = at;
    return e;
  }

  static Timestamp at(std::string_view rfc3339) { return must(parse_rfc3339(rfc3339)); }
  static Timestamp all_time_from() { return Timestamp{}; }
  static Timestamp all_time_to() { return Timestamp{} + std::chrono::hours(24 * 365 * 100); }
};
TYPED_TEST_SUITE_P(UsageStoreConformance);

TYPED_TEST_P(UsageStoreConformance, DuplicateKeyIsCountedOnceAndReportsTheFirstId) {
  auto a = this->make_tenant();
  auto first = this->s_.usage(a.org.id, "api_calls", 3, "req-1");
  auto r1 = this->usage().record(a.org.id, first);
  ASSERT_THAT(r1, IsOk());
  EXPECT_EQ(r1->id, first.id);
  EXPECT_FALSE(r1->duplicate);
  auto again = this->s_.usage(a.org.id, "api_calls", 7, "req-1");
  auto r2 = this->usage().record(a.org.id, again);
  ASSERT_THAT(r2, IsOk());
  EXPECT_TRUE(r2->duplicate);
  EXPECT_EQ(r2->id, first.id);
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(3));
}

TYPED_TEST_P(UsageStoreConformance, KeysAreScopedPerOrg) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  must(this->usage().record(a.org.id, this->s_.usage(a.org.id, "api_calls", 3, "req-1")));
  auto rb = this->usage().record(b.org.id, this->s_.usage(b.org.id, "api_calls", 4, "req-1"));
  ASSERT_THAT(rb, IsOk());
  EXPECT_FALSE(rb->duplicate);
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(3));
  EXPECT_THAT(
      this->usage().total(b.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(4));
}

TYPED_TEST_P(UsageStoreConformance, InvalidEventsAreRejectedAndNotCounted) {
  auto a = this->make_tenant();
  auto negative = this->s_.usage(a.org.id, "api_calls", -1);
  EXPECT_THAT(this->usage().record(a.org.id, negative), HasError(Errc::validation_failed));
  auto no_meter = this->s_.usage(a.org.id, "", 1);
  EXPECT_THAT(this->usage().record(a.org.id, no_meter), HasError(Errc::validation_failed));
  auto no_key = this->s_.usage(a.org.id, "api_calls", 1);
  no_key.idempotency_key.clear();
  EXPECT_THAT(this->usage().record(a.org.id, no_key), HasError(Errc::validation_failed));
  // A zero quantity is valid.
  EXPECT_THAT(this->usage().record(a.org.id, this->s_.usage(a.org.id, "api_calls", 0)), IsOk());
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(0));
}

TYPED_TEST_P(UsageStoreConformance, TotalSumsOneMeterOverAHalfOpenRange) {
  auto a = this->make_tenant();
  const auto t0 = this->at("2026-03-01T00:00:00Z");
  const auto t1 = this->at("2026-03-31T23:59:59.999999Z");
  const auto t2 = this->at("2026-04-01T00:00:00Z");
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "api_calls", 1, t0)));
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "api_calls", 10, t1)));
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "api_calls", 100, t2)));
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "ai_tokens", 1000, t1)));
  EXPECT_THAT(this->usage().total(a.org.id, "api_calls", t0, t2), IsOkAndHolds(11));
  EXPECT_THAT(this->usage().total(a.org.id, "api_calls", t0 + std::chrono::microseconds(1), t2),
              IsOkAndHolds(10));
  EXPECT_THAT(this->usage().total(a.org.id, "api_calls", t2, t2 + std::chrono::hours(1)),
              IsOkAndHolds(100));
  EXPECT_THAT(this->usage().total(a.org.id, "ai_tokens", t0, t2), IsOkAndHolds(1000));
  EXPECT_THAT(this->usage().total(a.org.id, "storage_gb", t0, t2), IsOkAndHolds(0));
}

TYPED_TEST_P(UsageStoreConformance, DailyRollsUpByUtcDate) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto rec = [&](const OrgId& org, const char* meter, std::int64_t q, const char* when) {
    must(this->usage().record(org, this->event_at(org, meter, q, this->at(when))));
  };
  rec(a.org.id, "api_calls", 1, "2026-03-09T12:00:00Z");
  rec(a.org.id, "api_calls", 2, "2026-03-10T00:00:00Z");
  rec(a.org.id, "api_calls", 3, "2026-03-10T23:59:59.999999Z");
  rec(a.org.id, "api_calls", 4, "2026-03-11T00:30:00+01:00");  // 2026-03-10T23:30Z
  rec(a.org.id, "api_calls", 5, "2026-03-12T08:00:00Z");
  rec(a.org.id, "api_calls", 6, "2026-03-13T00:00:00Z");
  rec(a.org.id, "ai_tokens", 700, "2026-03-12T09:00:00Z");
  rec(b.org.id, "api_calls", 1000, "2026-03-10T10:00:00Z");

  using storage::DailyUsage;
  EXPECT_THAT(this->usage().daily(a.org.id, "api_calls", "2026-03-10", "2026-03-12"),
              IsOkAndHolds(::testing::ElementsAre(DailyUsage{"2026-03-10", "api_calls", 9},
                                                  DailyUsage{"2026-03-12", "api_calls", 5})));
  // An empty meter means every meter; days stay oldest first.
  auto all = this->usage().daily(a.org.id, "", "2026-03-12", "2026-03-12");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, ::testing::UnorderedElementsAre(DailyUsage{"2026-03-12", "api_calls", 5},
                                                    DailyUsage{"2026-03-12", "ai_tokens", 700}));
  auto span = this->usage().daily(a.org.id, "", "2026-03-01", "2026-03-31");
  ASSERT_THAT(span, IsOk());
  EXPECT_EQ(span->size(), 5u);
  EXPECT_TRUE(
      std::is_sorted(span->begin(), span->end(),
                     [](const DailyUsage& x, const DailyUsage& y) { return x.date < y.date; }));
  EXPECT_THAT(this->usage().daily(a.org.id, "api_calls", "2026-04-01", "2026-04-30"),
              IsOkAndHolds(::testing::IsEmpty()));
  EXPECT_THAT(this->usage().daily(b.org.id, "api_calls", "2026-03-01", "2026-03-31"),
              IsOkAndHolds(::testing::ElementsAre(DailyUsage{"2026-03-10", "api_calls", 1000})));
}

TYPED_TEST_P(UsageStoreConformance, DuplicatesDoNotReachTheDailyRollup) {
  auto a = this->make_tenant();
  const auto when = this->at("2026-05-05T05:05:05.050505Z");
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "api_calls", 2, when, "k")));
  must(this->usage().record(a.org.id, this->event_at(a.org.id, "api_calls", 2, when, "k")));
  EXPECT_THAT(
      this->usage().daily(a.org.id, "api_calls", "2026-05-05", "2026-05-05"),
      IsOkAndHolds(::testing::ElementsAre(storage::DailyUsage{"2026-05-05", "api_calls", 2})));
}

TYPED_TEST_P(UsageStoreConformance, RecordBatchSpansOrgsAndDeduplicatesWithinTheBatch) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto seen = this->s_.usage(a.org.id, "api_calls", 1, "seen");
  must(this->usage().record(a.org.id, seen));
  auto e1 = this->s_.usage(a.org.id, "api_calls", 2, "k1");
  auto e2 = this->s_.usage(b.org.id, "api_calls", 3, "k1");
  auto e3 = this->s_.usage(a.org.id, "api_calls", 4, "k1");  // duplicate of e1
  auto e4 = this->s_.usage(a.org.id, "api_calls", 5, "seen");
  auto out = this->usage().record_batch({e1, e2, e3, e4});
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[0].id, e1.id);
  EXPECT_FALSE((*out)[0].duplicate);
  EXPECT_EQ((*out)[1].id, e2.id);
  EXPECT_FALSE((*out)[1].duplicate);
  EXPECT_EQ((*out)[2].id, e1.id);
  EXPECT_TRUE((*out)[2].duplicate);
  EXPECT_EQ((*out)[3].id, seen.id);
  EXPECT_TRUE((*out)[3].duplicate);
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(3));
  EXPECT_THAT(
      this->usage().total(b.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(3));
  EXPECT_THAT(this->usage().record_batch({}), IsOkAndHolds(::testing::IsEmpty()));
}

TYPED_TEST_P(UsageStoreConformance, ConcurrentDuplicatesAreCountedOnce) {
  auto a = this->make_tenant();
  constexpr int kThreads = 8;
  std::vector<storage::UsageEvent> events;
  for (int i = 0; i < kThreads; ++i)
    events.push_back(this->s_.usage(a.org.id, "api_calls", 5, "same-request"));
  std::atomic<int> fresh{0}, dup{0};
  std::vector<UsageEventId> ids(kThreads);
  run_concurrently(kThreads, [&](int i) {
    auto r = this->usage().record(a.org.id, events[static_cast<std::size_t>(i)]);
    if (!r) return;
    ids[static_cast<std::size_t>(i)] = r->id;
    if (r->duplicate)
      ++dup;
    else
      ++fresh;
  });
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(dup.load(), kThreads - 1);
  for (const auto& id : ids) EXPECT_EQ(id, ids.front());
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(5));
}

TYPED_TEST_P(UsageStoreConformance, ConcurrentDistinctEventsAllCount) {
  auto a = this->make_tenant();
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<storage::UsageEvent>> events(kThreads);
  for (auto& list : events)
    for (int j = 0; j < kEach; ++j) list.push_back(this->s_.usage(a.org.id, "api_calls", 1));
  run_concurrently(kThreads, [&](int i) {
    for (const auto& e : events[static_cast<std::size_t>(i)])
      EXPECT_THAT(this->usage().record(a.org.id, e), IsOk());
  });
  EXPECT_THAT(
      this->usage().total(a.org.id, "api_calls", this->all_time_from(), this->all_time_to()),
      IsOkAndHolds(kThreads * kEach));
}

REGISTER_TYPED_TEST_SUITE_P(UsageStoreConformance, DuplicateKeyIsCountedOnceAndReportsTheFirstId,
                            KeysAreScopedPerOrg, InvalidEventsAreRejectedAndNotCounted,
                            TotalSumsOneMeterOverAHalfOpenRange, DailyRollsUpByUtcDate,
                            DuplicatesDoNotReachTheDailyRollup,
                            RecordBatchSpansOrgsAndDeduplicatesWithinTheBatch,
                            ConcurrentDuplicatesAreCountedOnce, ConcurrentDistinctEventsAllCount);

}  // namespace tenantkit::testing
