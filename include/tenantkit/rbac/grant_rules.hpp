// SPDX-License-Identifier: Apache-2.0
// Grant rules: who may give which roles, as pure functions over values (no engine, no storage),
// so a server calls them before it writes anything. The rules (API.md "Roles and permissions"):
// - no escalation: nobody grants, through a role assignment, a custom role or an API key's
//   scopes, a permission they do not hold; nor changes or removes a member who holds a
//   permission they lack (that would let a weaker role demote a stronger one);
// - only owners grant or remove the owner role;
// - a tenant always keeps at least one owner.
// rbac::Engine::holder() computes a Holder from role names. Thread-safe (pure functions).
#pragma once

#include <cstddef>

#include <tenantkit/core/result.hpp>
#include <tenantkit/rbac/permission.hpp>

namespace tenantkit::rbac {

/// What a principal holds in a tenant, as the grant rules need it.
struct Holder {
  PermissionSet permissions;  ///< Effective permissions (allows minus denies).
  bool is_owner = false;      ///< Holds the owner role (directly).
};

/// `granter` changes a member's roles from `before` to `after`; the tenant has `owners_count`
/// owners now (`before` included when it is an owner).
/// Errors: forbidden (owner granted or removed by a non-owner; `after` or `before` holds a
/// permission the granter lacks), conflict (the last owner would lose the owner role).
Result<void> check_role_change(const Holder& granter, const Holder& before, const Holder& after,
                               std::size_t owners_count);

/// `remover` removes `target` from the tenant (remover == target when a member leaves).
/// Errors: forbidden (an owner removed by a non-owner; target holds a permission the remover
/// lacks), conflict (target is the last owner).
Result<void> check_member_removal(const Holder& remover, const Holder& target,
                                  std::size_t owners_count);

/// `granter` creates or changes a custom role that would allow `role_permissions`.
/// Errors: forbidden (a permission the granter lacks).
Result<void> check_role_grant(const Holder& granter, const PermissionSet& role_permissions);

/// `creator` gives an API key `scopes`. Errors: forbidden (a scope the creator lacks).
Result<void> check_scopes(const Holder& creator, const PermissionSet& scopes);

}  // namespace tenantkit::rbac
