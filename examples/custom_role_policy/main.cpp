// SPDX-License-Identifier: Apache-2.0
// A custom RolePolicy (docs/extending-roles.md): every tenant gets an extra built-in `support`
// role, and two conditions narrow what the roles allow:
//   - billing:manage needs a step-up (request attribute mfa=true);
//   - reports:export (an application permission) only from the office network (net=office).
// Run it: it prints each decision and exits non-zero if one differs from the expected answer.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/rbac/role_policy.hpp>

namespace rbac = tenantkit::rbac;

// [snippet policy]
class StepUpPolicy final : public rbac::BuiltinRolePolicy {
 public:
  // The five API.md roles, plus `support`: reads members and the audit log, nothing else.
  std::vector<rbac::BuiltinRole> builtin_roles(const rbac::Catalogue& catalogue) const override {
    auto roles = BuiltinRolePolicy::builtin_roles(catalogue);
    roles.push_back({"support", {"helpdesk"}, {rbac::perm::members_read, rbac::perm::audit_read}});
    return roles;
  }

  bool has_conditions() const noexcept override { return true; }

  // Called only when the principal's roles already allow the permission: conditions narrow.
  rbac::Decision refine(const rbac::CheckRequest& request) const override {
    if (request.permission == rbac::perm::billing_manage && !has(request, "mfa", "true"))
      return rbac::Decision::deny(rbac::DenyReason::condition, "billing:manage needs MFA");
    if (request.permission_name == "reports:export" && !has(request, "net", "office"))
      return rbac::Decision::deny(rbac::DenyReason::condition, "exports only from the office");
    return rbac::Decision::allow();
  }

 private:
  static bool has(const rbac::CheckRequest& r, std::string_view key, std::string_view value) {
    for (const rbac::Attribute& a : r.attributes)
      if (a.key == key && a.value == value) return true;
    return false;
  }
};
// [end policy]

int main() {
  int failures = 0;
  auto expect = [&](const char* what, rbac::Decision d, bool allowed) {
    std::string text =
        d.allowed() ? "allowed" : "denied: " + std::string(rbac::to_string(d.reason()));
    if (!d.note().empty()) text += " (" + std::string(d.note()) + ")";
    std::printf("%-44s %s\n", what, text.c_str());
    if (d.allowed() != allowed) ++failures;
  };

  // [snippet engine]
  auto created = rbac::Engine::create({.policy = std::make_shared<StepUpPolicy>()});
  if (!created) {
    std::fprintf(stderr, "policy rejected: %s\n", created.error().detail.c_str());
    return 1;
  }
  rbac::Engine& engine = **created;
  if (!engine.register_permission("reports:export")) return 1;
  // [end engine]

  // A tenant's custom role, created at run time (POST /v1/roles does the same).
  rbac::TenantEdit edit;
  edit.create_role({.name = "analyst", .allow = {"reports:export", "data:read"}})
      .set_user_roles("alice", {"owner"})
      .set_user_roles("bob", {"helpdesk"})
      .set_user_roles("carol", {"analyst"});
  if (auto r = engine.apply("acme", edit); !r) {
    std::fprintf(stderr, "edit failed: %s\n", r.error().detail.c_str());
    return 1;
  }

  // [snippet checks]
  const rbac::Attribute mfa[] = {{"mfa", "true"}};
  const rbac::Attribute office[] = {{"net", "office"}};
  expect("alice billing:manage (no MFA)", engine.check("acme", "alice", "billing:manage"), false);
  expect("alice billing:manage (MFA)", engine.check("acme", "alice", "billing:manage", mfa), true);
  expect("bob audit:read (support via alias)", engine.check("acme", "bob", "audit:read"), true);
  expect("bob billing:manage (MFA, role lacks it)",
         engine.check("acme", "bob", "billing:manage", mfa), false);
  expect("carol reports:export (home)", engine.check("acme", "carol", "reports:export"), false);
  expect("carol reports:export (office)", engine.check("acme", "carol", "reports:export", office),
         true);
  expect("carol in another tenant", engine.check("globex", "carol", "data:read"), false);
  // [end checks]

  std::printf("%s\n", failures == 0 ? "all decisions as expected" : "UNEXPECTED DECISIONS");
  return failures == 0 ? 0 : 1;
}
