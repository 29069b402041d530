// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::ApiKeyStore: tenant isolation, id and prefix uniqueness, key
// count limits (also under concurrent creates), revoke, rotation with grace (once, also
// concurrently), batched last-used times, pagination. Instantiate in namespace tenantkit::testing
// (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class ApiKeyStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::ApiKeyStore& keys() { return this->db().api_keys(); }

  storage::ApiKey make_key(const SampleTenant& t) {
    return must(keys().create(t.org.id, this->s_.api_key(t.org.id, t.owner.id), std::nullopt),
                "api_keys().create");
  }
};
TYPED_TEST_SUITE_P(ApiKeyStoreConformance);

TYPED_TEST_P(ApiKeyStoreConformance, CreateGetAndFindByPrefixRoundTrip) {
  auto t = this->make_tenant();
  auto k = this->s_.api_key(t.org.id, t.owner.id);
  k.created_at = odd_micros(k.created_at);
  k.expires_at = odd_micros(k.created_at + std::chrono::hours(24 * 90));
  k.scopes = {"data:read", "data:write", "usage:read"};
  k.pepper_version = 3;
  EXPECT_THAT(this->keys().create(t.org.id, k, std::nullopt), IsOkAndHolds(k));
  EXPECT_THAT(this->keys().get(t.org.id, k.id), IsOkAndHolds(k));
  EXPECT_THAT(this->keys().find_by_prefix(k.prefix), IsOkAndHolds(std::optional(k)));
  EXPECT_THAT(this->keys().find_by_prefix("tk_live_unknown"),
              IsOkAndHolds(std::optional<storage::ApiKey>()));
  EXPECT_THAT(this->keys().get(t.org.id, this->s_.template id<ApiKeyId>()),
              HasError(Errc::not_found));
}

TYPED_TEST_P(ApiKeyStoreConformance, CreateConflictsOnTakenIdOrPrefix) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto k = this->make_key(a);
  auto same_id = this->s_.api_key(a.org.id, a.owner.id);
  same_id.id = k.id;
  EXPECT_THAT(this->keys().create(a.org.id, same_id, std::nullopt), HasError(Errc::conflict));
  // Prefixes are unique across orgs: verification looks a key up by prefix alone.
  auto same_prefix = this->s_.api_key(b.org.id, b.owner.id);
  same_prefix.prefix = k.prefix;
  EXPECT_THAT(this->keys().create(b.org.id, same_prefix, std::nullopt), HasError(Errc::conflict));
  EXPECT_THAT(this->keys().get(b.org.id, same_prefix.id), HasError(Errc::not_found));
  EXPECT_THAT(this->keys().find_by_prefix(k.prefix), IsOkAndHolds(std::optional(k)));
}

TYPED_TEST_P(ApiKeyStoreConformance, AnotherOrgsKeyIsNotFoundAndUntouched) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto k = this->make_key(a);
  EXPECT_THAT(this->keys().get(b.org.id, k.id), HasError(Errc::not_found));
  EXPECT_THAT(this->keys().revoke(b.org.id, k.id, this->s_.now()), HasError(Errc::not_found));
  auto successor = this->s_.api_key(b.org.id, b.owner.id);
  EXPECT_THAT(this->keys().rotate(b.org.id, k.id, successor, this->s_.now()),
              HasError(Errc::not_found));
  EXPECT_THAT(this->keys().find_by_prefix(successor.prefix),
              IsOkAndHolds(std::optional<storage::ApiKey>()));
  EXPECT_THAT(this->keys().get(a.org.id, k.id), IsOkAndHolds(k));
  auto listed = this->keys().list(b.org.id, PageRequest{});
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->items.empty());
}

TYPED_TEST_P(ApiKeyStoreConformance, MaxKeysCountsUnrevokedKeys) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto k1 = this->make_key(a);
  this->make_key(a);
  this->make_key(b);  // another org's keys do not count
  auto third = this->s_.api_key(a.org.id, a.owner.id);
  EXPECT_THAT(this->keys().create(a.org.id, third, 2), HasError(Errc::plan_limit_reached));
  EXPECT_THAT(this->keys().get(a.org.id, third.id), HasError(Errc::not_found));
  must(this->keys().revoke(a.org.id, k1.id, this->s_.now()));
  EXPECT_THAT(this->keys().create(a.org.id, third, 2), IsOk());
  EXPECT_THAT(this->keys().create(a.org.id, this->s_.api_key(a.org.id, a.owner.id), 2),
              HasError(Errc::plan_limit_reached));
}

TYPED_TEST_P(ApiKeyStoreConformance, RevokeKeepsTheFirstRevocation) {
  auto a = this->make_tenant();
  auto k = this->make_key(a);
  const auto when = odd_micros(this->s_.now());
  auto revoked = this->keys().revoke(a.org.id, k.id, when);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at, std::optional(when));
  EXPECT_FALSE(revoked->is_usable(this->s_.now()));
  EXPECT_THAT(this->keys().revoke(a.org.id, k.id, when + std::chrono::hours(1)),
              IsOkAndHolds(*revoked));
  EXPECT_THAT(this->keys().get(a.org.id, k.id), IsOkAndHolds(*revoked));
  EXPECT_THAT(this->keys().revoke(a.org.id, this->s_.template id<ApiKeyId>(), when),
              HasError(Errc::not_found));
}

TYPED_TEST_P(ApiKeyStoreConformance, RotateStoresSuccessorAndSetsGraceOnce) {
  auto a = this->make_tenant();
  auto old = this->make_key(a);
  auto successor = this->s_.api_key(a.org.id, a.owner.id);
  const auto grace_end = odd_micros(this->s_.now() + std::chrono::hours(24));
  EXPECT_THAT(this->keys().rotate(a.org.id, old.id, successor, grace_end), IsOkAndHolds(successor));
  EXPECT_THAT(this->keys().get(a.org.id, successor.id), IsOkAndHolds(successor));
  auto stored_old = this->keys().get(a.org.id, old.id);
  ASSERT_THAT(stored_old, IsOk());
  EXPECT_EQ(stored_old->rotated_to, std::optional(successor.id));
  EXPECT_EQ(stored_old->expires_at, std::optional(grace_end));
  EXPECT_EQ(stored_old->revoked_at, std::nullopt);

  EXPECT_THAT(
      this->keys().rotate(a.org.id, old.id, this->s_.api_key(a.org.id, a.owner.id), grace_end),
      HasError(Errc::gone));
  auto revoked = this->make_key(a);
  must(this->keys().revoke(a.org.id, revoked.id, this->s_.now()));
  EXPECT_THAT(
      this->keys().rotate(a.org.id, revoked.id, this->s_.api_key(a.org.id, a.owner.id), grace_end),
      HasError(Errc::gone));
  EXPECT_THAT(this->keys().rotate(a.org.id, this->s_.template id<ApiKeyId>(),
                                  this->s_.api_key(a.org.id, a.owner.id), grace_end),
              HasError(Errc::not_found));
}

TYPED_TEST_P(ApiKeyStoreConformance, RotateNeverExtendsTheOldExpiry) {
  auto a = this->make_tenant();
  auto k = this->s_.api_key(a.org.id, a.owner.id);
  k.expires_at = this->s_.now() + std::chrono::hours(1);
  must(this->keys().create(a.org.id, k, std::nullopt));
  must(this->keys().rotate(a.org.id, k.id, this->s_.api_key(a.org.id, a.owner.id),
                           this->s_.now() + std::chrono::hours(48)));
  auto stored = this->keys().get(a.org.id, k.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->expires_at, k.expires_at);
}

TYPED_TEST_P(ApiKeyStoreConformance, RotateToATakenPrefixConflictsAndChangesNothing) {
  auto a = this->make_tenant();
  auto old = this->make_key(a);
  auto other = this->make_key(a);
  auto successor = this->s_.api_key(a.org.id, a.owner.id);
  successor.prefix = other.prefix;
  EXPECT_THAT(this->keys().rotate(a.org.id, old.id, successor, this->s_.now()),
              HasError(Errc::conflict));
  EXPECT_THAT(this->keys().get(a.org.id, old.id), IsOkAndHolds(old));
  EXPECT_THAT(this->keys().get(a.org.id, successor.id), HasError(Errc::not_found));
}

TYPED_TEST_P(ApiKeyStoreConformance, RecordLastUsedKeepsTheLatestTime) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto k1 = this->make_key(a);
  auto k2 = this->make_key(b);
  const auto t0 = odd_micros(this->s_.now());
  const auto t1 = t0 + std::chrono::seconds(10);
  ASSERT_THAT(this->keys().record_last_used(
                  {{k1.id, t1}, {k2.id, t0}, {this->s_.template id<ApiKeyId>(), t1}}),
              IsOk());
  ASSERT_THAT(this->keys().record_last_used({{k1.id, t0}}), IsOk());  // older: ignored
  auto g1 = this->keys().get(a.org.id, k1.id);
  auto g2 = this->keys().get(b.org.id, k2.id);
  ASSERT_THAT(g1, IsOk());
  ASSERT_THAT(g2, IsOk());
  EXPECT_EQ(g1->last_used_at, std::optional(t1));
  EXPECT_EQ(g2->last_used_at, std::optional(t0));
  ASSERT_THAT(this->keys().record_last_used({}), IsOk());
}

TYPED_TEST_P(ApiKeyStoreConformance, ListPaginatesInIdOrderIncludingRevoked) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  std::vector<std::string> expected;
  for (int i = 0; i < 6; ++i) expected.push_back(this->make_key(a).id.str());
  must(this->keys().revoke(a.org.id, ApiKeyId::from_trusted(expected[2]), this->s_.now()));
  this->make_key(b);
  expect_paginates<storage::ApiKey>(
      [&](const PageRequest& r) { return this->keys().list(a.org.id, r); }, expected,
      [](const storage::ApiKey& k) { return k.id.str(); });
}

TYPED_TEST_P(ApiKeyStoreConformance, ConcurrentCreatesNeverExceedMaxKeys) {
  auto a = this->make_tenant();
  constexpr int kThreads = 8;
  std::vector<storage::ApiKey> ks;
  for (int i = 0; i < kThreads; ++i) ks.push_back(this->s_.api_key(a.org.id, a.owner.id));
  std::atomic<int> created{0}, limited{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->keys().create(a.org.id, ks[static_cast<std::size_t>(i)], 3);
    if (r)
      ++created;
    else if (r.error().code == Errc::plan_limit_reached)
      ++limited;
  });
  EXPECT_EQ(created.load(), 3);
  EXPECT_EQ(limited.load(), kThreads - 3);
}

TYPED_TEST_P(ApiKeyStoreConformance, ConcurrentRotationsOfOneKeyLetExactlyOneWin) {
  auto a = this->make_tenant();
  auto old = this->make_key(a);
  constexpr int kThreads = 6;
  std::vector<storage::ApiKey> successors;
  for (int i = 0; i < kThreads; ++i) successors.push_back(this->s_.api_key(a.org.id, a.owner.id));
  const auto grace = this->s_.now() + std::chrono::hours(1);
  std::atomic<int> rotated{0}, gone{0};
  run_concurrently(kThreads, [&](int i) {
    auto r = this->keys().rotate(a.org.id, old.id, successors[static_cast<std::size_t>(i)], grace);
    if (r)
      ++rotated;
    else if (r.error().code == Errc::gone)
      ++gone;
  });
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(gone.load(), kThreads - 1);
  auto listed = this->keys().list(a.org.id, PageRequest{});
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->items.size(), 2u);
}

REGISTER_TYPED_TEST_SUITE_P(ApiKeyStoreConformance, CreateGetAndFindByPrefixRoundTrip,
                            CreateConflictsOnTakenIdOrPrefix, AnotherOrgsKeyIsNotFoundAndUntouched,
                            MaxKeysCountsUnrevokedKeys, RevokeKeepsTheFirstRevocation,
                            RotateStoresSuccessorAndSetsGraceOnce, RotateNeverExtendsTheOldExpiry,
                            RotateToATakenPrefixConflictsAndChangesNothing,
                            RecordLastUsedKeepsTheLatestTime,
                            ListPaginatesInIdOrderIncludingRevoked,
                            ConcurrentCreatesNeverExceedMaxKeys,
                            ConcurrentRotationsOfOneKeyLetExactlyOneWin);

}  // namespace tenantkit::testing
