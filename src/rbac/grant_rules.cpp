// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/rbac/grant_rules.hpp>

namespace tenantkit::rbac {
namespace {

Result<void> holds_all(const Holder& granter, const PermissionSet& wanted, const char* what) {
  if (wanted.is_subset_of(granter.permissions)) return ok();
  return Error{Errc::forbidden, what};
}

}  // namespace

Result<void> check_role_change(const Holder& granter, const Holder& before, const Holder& after,
                               std::size_t owners_count) {
  if (before.is_owner != after.is_owner && !granter.is_owner)
    return Error{Errc::forbidden, "only an owner may grant or remove the owner role"};
  if (auto r = holds_all(granter, before.permissions,
                         "the member holds permissions you lack; you cannot change their roles");
      !r)
    return r;
  if (auto r =
          holds_all(granter, after.permissions, "cannot grant a role holding permissions you lack");
      !r)
    return r;
  if (before.is_owner && !after.is_owner && owners_count <= 1)
    return Error{Errc::conflict, "an organization must keep at least one owner"};
  return ok();
}

Result<void> check_member_removal(const Holder& remover, const Holder& target,
                                  std::size_t owners_count) {
  if (target.is_owner && !remover.is_owner)
    return Error{Errc::forbidden, "only an owner may remove an owner"};
  if (auto r = holds_all(remover, target.permissions,
                         "the member holds permissions you lack; you cannot remove them");
      !r)
    return r;
  if (target.is_owner && owners_count <= 1)
    return Error{Errc::conflict, "an organization must keep at least one owner"};
  return ok();
}

Result<void> check_role_grant(const Holder& granter, const PermissionSet& role_permissions) {
  return holds_all(granter, role_permissions, "cannot create a role holding permissions you lack");
}

Result<void> check_scopes(const Holder& creator, const PermissionSet& scopes) {
  return holds_all(creator, scopes, "API key scopes must be a subset of your permissions");
}

}  // namespace tenantkit::rbac
