// SPDX-License-Identifier: Apache-2.0
// The first program of docs/getting-started.md: an in-memory storage, an org with its owner, a
// permission check, an API key issued and verified, and metered usage. ctest runs it
// (example.getting_started); it exits non-zero if any step gives an unexpected answer.
// [snippet includes]
#include <cstdio>
#include <string>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/storage/storage.hpp>

using namespace tenantkit;
// [end includes]

namespace {

int fail(const char* step, const Error& e) {
  std::fprintf(stderr, "%s failed: %s\n", step, e.detail.c_str());
  return 1;
}

}  // namespace

int main() {
  // [snippet storage]
  // 1. Storage: in memory here; storage::open_sqlite / open_postgres have the same interface.
  std::unique_ptr<storage::Storage> store = storage::open_memory();
  const Clock& clock = system_clock();
  Random& random = system_random();

  const Timestamp now = clock.now();
  const storage::User owner{.id = UserId::generate(random, clock),
                            .email = "owner@example.com",
                            .name = "Olivia Owner",
                            .password_hash = {},
                            .active = true,
                            .created_at = now,
                            .updated_at = now};
  if (auto r = store->users().create(owner); !r) return fail("create user", r.error());

  const storage::Org org{.id = OrgId::generate(random, clock),
                         .name = "Acme",
                         .slug = "acme",
                         .created_at = now,
                         .updated_at = now};
  // The org and its first owner are stored in one step.
  storage::Membership owner_membership;
  owner_membership.org = org.id;
  owner_membership.user = owner.id;
  owner_membership.roles = {"owner"};
  owner_membership.joined_at = now;
  if (auto r = store->orgs().create(org, owner_membership); !r)
    return fail("create org", r.error());
  // [end storage]

  // [snippet rbac]
  // 2. RBAC: the engine holds compiled roles; fill it from the memberships you stored.
  rbac::Engine rbac;
  const std::vector<std::string> roles{"owner"};
  if (auto r = rbac.set_user_roles(org.id.str(), owner.id.str(), roles); !r)
    return fail("set roles", r.error());
  const rbac::Decision may_invite = rbac.check(org.id, owner.id, "members:write");
  const rbac::Decision stranger = rbac.check(org.id, UserId::generate(random, clock), "data:read");
  std::printf("owner members:write: %s; a stranger data:read: %s\n",
              may_invite ? "allowed" : "denied", stranger ? "allowed" : "denied");
  if (!may_invite || stranger) return 1;
  // [end rbac]

  // [snippet apikey]
  // 3. API keys: keyed hashes in storage (the pepper comes from TK_API_KEY_PEPPER in production).
  std::vector<apikey::Pepper> peppers;
  peppers.push_back({.version = 1, .key = Secret(std::string("a pepper of at least 32 bytes..."))});
  auto hasher = apikey::KeyHasher::create(std::move(peppers));
  if (!hasher) return fail("hasher", hasher.error());
  apikey::InProcessRevocationFeed feed;
  apikey::KeyManager keys(store->api_keys(), *hasher, feed, random, clock);
  apikey::Verifier verifier(store->api_keys(), *hasher, feed, clock);

  // Scopes can never exceed the creator's permissions (no escalation through a key).
  const std::vector<std::string> creator =
      rbac.names(rbac.user_permissions(org.id.str(), owner.id.str()));
  auto issued =
      keys.create(org.id, {.name = "ci", .scopes = {"data:read"}, .created_by = owner.id}, creator);
  if (!issued) return fail("issue key", issued.error());
  // issued->secret is shown to the user once; only the record's keyed hash is stored.

  auto verified = verifier.verify(issued->secret.reveal());
  if (!verified) return fail("verify key", verified.error());
  std::printf("key %s... belongs to org %s, may data:read: %s\n", issued->record.prefix.c_str(),
              (*verified)->tenant.str().c_str(), (*verified)->allows("data:read") ? "yes" : "no");

  auto forged = verifier.verify("tk_live_not-a-real-key");
  std::printf("a forged key: %s\n", forged ? "accepted" : forged.error().detail.c_str());
  if (forged || forged.error().code != Errc::unauthorized) return 1;
  // [end apikey]

  // [snippet meter]
  // 4. Quotas: 3 api_calls per period for every tenant; each request consumes one.
  quota::InMemoryLimitSource limits;
  limits.set_default("api_calls", quota::Policy::counter(3));
  quota::InProcessBackend quotas(limits, clock);
  for (int call = 1; call <= 4; ++call) {
    auto outcome = quotas.decide(org.id.str(), "api_calls", 1);
    if (!outcome) return fail("quota", outcome.error());  // backend failure: fail closed
    std::printf("call %d: %s, remaining %lld\n", call, outcome->allowed() ? "allowed" : "denied",
                static_cast<long long>(outcome->remaining));
    if (outcome->allowed() != (call <= 3)) return 1;
  }

  // Usage events are idempotent per (org, key): a retried request is counted once.
  const storage::UsageEvent event{.id = UsageEventId::generate(random, clock),
                                  .org = org.id,
                                  .meter = "api_calls",
                                  .quantity = 1,
                                  .idempotency_key = "request-42",
                                  .occurred_at = now,
                                  .recorded_at = now};
  auto first = store->usage().record(org.id, event);
  auto retry = store->usage().record(org.id, event);
  if (!first || !retry) return 1;
  std::printf("usage event recorded, retry duplicate: %s\n", retry->duplicate ? "yes" : "no");
  if (first->duplicate || !retry->duplicate) return 1;
  // [end meter]
  return 0;
}
