// SPDX-License-Identifier: Apache-2.0
// RolePolicy: the pluggable part of RBAC. A policy defines the built-in roles every tenant has
// (BuiltinRolePolicy: API.md's owner, admin, member, billing, readonly/viewer) and may add
// conditions (ABAC) that narrow what the compiled roles allow, looking at request attributes.
// Implementations must be safe for concurrent use: rbac::Engine calls refine() from any thread.
// docs/extending-roles.md walks through examples/custom_role_policy.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/rbac/decision.hpp>
#include <tenantkit/rbac/permission.hpp>

namespace tenantkit::rbac {

/// A role every tenant has, defined by the RolePolicy over the current catalogue.
struct BuiltinRole {
  std::string name;                  ///< Role name syntax (validate_role_name).
  std::vector<std::string> aliases;  ///< Other names for the same role ("viewer").
  PermissionSet permissions;         ///< What it allows.
  /// The owner role: only its holders grant or remove it, and a tenant keeps at least one
  /// holder. Exactly one built-in role must have it.
  bool is_owner = false;
};

/// One request attribute for conditions, e.g. {"mfa", "true"}: plain views the caller owns.
struct Attribute {
  std::string_view key;
  std::string_view value;
};

/// What RolePolicy::refine sees. Every view is valid only during the call.
struct CheckRequest {
  std::string_view tenant;
  std::string_view principal;  ///< The user id (for API keys: the key's creator).
  PermissionId permission;
  std::string_view permission_name;  ///< Its catalogue name.
  PermissionSet granted;             ///< The principal's effective permissions in the tenant.
  std::span<const Attribute> attributes;
};

/// Defines built-in roles and optional conditions. Safe for concurrent use (refine() runs on
/// any thread, concurrently). Implementations: BuiltinRolePolicy; the compiled example
/// examples/custom_role_policy derives from it.
class RolePolicy {
 public:
  virtual ~RolePolicy();
  RolePolicy(const RolePolicy&) = delete;
  RolePolicy& operator=(const RolePolicy&) = delete;

  /// The built-in roles, computed over `catalogue`. Called when an Engine is created and each
  /// time its catalogue grows, so roles like "every :read" cover new permissions. Names and
  /// aliases must be unique and exactly one role must be the owner role (Engine::create
  /// reports validation_failed otherwise).
  virtual std::vector<BuiltinRole> builtin_roles(const Catalogue& catalogue) const = 0;

  /// True when refine() can deny anything. When false the engine never calls refine(), so the
  /// default policy adds no cost to a check. Must not change over the policy's lifetime.
  virtual bool has_conditions() const noexcept = 0;

  /// Called only for checks the compiled roles allow (conditions narrow, never widen: a policy
  /// cannot grant what no role holds, so the grant rules stay sound). Returns allow() or a
  /// deny, normally DenyReason::condition. Must not call a writing method of any rbac::Engine
  /// (a writer waits for the checks in flight in the process, this one included).
  virtual Decision refine(const CheckRequest& request) const = 0;

 protected:
  RolePolicy() = default;
};

/// API.md's built-in roles, no conditions:
/// owner: everything; admin: everything but org:delete (and it cannot grant or remove owner,
/// a grant rule); member: members:read, workspaces:read, workspaces:write, data:read,
/// usage:read, usage:write; billing: members:read, billing:read, billing:manage, usage:read;
/// readonly (alias viewer): every `:read` permission but audit:read.
/// Permissions registered by the application: owner and admin hold them all, readonly holds
/// the `:read` ones. Derive from it to add roles or conditions.
class BuiltinRolePolicy : public RolePolicy {
 public:
  BuiltinRolePolicy() = default;
  std::vector<BuiltinRole> builtin_roles(const Catalogue& catalogue) const override;
  bool has_conditions() const noexcept override { return false; }
  Decision refine(const CheckRequest& request) const override;
};

/// A shared BuiltinRolePolicy (the Engine default).
std::shared_ptr<const RolePolicy> default_role_policy();

}  // namespace tenantkit::rbac
