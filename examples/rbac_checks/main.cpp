// SPDX-License-Identifier: Apache-2.0
// docs/rbac.md: a tenant's custom role (patterns, a deny, inheritance) and checks by strings, by
// strong ids and through a TenantContext. Exits non-zero on an unexpected decision.
#include <cstdio>
#include <string>
#include <vector>

#include <tenantkit/core/error.hpp>
#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/tenant/context.hpp>

using namespace tenantkit;

namespace {

// Shaped like a request handler: a deny becomes forbidden, with the reason kept for logs.
Result<void> manage_billing(rbac::Engine& engine, const TenantId& tenant_id,
                            const UserId& user_id) {
  // [snippet check]
  rbac::Decision d =
      engine.check(tenant_id, user_id, "billing:manage");           // string_views or strong ids
  if (!d) return Error{Errc::forbidden, "missing billing:manage"};  // d.reason() for logs
  // [end check]
  return {};
}

}  // namespace

int main() {
  rbac::Engine engine;
  int failures = 0;
  // [snippet create_role]
  auto created = engine.create_role("org-1", {.name = "lead",
                                              .allow = {"members:*", "audit:read"},
                                              .deny = {"members:write"},
                                              .inherits = {"member"}});
  // [end create_role]
  if (!created) {
    std::fprintf(stderr, "create_role: %s\n", created.error().detail.c_str());
    return 1;
  }
  const std::vector<std::string> lead{"lead"}, billing{"billing"};
  if (!engine.set_user_roles("org-1", "u-lead", lead) ||
      !engine.set_user_roles("org-1", "u-billing", billing))
    return 1;

  auto expect = [&](const char* what, const rbac::Decision& d, bool allowed) {
    std::printf("%-34s %s (%s)\n", what, d ? "allowed" : "denied",
                std::string(rbac::to_string(d.reason())).c_str());
    if (d.allowed() != allowed) ++failures;
  };
  expect("lead members:read", engine.check("org-1", "u-lead", "members:read"), true);
  expect("lead members:write (denied)", engine.check("org-1", "u-lead", "members:write"), false);
  expect("lead data:read (from member)", engine.check("org-1", "u-lead", "data:read"), true);
  expect("lead in org-2", engine.check("org-2", "u-lead", "members:read"), false);

  const TenantId org = TenantId::from_trusted("org-1");
  if (manage_billing(engine, org, UserId::from_trusted("u-billing")).has_error()) ++failures;
  auto refused = manage_billing(engine, org, UserId::from_trusted("u-lead"));
  if (!refused.has_error() || refused.error().code != Errc::forbidden) ++failures;

  TenantContext ctx;
  ctx.tenant = org;
  ctx.principal.kind = PrincipalKind::api_key;
  ctx.principal.user = UserId::from_trusted("u-lead");
  ctx.principal.scopes = {"members:read"};
  // [snippet context]
  // TenantContext: users by their roles, API keys by their creator's roles ∩ the key's scopes.
  rbac::Decision by_context = engine.check(ctx, "data:read");
  // [end context]
  expect("lead's key (members:read) data:read", by_context, false);
  expect("lead's key members:read", engine.check(ctx, "members:read"), true);
  return failures == 0 ? 0 : 1;
}
