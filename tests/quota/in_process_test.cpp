// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/testing/matchers.hpp>

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

namespace tenantkit::quota {
namespace {

using testing::HasError;
using testing::IsOk;

// A LimitSource that fails like a store that went away.
class FailingLimitSource final : public LimitSource {
 public:
  Result<Policy> policy(std::string_view, std::string_view) const override {
    return Error{Errc::unavailable, "plan store down"};
  }
  void change() { bump_version(); }
};

TEST(InProcessBackend, StripesDefaultToAPowerOfTwoOfAtLeastTwo) {
  InMemoryLimitSource limits;
  InProcessBackend q(limits);
  EXPECT_GE(q.stripes(), 2U);
  EXPECT_EQ(q.stripes() & (q.stripes() - 1), 0U);
  InProcessBackend one(limits, coarse_clock(), {.stripes = 1});
  EXPECT_EQ(one.stripes(), 1U);
  InProcessBackend many(limits, coarse_clock(), {.stripes = 1000});
  EXPECT_EQ(many.stripes(), 64U);
}

TEST(InProcessBackend, UnavailableLimitSourceIsAnErrorNotADeny) {
  FailingLimitSource limits;
  ManualClock clock;
  InProcessBackend q(limits, clock);
  EXPECT_THAT(q.decide("t1", "api_calls", 1), HasError(Errc::unavailable));
  EXPECT_THAT(q.reserve("t1", "api_calls", 1, std::chrono::seconds{5}),
              HasError(Errc::unavailable));
}

TEST(InProcessBackend, EmptyTenantIsRejected) {
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(5));
  ManualClock clock;
  InProcessBackend q(limits, clock);
  EXPECT_THAT(q.decide("", "api_calls", 1), HasError(Errc::validation_failed));
}

TEST(InProcessBackend, UnlimitedCountsButNeverDenies) {
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(kUnlimited));
  ManualClock clock;
  InProcessBackend q(limits, clock);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(q.decide("ent", "api_calls", 1)->allowed());
  auto o = q.decide("ent", "api_calls", 0);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->used, 5000);
  EXPECT_EQ(o->limit, kUnlimited);
  EXPECT_FALSE(o->warning);
}

TEST(InProcessBackend, AnchoredPeriodsFollowTheAnchorNotTheFirstUse) {
  InMemoryLimitSource limits;
  ManualClock clock;
  Policy p = Policy::counter(2, std::chrono::seconds{100});
  p.anchor = clock.now() - std::chrono::seconds{90};
  limits.set_default("api_calls", p);
  InProcessBackend q(limits, clock);
  auto o = q.decide("t1", "api_calls", 1);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->reset, clock.now() + std::chrono::seconds{10});
  EXPECT_TRUE(q.decide("t1", "api_calls", 1)->allowed());
  EXPECT_FALSE(q.decide("t1", "api_calls", 1)->allowed());
  clock.advance(std::chrono::seconds{10});
  EXPECT_TRUE(q.decide("t1", "api_calls", 1)->allowed());
}

TEST(InProcessBackend, ChangingAMetersKindStartsItAfresh) {
  InMemoryLimitSource limits;
  ManualClock clock;
  limits.set_default("m", Policy::counter(3));
  InProcessBackend q(limits, clock);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.decide("t1", "m", 1)->allowed());
  limits.set_default("m", Policy::gauge(3));
  ASSERT_THAT(q.set_gauge("t1", "m", 2), IsOk());
  EXPECT_TRUE(q.decide("t1", "m", 1)->allowed());
  EXPECT_FALSE(q.decide("t1", "m", 1)->allowed());
}

// W5's shape at test size: many tenants, two threads interleaved, exact per tenant.
TEST(InProcessBackend, TwoThreadsAreExactPerTenant) {
  InMemoryLimitSource limits;
  limits.set_default("requests", Policy::fixed_window(100, std::chrono::seconds{3600}));
  ManualClock clock;
  InProcessBackend q(limits, clock);
  constexpr int kTenants = 20;
  std::vector<std::string> keys;
  for (int i = 0; i < kTenants; ++i) keys.push_back("t" + std::to_string(i));
  std::vector<std::atomic<int>> allowed(kTenants);
  auto run = [&](int offset) {
    for (int i = offset; i < kTenants * 300; i += 2) {
      const int id = (i * 7) % kTenants;
      if (q.decide(keys[id], "requests", 1)->allowed()) allowed[id].fetch_add(1);
    }
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  for (int i = 0; i < kTenants; ++i) EXPECT_EQ(allowed[i].load(), 100) << keys[i];
}

TEST(InProcessBackend, ManyTenantsGrowTheTableWithoutLosingCounts) {
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(2));
  ManualClock clock;
  InProcessBackend q(limits, clock);
  for (int round = 0; round < 3; ++round) {
    int allowed = 0;
    for (int i = 0; i < 5000; ++i)
      if (q.decide("tenant-" + std::to_string(i), "api_calls", 1)->allowed()) ++allowed;
    EXPECT_EQ(allowed, round < 2 ? 5000 : 0);
  }
}

// Short keys live in front cells until those collide, then in the table like long keys: every
// counter must stay apart either way, including keys whose bytes only differ in where the tenant
// ends and the meter begins.
TEST(InProcessBackend, ShortAndLongKeysOfManyTenantsCountApart) {
  InMemoryLimitSource limits;
  limits.set_default("m", Policy::counter(3));
  limits.set_default("mx", Policy::counter(3));
  limits.set_default("x", Policy::counter(3));
  ManualClock clock;
  InProcessBackend q(limits, clock);
  for (int round = 0; round < 4; ++round) {
    int allowed = 0;
    for (int i = 0; i < 6000; ++i) {
      const std::string shortkey = "t" + std::to_string(i);
      const std::string longkey = "a-rather-long-tenant-name-" + std::to_string(i);
      if (q.decide(shortkey, "m", 1)->allowed()) ++allowed;
      if (q.decide(longkey, "m", 1)->allowed()) ++allowed;
    }
    EXPECT_EQ(allowed, round < 3 ? 12000 : 0) << "round " << round;
  }
  EXPECT_EQ(q.decide("t4711", "m", 0)->used, 3);
  ASSERT_TRUE(q.decide("t1", "mx", 1)->allowed());
  auto split = q.decide("t1m", "x", 0);
  ASSERT_THAT(split, IsOk());
  EXPECT_EQ(split->used, 0);
  EXPECT_EQ(q.decide("t1", "mx", 0)->used, 1);
}

// Tenant and meter of 1..9 bytes each, in pairs that differ only in their last byte or in their
// length: keys of up to 8 + 8 bytes are hashed and compared as two masked words (the bytes past
// a word's length must not count), longer ones byte by byte; every pair must count apart.
TEST(InProcessBackend, KeysDifferingOnlyInTheirLastByteOrLengthCountApart) {
  InMemoryLimitSource limits;
  std::vector<std::string> meters;
  for (std::size_t n = 1; n <= 9; ++n) {
    for (const char last : {'a', 'b'}) {
      std::string m(n - 1, 'm');
      m += last;
      limits.set_default(m, Policy::counter(2));
      meters.push_back(m);
    }
  }
  InProcessBackend q(limits);  // the default (coarse) clock
  std::vector<std::string> tenants;
  for (std::size_t n = 1; n <= 9; ++n)
    for (const char last : {'a', 'b'}) tenants.push_back(std::string(n - 1, 't') + last);
  for (int round = 0; round < 3; ++round) {
    for (const auto& t : tenants) {
      for (const auto& m : meters) {
        auto o = q.decide(t, m, 1);
        ASSERT_THAT(o, IsOk());
        EXPECT_EQ(o->allowed(), round < 2) << t << "/" << m << " round " << round;
        EXPECT_EQ(o->used, std::min(round + 1, 2)) << t << "/" << m << " round " << round;
      }
    }
  }
}

// Every field of an allowed decision, whichever path answers it (first use, the direct path,
// leased units), against the rule: used * 5 >= limit * 4 warns, remaining = limit - used.
TEST(InProcessBackend, EveryAllowedDecisionReportsUsageRemainingAndTheEightyPercentWarning) {
  InMemoryLimitSource limits;
  for (int limit = 1; limit <= 40; ++limit)
    limits.set_default("m" + std::to_string(limit),
                       Policy::fixed_window(limit, std::chrono::hours{1}));
  limits.set_default("big", Policy::fixed_window(5000, std::chrono::hours{1}));
  InProcessBackend q(limits);
  for (int limit = 1; limit <= 40; ++limit) {
    const std::string meter = "m" + std::to_string(limit);
    for (int used = 1; used <= limit; ++used) {
      auto o = q.decide("t1", meter, 1);
      ASSERT_THAT(o, IsOk());
      ASSERT_TRUE(o->allowed());
      EXPECT_EQ(o->used, used);
      EXPECT_EQ(o->limit, limit);
      EXPECT_EQ(o->remaining, limit - used);
      EXPECT_EQ(o->warning, used * 5 >= limit * 4) << "limit " << limit << " used " << used;
      EXPECT_FALSE(o->overage);
      EXPECT_EQ(o->window, std::chrono::seconds{3600});
      EXPECT_EQ(o->retry_after, std::chrono::seconds{0});
    }
    EXPECT_FALSE(q.decide("t1", meter, 1)->allowed());
  }
  // Past the direct units, decisions spend leased chunks; usage may read low by the units still
  // leased, never high, and the warning follows the reported usage.
  std::int64_t last = 0;
  for (int i = 1; i <= 5000; ++i) {
    auto o = q.decide("t1", "big", 1);
    ASSERT_THAT(o, IsOk());
    ASSERT_TRUE(o->allowed());
    EXPECT_LE(o->used, i);
    EXPECT_EQ(o->remaining, 5000 - o->used);
    EXPECT_EQ(o->warning, o->used * 5 >= 5000 * 4);
    last = o->used;
  }
  EXPECT_GT(last, 0);
  EXPECT_FALSE(q.decide("t1", "big", 1)->allowed());
  EXPECT_EQ(q.decide("t1", "big", 0)->used, 5000);
}

// A short key part is read as one 8-byte word when those 8 bytes lie in its page; a part that
// ends at a page whose next page is not mapped must be read byte-wise, or this test crashes. The
// parts then count with the same counter as copies of them elsewhere.
TEST(InProcessBackend, KeyPartsThatEndAtAnUnmappedPageAreReadSafely) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* mem = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  char* end = static_cast<char*>(mem) + page;
  ASSERT_EQ(::mprotect(end, page, PROT_NONE), 0);
  InMemoryLimitSource limits;
  limits.set_default("requests", Policy::counter(100));
  InProcessBackend q(limits);
  for (std::size_t n = 1; n <= 8; ++n) {
    const std::string tenant = "t" + std::string(n - 1, static_cast<char>('a' + n));
    std::memcpy(end - n, tenant.data(), n);
    const std::string_view at_edge(end - n, n);
    ASSERT_TRUE(q.decide(at_edge, "requests", 1)->allowed());
    EXPECT_EQ(q.decide(tenant, "requests", 0)->used, 1) << n;
    std::memcpy(end - 8, "requests", 8);
    ASSERT_TRUE(q.decide(tenant, std::string_view(end - 8, 8), 1)->allowed());
    EXPECT_EQ(q.decide(tenant, "requests", 0)->used, 2) << n;
  }
  ::munmap(mem, 2 * page);
}

// A reservation is matched by the tenant and meter its entry keeps: short keys (stored as two
// padded words) and long ones (stored as their bytes) must both settle, and only for their key.
TEST(InProcessBackend, ReservationsOfShortAndLongKeysSettleOnlyForTheirOwnKey) {
  InMemoryLimitSource limits;
  limits.set_default("tokens", Policy::counter(1000));
  limits.set_default("a-long-meter-name", Policy::counter(1000));
  InProcessBackend q(limits);
  for (const std::string tenant : {"t1", "a-rather-long-tenant-name"}) {
    for (const std::string meter : {"tokens", "a-long-meter-name"}) {
      auto r = q.reserve(tenant, meter, 100, std::chrono::seconds{60});
      ASSERT_THAT(r, IsOk());
      Reservation other = *r;
      other.tenant += "x";
      EXPECT_THAT(q.commit(other, 10), HasError(Errc::not_found)) << tenant << "/" << meter;
      auto c = q.commit(*r, 30);
      ASSERT_THAT(c, IsOk()) << tenant << "/" << meter;
      EXPECT_EQ(c->used, 30);
      EXPECT_EQ(q.decide(tenant, meter, 0)->used, 30);
    }
  }
}

namespace {
bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set) == 0;
}
}  // namespace

// A counter spends on its own word while only its home CPU uses it; when a thread on another CPU
// joins, it leaves home and both CPUs spend leased units. Every allowed unit is counted once:
// before, during and after the move, on the default clock (the decision's fast path).
TEST(InProcessBackend, ACounterJoinedByASecondCpuLeavesHomeAndStaysExact) {
  {
    cpu_set_t allowed_cpus;
    CPU_ZERO(&allowed_cpus);
    ASSERT_EQ(::sched_getaffinity(0, sizeof(allowed_cpus), &allowed_cpus), 0);
    if (!CPU_ISSET(0, &allowed_cpus) || !CPU_ISSET(1, &allowed_cpus))
      GTEST_SKIP() << "needs CPUs 0 and 1";
  }
  InMemoryLimitSource limits;
  limits.set_default("requests", Policy::fixed_window(20'000, std::chrono::hours{1}));
  InProcessBackend q(limits);
  std::atomic<int> allowed{0};
  std::thread home([&] {
    if (!pin_to_cpu(0)) return;
    for (int i = 0; i < 5'000; ++i) allowed += q.decide("t1", "requests", 1)->allowed() ? 1 : 0;
  });
  home.join();
  ASSERT_EQ(allowed.load(), 5'000) << "could not pin to CPU 0";
  EXPECT_EQ(q.decide("t1", "requests", 0)->used, 5'000);
  auto spend = [&](int cpu) {
    if (!pin_to_cpu(cpu)) return;
    for (int i = 0; i < 10'000; ++i) allowed += q.decide("t1", "requests", 1)->allowed() ? 1 : 0;
  };
  std::thread a(spend, 0), b(spend, 1);
  a.join();
  b.join();
  EXPECT_EQ(allowed.load(), 20'000);
  auto o = q.decide("t1", "requests", 0);
  EXPECT_EQ(o->used, 20'000);
  EXPECT_FALSE(o->allowed());
}

// One-second windows of the default clock: a window's units come back only when its reset has
// passed (the fast path bounds the clock to whole seconds and must not decide a window ended
// early or late), and every decision reports the window it counted in.
TEST(InProcessBackend, OneSecondWindowsOfTheDefaultClockResetAtTheirEnd) {
  InMemoryLimitSource limits;
  limits.set_default("rps", Policy::fixed_window(3, std::chrono::seconds{1}));
  InProcessBackend q(limits);
  for (int window = 0; window < 2; ++window) {
    auto first = q.decide("t1", "rps", 1);
    ASSERT_TRUE(first->allowed()) << window;
    const Timestamp reset = first->reset;
    int allowed = 1;
    // Until the reset, at most 3 units in all; spin through most of the window.
    while (coarse_clock().now() + std::chrono::milliseconds{20} < reset) {
      auto o = q.decide("t1", "rps", 1);
      ASSERT_THAT(o, IsOk());
      if (o->allowed()) {
        ++allowed;
        EXPECT_EQ(o->reset, reset);
      }
    }
    EXPECT_EQ(allowed, 3) << window;
    while (coarse_clock().now() < reset + std::chrono::milliseconds{5})
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

TEST(CoarseClock, IsCloseToTheSystemClock) {
  const auto coarse = coarse_clock().now();
  const auto precise = system_clock().now();
  EXPECT_LT(std::chrono::abs(precise - coarse), std::chrono::milliseconds{50});
}

}  // namespace
}  // namespace tenantkit::quota
