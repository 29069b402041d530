// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/rbac/role.hpp>
#include <tenantkit/rbac/role_policy.hpp>

namespace tenantkit::rbac {

RolePolicy::~RolePolicy() = default;

std::vector<BuiltinRole> BuiltinRolePolicy::builtin_roles(const Catalogue& catalogue) const {
  const PermissionSet all = catalogue.all();
  PermissionSet reads;
  all.for_each([&](PermissionId id) {
    if (catalogue.name(id).ends_with(":read")) reads.insert(id);
  });
  std::vector<BuiltinRole> roles;
  roles.push_back({std::string(role::owner), {}, all, true});
  // Admin's other limit, granting or removing owner, is a grant rule (BuiltinRole::is_owner).
  roles.push_back({std::string(role::admin), {}, all - PermissionSet{perm::org_delete}, false});
  roles.push_back({std::string(role::member),
                   {},
                   {perm::members_read, perm::workspaces_read, perm::workspaces_write,
                    perm::data_read, perm::usage_read, perm::usage_write},
                   false});
  roles.push_back({std::string(role::billing),
                   {},
                   {perm::members_read, perm::billing_read, perm::billing_manage, perm::usage_read},
                   false});
  roles.push_back({std::string(role::readonly),
                   {std::string(role::viewer)},
                   reads - PermissionSet{perm::audit_read},
                   false});
  return roles;
}

Decision BuiltinRolePolicy::refine(const CheckRequest&) const {
  return Decision::allow();
}

std::shared_ptr<const RolePolicy> default_role_policy() {
  static const auto policy = std::make_shared<const BuiltinRolePolicy>();
  return policy;
}

}  // namespace tenantkit::rbac
