// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the storage conformance suites: Samples (records with fresh, increasing ids on a
// ManualClock), StorageConformanceTest (the typed fixture every suite derives from) and small
// helpers (must(), collect_all(), run_concurrently()). Test-only; not thread-safe except
// run_concurrently() itself.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/page.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::testing {

/// Unwraps a Result that a test's setup needs. On an error it records a failure naming `what` and
/// throws (GoogleTest reports the test as failed), so helpers can return values.
template <class T>
T must(Result<T> r, std::string_view what = "setup step") {
  if (!r) {
    ADD_FAILURE() << what << " failed: " << r.error();
    r.value();  // throws
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

/// Runs `fn(i)` on `threads` threads released together; returns when all have finished.
inline void run_concurrently(int threads, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      fn(i);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true);
  for (auto& t : pool) t.join();
}

/// Follows next_cursor from the first page until the last; fails the test on an error or on more
/// than `max_pages` pages (a cursor that never ends).
template <class T, class ListFn>
std::vector<T> collect_all(ListFn list, int limit, int max_pages = 1000) {
  std::vector<T> all;
  PageRequest req;
  req.limit = limit;
  for (int pages = 0; pages < max_pages; ++pages) {
    Result<Page<T>> page = list(req);
    if (!page) {
      ADD_FAILURE() << "list failed: " << page.error();
      return all;
    }
    EXPECT_LE(page->items.size(), static_cast<std::size_t>(req.clamped_limit()));
    for (auto& item : page->items) all.push_back(std::move(item));
    if (!page->next_cursor) return all;
    EXPECT_FALSE(page->next_cursor->empty()) << "a next_cursor must not be empty";
    req.cursor = *page->next_cursor;
  }
  ADD_FAILURE() << "pagination did not end after " << max_pages << " pages";
  return all;
}

/// Checks a paged list against `expected`, the keys of every row in the documented order
/// (at least 4 rows, an even number): following next_cursor with several limits visits every row
/// exactly once in order; the last page has no cursor (also when it is exactly full); limits
/// below 1 act as 1; a garbage cursor is bad_request.
template <class T, class ListFn, class KeyFn>
void expect_paginates(ListFn list, const std::vector<std::string>& expected, KeyFn key) {
  ASSERT_GE(expected.size(), 4u);
  ASSERT_EQ(expected.size() % 2, 0u);
  const int n = static_cast<int>(expected.size());
  for (int limit : {1, 2, 3, n / 2, n, n + 1, PageRequest::kMaxLimit}) {
    std::vector<std::string> keys;
    for (const T& item : collect_all<T>(list, limit)) keys.push_back(key(item));
    EXPECT_EQ(keys, expected) << "following next_cursor with limit " << limit;
  }
  PageRequest req;
  req.limit = n;
  auto whole = list(req);
  ASSERT_THAT(whole, IsOk());
  EXPECT_EQ(whole->items.size(), expected.size());
  EXPECT_EQ(whole->next_cursor, std::nullopt) << "an exactly full last page has no cursor";

  req.limit = n / 2;
  auto first = list(req);
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->next_cursor.has_value());
  req.cursor = *first->next_cursor;
  auto second = list(req);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->items.size(), expected.size() / 2);
  EXPECT_EQ(second->next_cursor, std::nullopt);

  for (int limit : {0, -5}) {
    PageRequest small;
    small.limit = limit;
    auto page = list(small);
    ASSERT_THAT(page, IsOk());
    EXPECT_EQ(page->items.size(), 1u) << "limit " << limit << " is clamped to 1";
    EXPECT_TRUE(page->next_cursor.has_value());
  }

  for (std::string garbage : {"!!not-a-cursor!!", "%00", "  "}) {
    PageRequest bad;
    bad.cursor = garbage;
    EXPECT_THAT(list(bad), HasError(Errc::bad_request)) << "cursor '" << garbage << "'";
  }
}

/// The string keys of `items`, through `key`.
template <class T, class KeyFn>
std::vector<std::string> keys_of(const std::vector<T>& items, KeyFn key) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(key(item));
  return out;
}

/// Sample records. Every id comes from a ManualClock advanced by 1 ms per id, so ids made later
/// sort after ids made earlier (UUIDv7), as the pagination tests require.
class Samples {
 public:
  ManualClock clock;

  /// The current ManualClock time (microsecond precision).
  Timestamp now() const { return clock.now(); }

  template <class IdT>
  IdT id() {
    clock.advance(std::chrono::milliseconds(1));
    return IdT::generate(system_random(), clock);
  }

  /// A fresh unique suffix for names, emails, slugs, prefixes and hashes.
  std::string unique(std::string_view stem) {
    return std::string(stem) + "-" + std::to_string(++counter_) + "-" +
           std::to_string(system_random().uniform(1'000'000'000));
  }

  storage::User user() {
    storage::User u;
    u.id = id<UserId>();
    u.email = unique("user") + "@example.com";
    u.name = "Sample User";
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created_at = u.updated_at = now();
    return u;
  }

  storage::Org org() {
    storage::Org o;
    o.id = id<OrgId>();
    o.name = "Sample Org";
    o.slug = unique("org");
    o.created_at = o.updated_at = now();
    return o;
  }

  storage::Membership member(const OrgId& org, const UserId& user,
                             std::vector<std::string> roles = {"member"}) {
    storage::Membership m;
    m.org = org;
    m.user = user;
    m.roles = std::move(roles);
    m.joined_at = now();
    return m;
  }

  storage::Invitation invitation(const OrgId& org, const UserId& invited_by, std::string email = {},
                                 std::chrono::seconds ttl = std::chrono::hours(24 * 7)) {
    storage::Invitation inv;
    inv.id = id<InvitationId>();
    inv.org = org;
    inv.email = email.empty() ? unique("invitee") + "@example.com" : std::move(email);
    inv.role = "member";
    inv.token_hash = unique("inv-hash");
    inv.invited_by = invited_by;
    inv.created_at = now();
    inv.expires_at = now() + ttl;
    return inv;
  }

  storage::Session session(const UserId& user,
                           std::chrono::seconds ttl = std::chrono::hours(24 * 30)) {
    storage::Session s;
    s.id = id<SessionId>();
    s.user = user;
    s.user_agent = "conformance/1.0";
    s.ip = "192.0.2.1";
    s.created_at = s.last_seen_at = now();
    s.expires_at = now() + ttl;
    return s;
  }

  storage::RefreshToken refresh(const storage::Session& s) {
    storage::RefreshToken t;
    t.id = id<RefreshTokenId>();
    t.session = s.id;
    t.user = s.user;
    t.token_hash = unique("rt-hash");
    t.created_at = now();
    t.expires_at = s.expires_at;
    return t;
  }

  storage::OneTimeToken one_time(const UserId& user, std::string purpose = "password_reset",
                                 std::chrono::seconds ttl = std::chrono::hours(1)) {
    storage::OneTimeToken t;
    t.token_hash = unique("ott-hash");
    t.purpose = std::move(purpose);
    t.user = user;
    t.payload = "{}";
    t.created_at = now();
    t.expires_at = now() + ttl;
    return t;
  }

  storage::ApiKey api_key(const OrgId& org, const UserId& created_by) {
    storage::ApiKey k;
    k.id = id<ApiKeyId>();
    k.org = org;
    k.name = "ci";
    k.prefix = unique("tk_live");
    k.hash = unique("key-hash");
    k.scopes = {"data:read"};
    k.created_by = created_by;
    k.created_at = now();
    return k;
  }

  storage::Role role(const OrgId& org, std::string name = {}) {
    storage::Role r;
    r.org = org;
    r.name = name.empty() ? unique("role") : std::move(name);
    r.description = "custom";
    r.permissions = {"members:read", "workspaces:*"};
    r.deny = {"workspaces:delete"};
    r.inherits = {"readonly"};
    r.created_at = r.updated_at = now();
    return r;
  }

  storage::UsageEvent usage(const OrgId& org, std::string meter, std::int64_t quantity,
                            std::string key = {}) {
    storage::UsageEvent e;
    e.id = id<UsageEventId>();
    e.org = org;
    e.meter = std::move(meter);
    e.quantity = quantity;
    e.idempotency_key = key.empty() ? unique("usage-key") : std::move(key);
    e.occurred_at = e.recorded_at = now();
    return e;
  }

  storage::AuditEvent audit_event(const OrgId& org, std::string action = "member.role_changed") {
    storage::AuditEvent e;
    e.id = id<AuditEventId>();
    e.org = org;
    e.actor_type = "user";
    e.actor_id = "user-1";
    e.action = std::move(action);
    e.target_type = "member";
    e.target_id = "user-2";
    e.ip = "192.0.2.7";
    e.user_agent = "conformance/1.0";
    e.request_id = unique("req");
    e.metadata_json = R"({"before":"member","after":"admin"})";
    e.at = now();
    return e;
  }

  storage::Workspace workspace(const OrgId& org) {
    storage::Workspace w;
    w.id = id<WorkspaceId>();
    w.org = org;
    w.name = unique("ws");
    w.description = "sample";
    w.created_at = w.updated_at = now();
    return w;
  }

  storage::ScimToken scim_token(const OrgId& org) {
    storage::ScimToken t;
    t.id = id<ScimTokenId>();
    t.org = org;
    t.token_hash = unique("scim-hash");
    t.created_at = now();
    return t;
  }

  storage::ScimGroup scim_group(const OrgId& org, std::vector<UserId> members = {}) {
    storage::ScimGroup g;
    g.id = id<ScimGroupId>();
    g.org = org;
    g.display_name = unique("Group");
    g.external_id = unique("ext");
    g.members = std::move(members);
    g.version = 1;
    g.created_at = g.updated_at = now();
    return g;
  }

 private:
  int counter_ = 0;
};

/// An org created through OrgStore::create, with its owner.
struct SampleTenant {
  storage::Org org;
  storage::User owner;
};

/// The fixture of every storage suite. Backend: a type with
/// `static std::unique_ptr<storage::Storage> make();` returning a FRESH, EMPTY storage for each
/// test (SQL backends: a new schema or database), or null when the backend is not configured.
template <class Backend>
class StorageConformanceTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Storage> storage_ = Backend::make();
  Samples s_;

  storage::Storage& db() { return *storage_; }

  /// A stored user.
  storage::User make_user() { return must(db().users().create(s_.user()), "users().create"); }

  /// A stored org with a stored owner holding "owner".
  SampleTenant make_tenant() {
    SampleTenant t;
    t.owner = make_user();
    t.org = s_.org();
    must(db().orgs().create(t.org, s_.member(t.org.id, t.owner.id, {"owner"})), "orgs().create");
    return t;
  }

  /// A stored user added to `org` with `roles`.
  storage::User add_member(const OrgId& org, std::vector<std::string> roles = {"member"}) {
    storage::User u = make_user();
    must(db().memberships().add(org, s_.member(org, u.id, std::move(roles)), std::nullopt),
         "memberships().add");
    return u;
  }

  /// make() returns null only for "not configured" (e.g. TK_TEST_DATABASE_URL unset): the test is
  /// skipped. A configured but unreachable backend must fail inside make() instead.
  void SetUp() override {
    if (!storage_) GTEST_SKIP() << "storage backend not configured (Backend::make() returned null)";
  }
};

/// Timestamps with a non-zero microsecond part: round trips must keep them exactly.
inline Timestamp odd_micros(Timestamp base) {
  return base + std::chrono::microseconds(123457);
}

}  // namespace tenantkit::testing
