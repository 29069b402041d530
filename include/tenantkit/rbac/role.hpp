// SPDX-License-Identifier: Apache-2.0
// Roles: the definition of a custom role (allow and deny statements, inheritance), the names of
// the built-in roles, and RoleInfo, what a role listing shows. Plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/rbac/permission.hpp>

namespace tenantkit::rbac {

/// Names of the built-in roles of the default policy (API.md "Built-in role permissions").
namespace role {
inline constexpr std::string_view owner = "owner";
inline constexpr std::string_view admin = "admin";
inline constexpr std::string_view member = "member";
inline constexpr std::string_view billing = "billing";
inline constexpr std::string_view readonly = "readonly";
inline constexpr std::string_view viewer = "viewer";  ///< Alias of readonly.
}  // namespace role

/// Longest role name, in characters.
inline constexpr std::size_t kMaxRoleName = 64;

/// A tenant's custom role as written by its admins (POST /v1/roles) or by code.
///
/// A role allows what its `allow` patterns match plus what the roles it `inherits` allow, and
/// denies what its `deny` patterns match plus what those roles deny. A principal's effective
/// permissions are the union of the allows of all its roles minus the union of all their
/// denies: an explicit deny wins over any allow, in any role of the same membership.
/// Patterns are permission names or wildcards (`members:*`, `*:read`, `*`), matched against
/// the catalogue each time it changes, so `*:read` also covers read permissions registered later.
struct RoleDefinition {
  std::string name{};                   ///< 1..kMaxRoleName of [A-Za-z0-9_.:-]; not a built-in.
  std::vector<std::string> allow{};     ///< Permission names or patterns the role grants.
  std::vector<std::string> deny{};      ///< Permission names or patterns it forbids (wins).
  std::vector<std::string> inherits{};  ///< Roles of the same tenant (built-in or custom).

  friend bool operator==(const RoleDefinition&, const RoleDefinition&) = default;
};

/// A role as a listing shows it (GET /v1/roles).
struct RoleInfo {
  std::string name;
  bool builtin = false;       ///< Built-in roles cannot be changed or deleted.
  RoleDefinition definition;  ///< For built-ins: name and the allowed names, nothing else.
  PermissionSet permissions;  ///< What the role allows (its own denies removed).
  PermissionSet denied;       ///< What the role's deny statements forbid (empty for built-ins).
};

/// Checks a role name's syntax. Errors: validation_failed (field "name").
Result<void> validate_role_name(std::string_view name);

}  // namespace tenantkit::rbac
