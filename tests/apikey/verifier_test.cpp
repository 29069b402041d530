// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/apikey/key_format.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "apikey/memory_api_key_store.hpp"

// Counts allocations made by the current thread while `g_counting` is set: proves the cached
// verify path allocates nothing.
namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
}  // namespace

// GCC 12 at -O1 cannot see that the replaced operator new pairs with free() below.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace tenantkit::apikey {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using testing::CountingApiKeyStore;
using testing::MemoryApiKeyStore;
using namespace std::chrono_literals;

const OrgId kOrg = OrgId::from_trusted("org-a");
const OrgId kOtherOrg = OrgId::from_trusted("org-b");
const UserId kUser = UserId::from_trusted("user-1");
const std::vector<std::string> kOwnerPerms{"*"};

KeyHasher make_hasher(std::vector<std::uint32_t> versions = {1}) {
  std::vector<Pepper> peppers;
  for (auto v : versions)
    peppers.push_back({v, Secret(std::string(32, static_cast<char>('a' + v)))});
  return KeyHasher::create(std::move(peppers)).value();
}

class ApiKeyTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SeededRandom random_{42};
  MemoryApiKeyStore memory_;
  CountingApiKeyStore store_{memory_};
  KeyHasher hasher_ = make_hasher();
  InProcessRevocationFeed feed_;
  KeyManager manager_{store_, hasher_, feed_, random_, clock_};
  Verifier verifier_{store_, hasher_, feed_, clock_};

  IssuedKey issue(NewKey key = {.name = "ci"}) {
    key.created_by = kUser;
    auto r = manager_.create(kOrg, key, kOwnerPerms);
    EXPECT_THAT(r, IsOk());
    return std::move(r).value();
  }
};

TEST_F(ApiKeyTest, IssuedKeyVerifiesWithItsTenantAndScopes) {
  IssuedKey k = issue();
  EXPECT_EQ(k.record.prefix, k.secret.reveal().substr(0, 16));
  EXPECT_EQ(k.record.hash.size(), 64u);
  EXPECT_EQ(k.record.hash.find(k.secret.reveal()), std::string::npos);
  auto v = verifier_.verify(k.secret.reveal());
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ((*v)->id, k.record.id);
  EXPECT_EQ((*v)->tenant, kOrg);
  EXPECT_EQ((*v)->created_by, kUser);
  EXPECT_THAT((*v)->scopes, ::testing::ElementsAre("data:read", "usage:write"));
  EXPECT_TRUE((*v)->allows("data:read"));
  EXPECT_FALSE((*v)->allows("members:write"));
}

TEST_F(ApiKeyTest, BadChecksumNeverReachesStorage) {
  IssuedKey k = issue();
  std::string typo = k.secret.reveal();
  typo[20] = typo[20] == 'a' ? 'b' : 'a';
  EXPECT_THAT(verifier_.verify(typo), HasError(Errc::unauthorized));
  EXPECT_THAT(verifier_.verify("tk_live_garbage"), HasError(Errc::unauthorized));
  EXPECT_THAT(verifier_.verify(""), HasError(Errc::unauthorized));
  EXPECT_EQ(store_.lookups.load(), 0);
}

TEST_F(ApiKeyTest, WellFormedUnknownKeyIsLookedUpOnceAndRefused) {
  SeededRandom other(99);
  Secret stranger = generate_key(other, "live");
  auto r = verifier_.verify(stranger.reveal());
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(r.error().detail, "unknown API key");
  EXPECT_EQ(store_.lookups.load(), 1);
}

TEST_F(ApiKeyTest, ForgedKeyWithARealPrefixIsRefused) {
  IssuedKey k = issue();
  // Same public prefix, other random tail, valid checksum: what an attacker who saw the listing
  // could build. Only the keyed hash tells it apart.
  std::string body = k.secret.reveal().substr(0, 8 + kRandomChars);
  body[body.size() - 1] = body.back() == 'z' ? 'y' : 'z';
  const auto check = checksum_chars(crc32(body));
  const std::string forged = body + "_" + std::string(check.data(), check.size());
  ASSERT_THAT(parse_key(forged), IsOk());
  EXPECT_THAT(verifier_.verify(forged), HasError(Errc::unauthorized));
  EXPECT_EQ(store_.lookups.load(), 1);
}

TEST_F(ApiKeyTest, SecondVerifyIsServedFromTheCache) {
  IssuedKey k = issue();
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  EXPECT_EQ(store_.lookups.load(), 1);
  EXPECT_EQ(verifier_.cache().size(), 1u);
}

TEST_F(ApiKeyTest, CachedVerifyDoesNotAllocate) {
  LastUsedRecorder recorder(store_, clock_);
  Verifier verifier(store_, hasher_, feed_, clock_, &recorder);
  IssuedKey k = issue();
  const std::string secret = k.secret.reveal();
  ASSERT_THAT(verifier.verify(secret), IsOk());  // warms the cache
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) {
    auto r = verifier.verify(secret);
    if (!r) break;
  }
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
}

TEST_F(ApiKeyTest, RevocationInThisProcessIsImmediate) {
  IssuedKey k = issue();
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  ASSERT_THAT(manager_.revoke(kOrg, k.record.id), IsOk());
  auto r = verifier_.verify(k.secret.reveal());
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(r.error().detail, "API key revoked");
}

TEST_F(ApiKeyTest, RevocationReachesAnotherProcessWithinThePollInterval) {
  // Two "processes" share the feed's source (Redis in production) and each polls it every 1 s.
  PollingRevocationFeed feed_a(feed_, clock_, 1s);
  PollingRevocationFeed feed_b(feed_, clock_, 1s);
  KeyManager manager_a(store_, hasher_, feed_a, random_, clock_);
  Verifier verifier_b(store_, hasher_, feed_b, clock_, nullptr, {.capacity = 100, .ttl = 300s});
  auto k = manager_a.create(kOrg, {.name = "ci", .created_by = kUser}, kOwnerPerms);
  ASSERT_THAT(k, IsOk());
  ASSERT_THAT(verifier_b.verify(k->secret.reveal()), IsOk());
  clock_.advance(200ms);
  ASSERT_THAT(manager_a.revoke(kOrg, k->record.id), IsOk());
  // Process B has not polled yet: its cache still answers (the documented bound).
  EXPECT_THAT(verifier_b.verify(k->secret.reveal()), IsOk());
  clock_.advance(799ms);
  EXPECT_THAT(verifier_b.verify(k->secret.reveal()), IsOk());
  clock_.advance(2ms);  // 1.001 s after B's last poll: B must see the new generation
  EXPECT_THAT(verifier_b.verify(k->secret.reveal()), HasError(Errc::unauthorized));
}

TEST_F(ApiKeyTest, SilentRevocationEndsWithTheCacheTtl) {
  Verifier verifier(store_, hasher_, feed_, clock_, nullptr, {.capacity = 100, .ttl = 30s});
  IssuedKey k = issue();
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  // Revoked in storage without a publish (e.g. the feed was down): the TTL bounds the damage.
  ASSERT_THAT(memory_.revoke(kOrg, k.record.id, clock_.now()), IsOk());
  clock_.advance(29s);
  EXPECT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  clock_.advance(1s);
  EXPECT_THAT(verifier.verify(k.secret.reveal()), HasError(Errc::unauthorized));
}

TEST_F(ApiKeyTest, RefreshAheadAsksOncePerEntryAndTheReloadKeepsAHotKeyCached) {
  Verifier verifier(store_, hasher_, feed_, clock_, nullptr,
                    {.capacity = 100, .ttl = 1s, .refresh_ahead = 200ms});
  std::vector<std::string> asked;
  verifier.set_refresh_hook([&](std::string_view presented) { asked.emplace_back(presented); });
  IssuedKey k = issue();
  const std::string secret = k.secret.reveal();
  ASSERT_THAT(verifier.verify(secret), IsOk());
  clock_.advance(799ms);
  ASSERT_THAT(verifier.verify(secret), IsOk());
  EXPECT_TRUE(asked.empty());  // not in the window yet
  clock_.advance(1ms);
  ASSERT_THAT(verifier.verify(secret), IsOk());
  ASSERT_THAT(verifier.verify(secret), IsOk());
  ASSERT_EQ(asked.size(), 1u);  // once per entry, however many hits
  EXPECT_EQ(asked[0], secret);
  EXPECT_EQ(store_.lookups.load(), 1);
  // The reload (what the hook's task runs) reads storage and caches the key for another TTL.
  ASSERT_THAT(verifier.reload(asked[0]), IsOk());
  EXPECT_EQ(store_.lookups.load(), 2);
  clock_.advance(900ms);  // 1.7 s after the first load, 0.9 s after the reload
  ASSERT_THAT(verifier.verify(secret), IsOk());
  EXPECT_EQ(store_.lookups.load(), 2);
  EXPECT_EQ(asked.size(), 2u);  // the new entry is in its own window
}

TEST_F(ApiKeyTest, RefreshAheadDoesNotExtendTheRevocationBound) {
  Verifier verifier(store_, hasher_, feed_, clock_, nullptr,
                    {.capacity = 100, .ttl = 1s, .refresh_ahead = 200ms});
  int asked = 0;
  verifier.set_refresh_hook([&](std::string_view) { ++asked; });
  IssuedKey k = issue();
  const std::string secret = k.secret.reveal();
  ASSERT_THAT(verifier.verify(secret), IsOk());
  // Revoked by another instance (no publish reaches this one).
  ASSERT_THAT(memory_.revoke(kOrg, k.record.id, clock_.now()), IsOk());
  clock_.advance(850ms);
  ASSERT_THAT(verifier.verify(secret), IsOk());  // still inside the 1 s bound
  ASSERT_EQ(asked, 1);
  // The reload sees the revocation, refuses and caches nothing.
  auto reloaded = verifier.reload(secret);
  ASSERT_THAT(reloaded, HasError(Errc::unauthorized));
  EXPECT_EQ(reloaded.error().detail, "API key revoked");
  clock_.advance(150ms);  // 1 s after the load: refused
  EXPECT_THAT(verifier.verify(secret), HasError(Errc::unauthorized));
}

TEST_F(ApiKeyTest, RefreshAheadIsOffByDefault) {
  int asked = 0;
  verifier_.set_refresh_hook([&](std::string_view) { ++asked; });
  IssuedKey k = issue();
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  clock_.advance(59s);
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  EXPECT_EQ(asked, 0);
}

TEST_F(ApiKeyTest, UnreachableFeedBypassesTheCache) {
  class DeadFeed final : public RevocationFeed {
   public:
    std::uint64_t generation() noexcept override { return up ? 5 : kUnknown; }
    Result<void> publish() override { return Error{Errc::unavailable, "down"}; }
    bool up = true;
  } source;
  PollingRevocationFeed polled(source, clock_, 1s, 3s);
  Verifier verifier(store_, hasher_, polled, clock_);
  IssuedKey k = issue();
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  EXPECT_EQ(store_.lookups.load(), 1);
  source.up = false;
  clock_.advance(2s);
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());  // within max_staleness: cached
  EXPECT_EQ(store_.lookups.load(), 1);
  clock_.advance(2s);  // 4 s since the last good poll > 3 s: fail closed to storage
  EXPECT_EQ(polled.generation(), RevocationFeed::kUnknown);
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  EXPECT_EQ(store_.lookups.load(), 3);
}

TEST_F(ApiKeyTest, ExpiredKeyIsRefusedEvenFromTheCache) {
  IssuedKey k = issue({.name = "short", .expires_at = clock_.now() + 10s});
  ASSERT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  clock_.advance(10s);
  auto r = verifier_.verify(k.secret.reveal());
  ASSERT_THAT(r, HasError(Errc::unauthorized));
  EXPECT_EQ(r.error().detail, "API key expired");
}

TEST_F(ApiKeyTest, RotationKeepsTheOldKeyForTheGracePeriod) {
  IssuedKey old = issue();
  ASSERT_THAT(verifier_.verify(old.secret.reveal()), IsOk());
  auto next = manager_.rotate(kOrg, old.record.id);
  ASSERT_THAT(next, IsOk());
  EXPECT_NE(next->record.prefix, old.record.prefix);
  EXPECT_EQ(next->record.name, old.record.name);
  EXPECT_EQ(next->record.scopes, old.record.scopes);
  EXPECT_THAT(verifier_.verify(next->secret.reveal()), IsOk());
  clock_.advance(24h - 1s);
  EXPECT_THAT(verifier_.verify(old.secret.reveal()), IsOk());
  clock_.advance(1s);
  EXPECT_THAT(verifier_.verify(old.secret.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(verifier_.verify(next->secret.reveal()), IsOk());
  auto stored = memory_.get(kOrg, old.record.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->rotated_to, next->record.id);
}

TEST_F(ApiKeyTest, RotationRules) {
  IssuedKey k = issue();
  EXPECT_THAT(manager_.rotate(kOrg, k.record.id, -1s), HasError(Errc::validation_failed));
  EXPECT_THAT(manager_.rotate(kOtherOrg, k.record.id), HasError(Errc::not_found));
  auto next = manager_.rotate(kOrg, k.record.id, 0s);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(verifier_.verify(k.secret.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(manager_.rotate(kOrg, k.record.id), HasError(Errc::gone));
  ASSERT_THAT(manager_.revoke(kOrg, next->record.id), IsOk());
  EXPECT_THAT(manager_.rotate(kOrg, next->record.id), HasError(Errc::gone));
}

TEST_F(ApiKeyTest, RevokeIsTenantScopedAndIdempotent) {
  IssuedKey k = issue();
  EXPECT_THAT(manager_.revoke(kOtherOrg, k.record.id), HasError(Errc::not_found));
  EXPECT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  auto first = manager_.revoke(kOrg, k.record.id);
  auto second = manager_.revoke(kOrg, k.record.id);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->revoked_at, second->revoked_at);
}

TEST_F(ApiKeyTest, PepperRotation) {
  IssuedKey k = issue();
  EXPECT_EQ(k.record.pepper_version, 1);
  KeyHasher both = make_hasher({1, 2});
  KeyManager manager2(store_, both, feed_, random_, clock_);
  Verifier verifier2(store_, both, feed_, clock_);
  EXPECT_THAT(verifier2.verify(k.secret.reveal()), IsOk());  // old records keep their version
  auto fresh = manager2.create(kOrg, {.name = "new", .created_by = kUser}, kOwnerPerms);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->record.pepper_version, 2);
  EXPECT_THAT(verifier2.verify(fresh->secret.reveal()), IsOk());
  // Once pepper 1 is dropped, keys hashed with it stop working.
  KeyHasher only2 = make_hasher({2});
  Verifier verifier3(store_, only2, feed_, clock_);
  EXPECT_THAT(verifier3.verify(k.secret.reveal()), HasError(Errc::unauthorized));
  EXPECT_THAT(verifier3.verify(fresh->secret.reveal()), IsOk());
}

TEST_F(ApiKeyTest, ScopesAreValidatedAndCannotEscalate) {
  const std::vector<std::string> member{"data:read", "usage:write", "workspaces:read"};
  auto ok_key =
      manager_.create(kOrg, {.name = "r", .scopes = {"data:read"}, .created_by = kUser}, member);
  ASSERT_THAT(ok_key, IsOk());
  EXPECT_THAT(ok_key->record.scopes, ::testing::ElementsAre("data:read"));
  EXPECT_THAT(manager_.create(kOrg, {.name = "x", .scopes = {"members:write"}}, member),
              HasError(Errc::forbidden));
  EXPECT_THAT(manager_.create(kOrg, {.name = "x", .scopes = {"data:*"}}, member),
              HasError(Errc::forbidden));
  EXPECT_THAT(manager_.create(kOrg, {.name = "x", .scopes = {"*"}}, member),
              HasError(Errc::forbidden));
  // Default scopes are checked too: a creator without usage:write cannot get them implicitly.
  const std::vector<std::string> readonly{"data:read"};
  EXPECT_THAT(manager_.create(kOrg, {.name = "x"}, readonly), HasError(Errc::forbidden));
  auto bad = manager_.create(kOrg, {.name = "", .scopes = {"nope"}, .env = "Prod"}, kOwnerPerms);
  ASSERT_THAT(bad, HasError(Errc::validation_failed));
  EXPECT_EQ(bad.error().fields.size(), 3u);
  EXPECT_THAT(manager_.create(kOrg, {.name = "x", .expires_at = clock_.now()}, kOwnerPerms),
              HasError(Errc::validation_failed));
  EXPECT_EQ(store_.lookups.load(), 0);
}

TEST_F(ApiKeyTest, PlanLimitOnKeys) {
  ASSERT_THAT(manager_.create(kOrg, {.name = "1", .max_keys = 2}, kOwnerPerms), IsOk());
  ASSERT_THAT(manager_.create(kOrg, {.name = "2", .max_keys = 2}, kOwnerPerms), IsOk());
  EXPECT_THAT(manager_.create(kOrg, {.name = "3", .max_keys = 2}, kOwnerPerms),
              HasError(Errc::plan_limit_reached));
}

TEST_F(ApiKeyTest, TestEnvironmentKeys) {
  IssuedKey k = issue({.name = "t", .env = "test"});
  EXPECT_THAT(k.secret.reveal(), ::testing::StartsWith("tk_test_"));
  EXPECT_THAT(verifier_.verify(k.secret.reveal()), IsOk());
  auto next = manager_.rotate(kOrg, k.record.id);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(next->secret.reveal(), ::testing::StartsWith("tk_test_"));
}

TEST_F(ApiKeyTest, StorageFailureFailsClosed) {
  IssuedKey k = issue();
  store_.fail = true;
  EXPECT_THAT(verifier_.verify(k.secret.reveal()), HasError(Errc::unavailable));
  EXPECT_THAT(manager_.revoke(kOrg, k.record.id), HasError(Errc::unavailable));
}

TEST_F(ApiKeyTest, CacheIsBounded) {
  Verifier verifier(store_, hasher_, feed_, clock_, nullptr, {.capacity = 32, .ttl = 60s});
  for (int i = 0; i < 100; ++i) {
    IssuedKey k = issue({.name = "k" + std::to_string(i)});
    ASSERT_THAT(verifier.verify(k.secret.reveal()), IsOk());
  }
  EXPECT_LE(verifier.cache().size(), 32u + 16u);  // per-shard rounding
}

TEST_F(ApiKeyTest, LastUsedIsBatched) {
  LastUsedRecorder recorder(store_, clock_, 60s);
  Verifier verifier(store_, hasher_, feed_, clock_, &recorder);
  IssuedKey a = issue({.name = "a"});
  IssuedKey b = issue({.name = "b"});
  for (int i = 0; i < 50; ++i) {
    clock_.advance(1s);
    ASSERT_THAT(verifier.verify(a.secret.reveal()), IsOk());
    ASSERT_THAT(verifier.verify(b.secret.reveal()), IsOk());
  }
  const Timestamp last = clock_.now();
  EXPECT_EQ(memory_.last_used_writes, 0);  // nothing written per request
  EXPECT_THAT(recorder.flush_if_due(), ::tenantkit::testing::IsOkAndHolds(0u));
  clock_.advance(10s);
  auto flushed = recorder.flush_if_due();
  ASSERT_THAT(flushed, ::tenantkit::testing::IsOkAndHolds(2u));
  EXPECT_EQ(memory_.last_used_writes, 1);  // one batch for both keys
  EXPECT_EQ(memory_.get(kOrg, a.record.id)->last_used_at, last);
  EXPECT_EQ(memory_.get(kOrg, b.record.id)->last_used_at, last);
  EXPECT_THAT(recorder.flush(), ::tenantkit::testing::IsOkAndHolds(0u));  // nothing new
}

TEST_F(ApiKeyTest, LastUsedSurvivesAFailedFlush) {
  LastUsedRecorder recorder(store_, clock_, 60s);
  Verifier verifier(store_, hasher_, feed_, clock_, &recorder);
  IssuedKey a = issue();
  ASSERT_THAT(verifier.verify(a.secret.reveal()), IsOk());
  const Timestamp used = clock_.now();
  store_.fail = true;
  EXPECT_THAT(recorder.flush(), HasError(Errc::unavailable));
  store_.fail = false;
  EXPECT_THAT(recorder.flush(), ::tenantkit::testing::IsOkAndHolds(1u));
  EXPECT_EQ(memory_.get(kOrg, a.record.id)->last_used_at, used);
}

}  // namespace
}  // namespace tenantkit::apikey
