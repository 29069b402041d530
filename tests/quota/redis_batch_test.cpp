// SPDX-License-Identifier: Apache-2.0
// decide_many()'s coalesced script calls (TK_TEST_REDIS_URL; skipped only when it is unset):
// every result equals what one decide() at a time answers on a twin backend, for counters,
// fixed windows, token buckets, gauges and soft limits mixed in one call, with and without
// cluster grouping and for several batch sizes; expired reservations inside a batch; W5's
// exactness on many tenants; and the window hints a connection keeps per counter (stale after a
// flush or another process's re-anchoring, or saying "full" when units came back) never count
// a decision in the wrong window or deny one that fits; and an answer sends the call it frees
// before the next answer is handed out.
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tenantkit/quota/redis/backend.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::quota::redis {
namespace {

using testing::HasError;
using testing::IsOk;
using namespace std::chrono_literals;

std::string fresh_prefix() {
  static int counter = 0;
  return "tkb:" + std::to_string(std::random_device{}()) + ":" + std::to_string(counter++) + ":";
}

class RedisBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("TK_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
    url_ = url;
    limits_.set_default("api_calls", Policy::counter(40));
    limits_.set_default("requests", Policy::fixed_window(25, 60s));
    limits_.set_default("burst", Policy::token_bucket(10, 10s));
    limits_.set_default("seats", Policy::gauge(3));
    Policy soft = Policy::counter(5);
    soft.enforcement = Enforcement::soft;
    limits_.set_default("tokens", soft);
  }

  std::unique_ptr<RedisBackend> open(bool cluster = false, std::size_t batch = 32,
                                     std::string prefix = fresh_prefix()) {
    auto r = open_backend(
        {.url = url_, .key_prefix = std::move(prefix), .cluster = cluster, .batch_size = batch},
        limits_, clock_);
    EXPECT_THAT(r, IsOk());
    return r ? std::move(*r) : nullptr;
  }

  std::string url_;
  InMemoryLimitSource limits_;
  ManualClock clock_;
};

TEST_F(RedisBatch, MixedKindsAnswerAsOneDecisionAtATime) {
  const std::vector<std::string> tenants = {"t0", "t1", "t2", "acme", "t4"};
  const std::vector<std::string> meters = {"api_calls", "requests", "burst", "seats", "tokens"};
  std::mt19937 rng(7);
  std::vector<Request> reqs;
  for (int i = 0; i < 600; ++i)
    reqs.push_back(Request{tenants[rng() % tenants.size()], meters[rng() % meters.size()],
                           static_cast<std::int64_t>(rng() % 3)});
  reqs.push_back(Request{"bad{tenant}", "api_calls", 1});
  reqs.push_back(Request{"t0", "api_calls", -1});
  reqs.push_back(Request{"t0", "no_such_meter", 1});
  for (const bool cluster : {false, true}) {
    for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{32}}) {
      auto one = open();
      auto many = open(cluster, batch);
      ASSERT_NE(one, nullptr);
      ASSERT_NE(many, nullptr);
      std::vector<Result<Outcome>> got(reqs.size(), Error{Errc::internal});
      many->decide_many(reqs, got, 64);
      int allowed = 0;
      int denied = 0;
      for (std::size_t i = 0; i < reqs.size(); ++i) {
        auto want = one->decide(reqs[i].tenant, reqs[i].meter, reqs[i].cost);
        SCOPED_TRACE(::testing::Message()
                     << "request " << i << " cluster " << cluster << " batch " << batch);
        if (!want) {
          EXPECT_THAT(got[i], HasError(want.error().code));
          continue;
        }
        ASSERT_THAT(got[i], IsOk());
        EXPECT_EQ(got[i]->allowed(), want->allowed());
        EXPECT_EQ(got[i]->used, want->used);
        EXPECT_EQ(got[i]->remaining, want->remaining);
        EXPECT_EQ(got[i]->overage, want->overage);
        EXPECT_EQ(got[i]->reset, want->reset);
        EXPECT_EQ(got[i]->retry_after, want->retry_after);
        (want->allowed() ? allowed : denied)++;
      }
      EXPECT_GT(allowed, 100);
      EXPECT_GT(denied, 100);
    }
  }
}

TEST_F(RedisBatch, ExpiredReservationsReturnTheirUnitsInsideABatch) {
  auto q = open();
  ASSERT_NE(q, nullptr);
  auto r = q->reserve("t1", "api_calls", 39, 30s);
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->outcome.allowed());
  std::vector<Request> reqs(45, Request{"t1", "api_calls", 1});
  reqs[0] = Request{"t2", "api_calls", 1};  // another key first: the sweep happens mid-batch
  std::vector<Result<Outcome>> out(reqs.size(), Error{Errc::internal});
  q->decide_many(std::span(reqs).first(3), out, 64);
  EXPECT_TRUE(out[1]->allowed());  // 39 + 1 = 40
  EXPECT_FALSE(out[2]->allowed());
  clock_.advance(31s);
  q->decide_many(reqs, out, 64);
  int allowed = 0;
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    ASSERT_THAT(out[i], IsOk());
    allowed += out[i]->allowed() ? 1 : 0;
  }
  EXPECT_EQ(allowed, 39);  // the reserved units are back: 40 - the 1 decided before
  EXPECT_THAT(q->commit(*r, 39), HasError(Errc::gone));
  auto after = q->decide("t1", "api_calls", 0);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->used, 40);
}

TEST_F(RedisBatch, ManyTenantsAreExactInClusterAndPlainMode) {
  limits_.set_default("requests", Policy::fixed_window(50, 3600s));
  std::vector<std::string> tenants;
  for (int i = 0; i < 40; ++i) tenants.push_back("t" + std::to_string(i));
  std::vector<Request> reqs;
  std::mt19937 rng(42);
  for (int i = 0; i < 4000; ++i) reqs.push_back(Request{tenants[rng() % 40], "requests", 1});
  for (const bool cluster : {false, true}) {
    auto q = open(cluster);
    ASSERT_NE(q, nullptr);
    std::vector<int> allowed(40, 0);
    int errors = 0;
    q->decide_many(
        reqs,
        [&](std::size_t i, const Result<Outcome>& o) {
          if (!o) {
            ++errors;
          } else if (o->allowed()) {
            ++allowed[std::stoi(std::string(reqs[i].tenant.substr(1)))];
          }
        },
        64);
    EXPECT_EQ(errors, 0);
    for (int a : allowed) EXPECT_EQ(a, 50) << "cluster " << cluster;
  }
}

// Both paths that use the hint: decide() (one decision per call) and decide_many().
std::vector<Result<Outcome>> decide_n(RedisBackend& q, std::string_view tenant, int n) {
  std::vector<Request> reqs(static_cast<std::size_t>(n), Request{tenant, "requests", 1});
  std::vector<Result<Outcome>> out(reqs.size(), Error{Errc::internal});
  q.decide_many(reqs, out, 64);
  return out;
}

TEST_F(RedisBatch, StaleWindowHintsAreCheckedAgainstTheAnchor) {
  const std::string prefix = fresh_prefix();
  auto a = open(false, 32, prefix);
  auto b = open(false, 32, prefix);  // another process on the same counters
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const Timestamp t0 = clock_.now();
  auto first = a->decide("t1", "requests", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->reset, t0 + 60s);
  // The counter is lost (flush) and anchored again 7 s later by the other process: a's hint
  // (the window from t0) is stale, and a must count in the new window.
  ASSERT_THAT(a->flush_all_for_tests(), IsOk());
  clock_.advance(7s);
  auto other = b->decide("t1", "requests", 1);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->reset, t0 + 67s);
  auto batch = decide_n(*a, "t1", 3);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_THAT(batch[i], IsOk());
    EXPECT_TRUE(batch[i]->allowed());
    EXPECT_EQ(batch[i]->used, static_cast<std::int64_t>(i) + 2);
    EXPECT_EQ(batch[i]->reset, t0 + 67s);
  }
  auto one = a->decide("t1", "requests", 1);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->used, 5);
  EXPECT_EQ(one->reset, t0 + 67s);
  // The next window follows from the (right) hint; the script checks it once more.
  clock_.advance(60s);
  auto next = decide_n(*a, "t1", 2);
  ASSERT_THAT(next[1], IsOk());
  EXPECT_EQ(next[1]->used, 2);
  EXPECT_EQ(next[1]->reset, t0 + 127s);
  // Flushed with nobody else: a anchors the counter again at its first use.
  ASSERT_THAT(a->flush_all_for_tests(), IsOk());
  clock_.advance(5s);
  auto again = a->decide("t1", "requests", 1);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->used, 1);
  EXPECT_EQ(again->reset, t0 + 132s);
  auto seen = b->decide("t1", "requests", 0);
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->used, 1);
  EXPECT_EQ(seen->reset, t0 + 132s);
}

TEST_F(RedisBatch, AFullHintStillAllowsWhatFitsAgain) {
  const std::string prefix = fresh_prefix();
  auto a = open(false, 32, prefix);
  auto b = open(false, 32, prefix);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto lease = b->take_lease("t1", "requests", 5, 1, 5);  // 5 of the 25 held by b
  ASSERT_THAT(lease, IsOk());
  ASSERT_EQ(lease->units, 5);
  int allowed = 0;
  for (const auto& o : decide_n(*a, "t1", 30)) allowed += o && o->allowed() ? 1 : 0;
  EXPECT_EQ(allowed, 20);
  // a now believes the counter full: denials only read it and write nothing.
  for (const auto& o : decide_n(*a, "t1", 4)) EXPECT_FALSE(o && o->allowed());
  auto full = b->decide("t1", "requests", 0);
  ASSERT_THAT(full, IsOk());
  EXPECT_EQ(full->used, 25);
  // b gives its units back: a's hint is out of date and must not deny what fits.
  ASSERT_THAT(b->return_lease("t1", "requests", 5, lease->window_index), IsOk());
  allowed = 0;
  for (const auto& o : decide_n(*a, "t1", 8)) allowed += o && o->allowed() ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  auto one = a->decide("t1", "requests", 1);
  ASSERT_THAT(one, IsOk());
  EXPECT_FALSE(one->allowed());
  EXPECT_EQ(one->used, 25);
}

// An answer frees room in the window, and the call it frees is sent before the next answer is
// processed, even when several answers arrived in one read. (Before, every buffered answer was
// processed first and the freed calls then went out together, so Redis idled while the client
// worked and the two took turns: W4 ran at 0.55 x the rate it has now.) Window 4, one
// decision per call: the first four calls go out in one write and Redis answers them in one
// write. While the second answer is being handed out, the fifth decision must already have
// reached Redis, which a twin backend reads on its own connection.
TEST_F(RedisBatch, AnAnswerSendsTheCallItFreesBeforeTheNextAnswerIsHandedOut) {
  const std::string prefix = fresh_prefix();
  auto many = open(false, 1, prefix);
  auto twin = open(false, 1, prefix);
  ASSERT_NE(many, nullptr);
  ASSERT_NE(twin, nullptr);
  const std::vector<Request> reqs = {{"t0", "api_calls", 1}, {"t1", "api_calls", 1},
                                     {"t2", "api_calls", 1}, {"t3", "api_calls", 1},
                                     {"t4", "api_calls", 1}, {"t5", "api_calls", 1}};
  bool fifth_seen_in_time = false;
  int answered = 0;
  many->decide_many(
      reqs,
      [&](std::size_t i, const Result<Outcome>& o) {
        EXPECT_THAT(o, IsOk());
        ++answered;
        if (i != 1) return;
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (!fifth_seen_in_time && std::chrono::steady_clock::now() < deadline) {
          auto seen = twin->decide("t4", "api_calls", 0);
          ASSERT_THAT(seen, IsOk());
          fifth_seen_in_time = seen->used == 1;
        }
      },
      4);
  EXPECT_EQ(answered, 6);
  EXPECT_TRUE(fifth_seen_in_time);
}

// More reservations than one sweep round (64) expire at once: all of them come back before the
// next counter decision, which must not be denied on units nobody holds any more.
TEST_F(RedisBatch, ManyExpiredReservationsAllComeBackBeforeTheNextDecision) {
  limits_.set_default("docs", Policy::counter(300));
  auto q = open();
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 250; ++i) ASSERT_THAT(q->reserve("t1", "docs", 1, 1s), IsOk());
  auto full = q->decide("t1", "docs", 100);
  ASSERT_THAT(full, IsOk());
  EXPECT_FALSE(full->allowed());  // 250 held, 50 left
  clock_.advance(2s);
  auto o = q->decide("t1", "docs", 250);
  ASSERT_THAT(o, IsOk());
  EXPECT_TRUE(o->allowed());
  EXPECT_EQ(o->used, 250);
}

// A sink that calls back into a backend whose only connection decide_many() holds: the inner
// call waits at most connect_timeout + command_timeout for a connection, then answers
// unavailable, instead of waiting for good.
TEST_F(RedisBatch, ASinkCallingBackWithThePoolTakenGetsUnavailableNotAHang) {
  auto r = open_backend({.url = url_,
                         .pool_size = 1,
                         .connect_timeout = 100ms,
                         .command_timeout = 100ms,
                         .key_prefix = fresh_prefix()},
                        limits_, clock_);
  ASSERT_THAT(r, IsOk());
  RedisBackend& q = **r;
  const std::vector<Request> reqs = {{"t1", "api_calls", 1}, {"t2", "api_calls", 1}};
  int inner_unavailable = 0;
  const auto t0 = std::chrono::steady_clock::now();
  q.decide_many(
      reqs,
      [&](std::size_t, const Result<Outcome>& o) {
        EXPECT_THAT(o, IsOk());
        auto inner = q.decide("t3", "api_calls", 1);
        if (!inner && inner.error().code == Errc::unavailable) ++inner_unavailable;
      },
      64);
  EXPECT_EQ(inner_unavailable, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_THAT(q.decide("t3", "api_calls", 1), IsOk());  // the pool is whole again
}

}  // namespace
}  // namespace tenantkit::quota::redis
