// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::IdempotencyStore: begin/complete/replay, mismatch, in-progress,
// expiry, abandon, purge, scopes kept apart, and concurrent begins (exactly one started).
// Instantiate in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class IdempotencyStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::IdempotencyStore& idem() { return this->db().idempotency(); }

  Timestamp ttl_end() { return this->s_.now() + std::chrono::hours(24); }
};
TYPED_TEST_SUITE_P(IdempotencyStoreConformance);

TYPED_TEST_P(IdempotencyStoreConformance, BeginCompleteThenReplay) {
  using Kind = storage::IdempotencyBegin::Kind;
  const auto now = odd_micros(this->s_.now());
  const auto until = odd_micros(this->ttl_end());
  auto first = this->idem().begin("org:1", "key-1", "hash-A", now, until);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->kind, Kind::started);
  EXPECT_EQ(first->record.scope, "org:1");
  EXPECT_EQ(first->record.key, "key-1");
  EXPECT_EQ(first->record.request_hash, "hash-A");
  EXPECT_FALSE(first->record.completed);

  auto running = this->idem().begin("org:1", "key-1", "hash-A", now, until);
  ASSERT_THAT(running, IsOk());
  EXPECT_EQ(running->kind, Kind::in_progress);

  ASSERT_THAT(this->idem().complete("org:1", "key-1", 201, "application/json", R"({"id":"w1"})"),
              IsOk());
  auto replay = this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), this->ttl_end());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::replay);
  EXPECT_TRUE(replay->record.completed);
  EXPECT_EQ(replay->record.status, 201);
  EXPECT_EQ(replay->record.content_type, "application/json");
  EXPECT_EQ(replay->record.body, R"({"id":"w1"})");
  EXPECT_EQ(replay->record.request_hash, "hash-A");
  EXPECT_EQ(replay->record.created_at, now);
  EXPECT_EQ(replay->record.expires_at, until);
}

TYPED_TEST_P(IdempotencyStoreConformance, AnotherRequestWithTheKeyIsAMismatch) {
  using Kind = storage::IdempotencyBegin::Kind;
  must(this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), this->ttl_end()));
  auto running = this->idem().begin("org:1", "key-1", "hash-B", this->s_.now(), this->ttl_end());
  ASSERT_THAT(running, IsOk());
  EXPECT_EQ(running->kind, Kind::mismatch);
  must(this->idem().complete("org:1", "key-1", 200, "text/plain", "ok"));
  auto done = this->idem().begin("org:1", "key-1", "hash-B", this->s_.now(), this->ttl_end());
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->kind, Kind::mismatch);
  // The stored response is untouched by the mismatching attempts.
  auto replay = this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), this->ttl_end());
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->kind, Kind::replay);
  EXPECT_EQ(replay->record.body, "ok");
}

TYPED_TEST_P(IdempotencyStoreConformance, ScopesAreSeparate) {
  using Kind = storage::IdempotencyBegin::Kind;
  must(this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), this->ttl_end()));
  must(this->idem().complete("org:1", "key-1", 200, "text/plain", "org one"));
  auto other = this->idem().begin("org:2", "key-1", "hash-B", this->s_.now(), this->ttl_end());
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->kind, Kind::started);
  auto user = this->idem().begin("user:1", "key-1", "hash-A", this->s_.now(), this->ttl_end());
  ASSERT_THAT(user, IsOk());
  EXPECT_EQ(user->kind, Kind::started);
}

TYPED_TEST_P(IdempotencyStoreConformance, AnExpiredRecordCountsAsAbsent) {
  using Kind = storage::IdempotencyBegin::Kind;
  const auto until = this->s_.now() + std::chrono::minutes(10);
  must(this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), until));
  must(this->idem().complete("org:1", "key-1", 200, "text/plain", "old"));
  auto fresh =
      this->idem().begin("org:1", "key-1", "hash-B", until, until + std::chrono::hours(24));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->kind, Kind::started);
  EXPECT_EQ(fresh->record.request_hash, "hash-B");
  EXPECT_FALSE(fresh->record.completed);
  auto again =
      this->idem().begin("org:1", "key-1", "hash-B", until, until + std::chrono::hours(24));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->kind, Kind::in_progress);
}

TYPED_TEST_P(IdempotencyStoreConformance, CompleteWithoutBeginIsNotFound) {
  EXPECT_THAT(this->idem().complete("org:1", "never-started", 200, "text/plain", "x"),
              HasError(Errc::not_found));
}

TYPED_TEST_P(IdempotencyStoreConformance, AbandonLetsTheKeyStartAgain) {
  using Kind = storage::IdempotencyBegin::Kind;
  must(this->idem().begin("org:1", "key-1", "hash-A", this->s_.now(), this->ttl_end()));
  ASSERT_THAT(this->idem().abandon("org:1", "key-1"), IsOk());
  auto again = this->idem().begin("org:1", "key-1", "hash-B", this->s_.now(), this->ttl_end());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->kind, Kind::started);
  EXPECT_THAT(this->idem().abandon("org:1", "never-started"), IsOk());
}

TYPED_TEST_P(IdempotencyStoreConformance, PurgeExpiredDeletesOnlyExpiredRecords) {
  using Kind = storage::IdempotencyBegin::Kind;
  const auto now = this->s_.now();
  must(this->idem().begin("org:1", "short-1", "h", now, now + std::chrono::minutes(1)));
  must(this->idem().begin("org:1", "short-2", "h", now, now + std::chrono::minutes(2)));
  must(this->idem().begin("org:1", "long", "h", now, now + std::chrono::hours(48)));
  must(this->idem().complete("org:1", "long", 200, "text/plain", "kept"));
  EXPECT_THAT(this->idem().purge_expired(now + std::chrono::hours(1)), IsOkAndHolds(2));
  EXPECT_THAT(this->idem().purge_expired(now + std::chrono::hours(1)), IsOkAndHolds(0));
  auto kept = this->idem().begin("org:1", "long", "h", now + std::chrono::hours(1),
                                 now + std::chrono::hours(25));
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->kind, Kind::replay);
  EXPECT_EQ(kept->record.body, "kept");
}

TYPED_TEST_P(IdempotencyStoreConformance, ConcurrentBeginsStartExactlyOnce) {
  using Kind = storage::IdempotencyBegin::Kind;
  constexpr int kThreads = 8;
  std::atomic<int> started{0}, running{0};
  const auto now = this->s_.now();
  const auto until = this->ttl_end();
  run_concurrently(kThreads, [&](int) {
    auto r = this->idem().begin("org:1", "race", "hash-A", now, until);
    if (!r) return;
    if (r->kind == Kind::started)
      ++started;
    else if (r->kind == Kind::in_progress)
      ++running;
  });
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(running.load(), kThreads - 1);
}

REGISTER_TYPED_TEST_SUITE_P(IdempotencyStoreConformance, BeginCompleteThenReplay,
                            AnotherRequestWithTheKeyIsAMismatch, ScopesAreSeparate,
                            AnExpiredRecordCountsAsAbsent, CompleteWithoutBeginIsNotFound,
                            AbandonLetsTheKeyStartAgain, PurgeExpiredDeletesOnlyExpiredRecords,
                            ConcurrentBeginsStartExactlyOnce);

}  // namespace tenantkit::testing
