// SPDX-License-Identifier: Apache-2.0
// rbac::Engine: the compiled, in-memory RBAC index a service checks against. It holds the
// permission catalogue, the built-in roles of its RolePolicy, and per tenant the custom roles and
// each user's roles, compiled into permission bitsets.
//
// Thread safety: every method is safe to call concurrently. Checks and queries never block and
// never allocate (checks): each tenant is an immutable snapshot published atomically, and readers
// announce themselves in a per-thread epoch record (plain stores; writers supply the ordering with
// membarrier), so a writer waits for in-flight readers before it frees an old snapshot, never the
// other way round. Writers are serialized among themselves; a write
// is visible to every check that starts after it returns.
//
// The engine stores nothing: the server fills it from storage at start and mirrors each change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/rbac/decision.hpp>
#include <tenantkit/rbac/grant_rules.hpp>
#include <tenantkit/rbac/permission.hpp>
#include <tenantkit/rbac/role.hpp>
#include <tenantkit/rbac/role_policy.hpp>

namespace tenantkit {
struct TenantContext;
}

namespace tenantkit::rbac {

/// Options for Engine::create().
struct EngineOptions {
  /// Built-in roles and conditions. Default (null): default_role_policy(), API.md's roles.
  std::shared_ptr<const RolePolicy> policy;
};

/// A batch of changes to one tenant, applied all or nothing by Engine::apply(), in order.
/// One compilation and one publication for the whole batch: load a tenant with one edit.
class TenantEdit {
 public:
  /// Errors at apply: conflict (name taken, by a built-in role or alias too), validation_failed
  /// (bad name or pattern, unknown permission, unknown or owner parent, inheritance cycle).
  TenantEdit& create_role(RoleDefinition role);
  /// Replaces the custom role of the same name. Errors at apply: conflict (built-in role),
  /// not_found, validation_failed (as create_role).
  TenantEdit& update_role(RoleDefinition role);
  /// Errors at apply: conflict (built-in role; a user holds it; a role inherits it), not_found.
  TenantEdit& delete_role(std::string name);
  /// Sets (replaces) the roles of `user`; an empty list keeps the membership with no role.
  /// Aliases are stored as their role. Errors at apply: validation_failed (bad user id syntax,
  /// unknown role; field "roles").
  TenantEdit& set_user_roles(std::string user, std::vector<std::string> roles);
  /// Ends the membership of `user`; absent users are ignored.
  TenantEdit& remove_user(std::string user);

  bool empty() const noexcept { return ops_.empty(); }

 private:
  friend class Engine;
  enum class Kind : std::uint8_t { create_role, update_role, delete_role, set_user, remove_user };
  struct Op {
    Kind kind;
    RoleDefinition role;             // create_role, update_role; role.name for delete_role
    std::string user;                // set_user, remove_user
    std::vector<std::string> roles;  // set_user
  };
  std::vector<Op> ops_;
};

/// The RBAC engine. Tenants and users are identified by their id strings (TenantId::str()).
/// Lifetime: destroy it only when no other thread uses it.
class Engine {
 public:
  /// An engine with the default policy (API.md's built-in roles).
  Engine();
  /// Errors: validation_failed (the policy's built-in roles are malformed: duplicate names,
  /// bad names, not exactly one owner role).
  static Result<std::unique_ptr<Engine>> create(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- Catalogue -------------------------------------------------------------------------

  /// Registers an application permission ("reports:export"); an existing name returns its id.
  /// Recompiles every tenant (wildcards and built-in roles cover the new permission), so
  /// register at start-up. Errors: validation_failed (syntax; more than kMaxPermissions).
  Result<PermissionId> register_permission(std::string_view name);
  /// The id of a permission name, nullopt when unknown.
  std::optional<PermissionId> find_permission(std::string_view name) const noexcept;
  /// A copy of the current catalogue.
  Catalogue catalogue() const;
  /// Names of `set`'s members, in id order.
  std::vector<std::string> names(const PermissionSet& set) const;
  /// The permissions that names or patterns match. Errors: validation_failed.
  Result<PermissionSet> parse_permissions(std::span<const std::string> patterns) const;

  // --- Writes ----------------------------------------------------------------------------

  /// Applies `edit` to `tenant` atomically: all of it becomes visible at once, or nothing
  /// (the first failing step's error is returned). Errors: as each TenantEdit step;
  /// validation_failed (bad tenant id syntax).
  Result<void> apply(std::string_view tenant, const TenantEdit& edit);
  /// One-step forms of apply().
  Result<void> create_role(std::string_view tenant, RoleDefinition role);
  Result<void> update_role(std::string_view tenant, RoleDefinition role);
  Result<void> delete_role(std::string_view tenant, std::string_view name);
  Result<void> set_user_roles(std::string_view tenant, std::string_view user,
                              std::span<const std::string> roles);
  Result<void> remove_user(std::string_view tenant, std::string_view user);
  /// Forgets the tenant, its custom roles and memberships (org deleted). Absent: no effect.
  void remove_tenant(std::string_view tenant);

  // --- Checks (hot path: O(1), no allocation, no lock) -----------------------------------

  /// May `user` use `permission` in `tenant`? Unknown permission, tenant or user: denied.
  /// `attributes` feed the policy's conditions (ignored by the default policy).
  Decision check(std::string_view tenant, std::string_view user, std::string_view permission,
                 std::span<const Attribute> attributes = {}) const noexcept;
  /// The same with a resolved id (perm:: constants, find_permission()).
  Decision check(std::string_view tenant, std::string_view user, PermissionId permission,
                 std::span<const Attribute> attributes = {}) const noexcept;
  Decision check(const TenantId& tenant, const UserId& user, std::string_view permission,
                 std::span<const Attribute> attributes = {}) const noexcept {
    return check(tenant.str(), user.str(), permission, attributes);
  }
  Decision check(const TenantId& tenant, const UserId& user, PermissionId permission,
                 std::span<const Attribute> attributes = {}) const noexcept {
    return check(tenant.str(), user.str(), permission, attributes);
  }
  /// An API key acting for `user`: allowed only when the roles allow it and `scopes` holds it
  /// (DenyReason::outside_scope otherwise).
  Decision check_scoped(std::string_view tenant, std::string_view user, std::string_view permission,
                        const PermissionSet& scopes,
                        std::span<const Attribute> attributes = {}) const noexcept;
  /// The request's principal: a user by its roles in ctx.tenant; an API key by its creator's
  /// roles limited to the key's scopes (unknown scope names grant nothing). Other principals
  /// (anonymous, scim, admin) hold no tenant roles: denied, not_a_member.
  Decision check(const TenantContext& ctx, std::string_view permission,
                 std::span<const Attribute> attributes = {}) const noexcept;
  /// check(...).allowed().
  bool can(std::string_view tenant, std::string_view user,
           std::string_view permission) const noexcept {
    return check(tenant, user, permission).allowed();
  }

  // --- Queries ---------------------------------------------------------------------------

  /// The effective permissions of `user` in `tenant`; empty when not a member.
  PermissionSet user_permissions(std::string_view tenant, std::string_view user) const;
  /// user_permissions() limited to an API key's scopes.
  PermissionSet scoped_permissions(std::string_view tenant, std::string_view user,
                                   const PermissionSet& scopes) const;
  /// The roles of `user` in `tenant` (canonical names, sorted); nullopt when not a member.
  std::optional<std::vector<std::string>> user_roles(std::string_view tenant,
                                                     std::string_view user) const;
  /// The effective permissions of holding `roles` together in `tenant` (/v1/auth/me).
  /// Errors: validation_failed (unknown role; field "roles").
  Result<PermissionSet> permissions_of(std::string_view tenant,
                                       std::span<const std::string> roles) const;
  /// permissions_of() plus whether `roles` include the owner role, for the grant rules.
  Result<Holder> holder(std::string_view tenant, std::span<const std::string> roles) const;
  /// Built-in then custom roles of `tenant` (built-ins only for an unknown tenant).
  std::vector<RoleInfo> roles(std::string_view tenant) const;
  /// One role (aliases resolve to their role). Errors: not_found.
  Result<RoleInfo> get_role(std::string_view tenant, std::string_view name) const;
  /// True when `name` is a built-in role or alias of the policy.
  bool is_builtin_role(std::string_view name) const;
  /// Number of tenants holding at least one custom role or membership.
  std::size_t tenant_count() const;

  // --- Grant rules over role names (see grant_rules.hpp) ---------------------------------

  /// Errors: validation_failed (unknown role), forbidden, conflict: check_role_change().
  Result<void> check_role_change(std::string_view tenant, std::span<const std::string> granter,
                                 std::span<const std::string> before,
                                 std::span<const std::string> after,
                                 std::size_t owners_count) const;
  /// Errors: validation_failed (unknown role), forbidden, conflict: check_member_removal().
  Result<void> check_member_removal(std::string_view tenant, std::span<const std::string> remover,
                                    std::span<const std::string> target,
                                    std::size_t owners_count) const;
  /// May `granter` create or update `role` in `tenant`? Errors: conflict (a built-in role's
  /// name), validation_failed (as TenantEdit::create_role), forbidden (escalation).
  Result<void> check_role_definition(std::string_view tenant, std::span<const std::string> granter,
                                     const RoleDefinition& role) const;
  /// May `creator` give an API key these scopes? Returns them as a set.
  /// Errors: validation_failed (unknown role or permission), forbidden (escalation).
  Result<PermissionSet> check_scopes(std::string_view tenant, std::span<const std::string> creator,
                                     std::span<const std::string> scopes) const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkit::rbac
