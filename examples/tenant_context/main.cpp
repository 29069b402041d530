// SPDX-License-Identifier: Apache-2.0
// docs/tenant.md: resolving a request's tenant in API.md's order, and carrying the TenantContext
// explicitly into work that runs on another thread. Exits non-zero on an unexpected answer.
#include <cstdio>
#include <future>
#include <set>
#include <string>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/tenant/context.hpp>
#include <tenantkit/tenant/resolver.hpp>

using namespace tenantkit;

int main() {
  const TenantId acme = TenantId::from_trusted("0190a6f0-0000-7000-8000-000000000001");
  const TenantId globex = TenantId::from_trusted("0190a6f0-0000-7000-8000-000000000002");
  const std::set<TenantId> alice_orgs{acme};
  int failures = 0;

  // [snippet resolve]
  // Membership comes from storage in a real server (memberships().find); here, a set.
  const MembershipCheck is_member = [&](const TenantId& org) -> Result<bool> {
    return alice_orgs.contains(org);
  };

  // A user's request naming an org in X-Org-Id: allowed because alice is a member.
  auto by_header = resolve_tenant({.org_header = acme.str()}, is_member);
  // The same header naming an org alice is not in: not_found, never "forbidden".
  auto foreign = resolve_tenant({.org_header = globex.str()}, is_member);
  // An API key is bound to its org: the header is ignored, whatever it says.
  auto by_key = resolve_tenant({.credential_org = acme, .org_header = globex.str()}, is_member);
  // [end resolve]
  if (!by_header || by_header->tenant != acme || by_header->source != TenantSource::header)
    ++failures;
  if (foreign || foreign.error().code != Errc::not_found) ++failures;
  if (!by_key || by_key->tenant != acme || by_key->source != TenantSource::credential) ++failures;
  std::printf("X-Org-Id of a member org: %s\n", by_header ? "resolved" : "refused");
  std::printf("X-Org-Id of another org: %s\n",
              foreign ? "resolved" : foreign.error().detail.c_str());

  rbac::Engine rbac;
  const std::vector<std::string> roles{"member"};
  if (!rbac.set_user_roles(acme.str(), "alice", roles)) return 1;

  // [snippet carry]
  TenantContext ctx;
  ctx.tenant = by_header->tenant;
  ctx.principal.kind = PrincipalKind::user;
  ctx.principal.user = UserId::from_trusted("alice");
  ctx.roles = roles;

  // Work that continues on another thread takes the context with it (here by value). There is
  // no thread-local "current tenant" that could be missing there, or left over from another
  // request.
  auto later = std::async(std::launch::async, [&rbac, ctx] {
    return rbac.check(ctx, "data:read");  // every tenant-aware call receives ctx explicitly
  });
  const rbac::Decision decision = later.get();
  // [end carry]
  std::printf("alice data:read on another thread: %s\n", decision ? "allowed" : "denied");
  if (!decision) ++failures;
  return failures == 0 ? 0 : 1;
}
