// SPDX-License-Identifier: Apache-2.0
// C ABI over rbac::Engine.
#include <tenantkit/rbac/engine.hpp>

#include "c/common.hpp"

struct tk_rbac {
  tenantkit::rbac::Engine engine;
};

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

// The reason strings of rbac::to_string are literals, so their data() is NUL-terminated and
// static: safe to hand to C without a copy.
const char* reason_name(rbac::DenyReason r) noexcept {
  return rbac::to_string(r).data();
}

Result<rbac::RoleDefinition> definition(const char* name, const char* const* allow,
                                        size_t allow_count, const char* const* deny,
                                        size_t deny_count, const char* const* inherits,
                                        size_t inherits_count) {
  rbac::RoleDefinition role;
  role.name = name;
  auto a = strings_in(allow, allow_count, "allow");
  if (!a) return a.error();
  auto d = strings_in(deny, deny_count, "deny");
  if (!d) return d.error();
  auto i = strings_in(inherits, inherits_count, "inherits");
  if (!i) return i.error();
  role.allow = std::move(*a);
  role.deny = std::move(*d);
  role.inherits = std::move(*i);
  return role;
}

template <class Write>
tk_status write_role(tk_rbac* rbac, const char* tenant, const char* name, const char* const* allow,
                     size_t allow_count, const char* const* deny, size_t deny_count,
                     const char* const* inherits, size_t inherits_count, tk_error** error,
                     Write write) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (name == nullptr) return null_argument(error, "name");
    auto role = definition(name, allow, allow_count, deny, deny_count, inherits, inherits_count);
    if (!role) return fail(error, role.error());
    auto r = write(rbac->engine, std::string_view(tenant), std::move(*role));
    return r ? TK_OK : fail(error, r.error());
  });
}

}  // namespace

extern "C" {

tk_status tk_rbac_create(tk_rbac** out, tk_error** error) {
  return guard(error, [&] {
    if (out == nullptr) return null_argument(error, "out");
    *out = new tk_rbac();
    return TK_OK;
  });
}

void tk_rbac_destroy(tk_rbac* rbac) {
  delete rbac;
}

tk_status tk_rbac_register_permission(tk_rbac* rbac, const char* name, tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (name == nullptr) return null_argument(error, "name");
    auto r = rbac->engine.register_permission(name);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_rbac_create_role(tk_rbac* rbac, const char* tenant, const char* name,
                              const char* const* allow, size_t allow_count, const char* const* deny,
                              size_t deny_count, const char* const* inherits, size_t inherits_count,
                              tk_error** error) {
  return write_role(rbac, tenant, name, allow, allow_count, deny, deny_count, inherits,
                    inherits_count, error,
                    [](rbac::Engine& e, std::string_view t, rbac::RoleDefinition role) {
                      return e.create_role(t, std::move(role));
                    });
}

tk_status tk_rbac_update_role(tk_rbac* rbac, const char* tenant, const char* name,
                              const char* const* allow, size_t allow_count, const char* const* deny,
                              size_t deny_count, const char* const* inherits, size_t inherits_count,
                              tk_error** error) {
  return write_role(rbac, tenant, name, allow, allow_count, deny, deny_count, inherits,
                    inherits_count, error,
                    [](rbac::Engine& e, std::string_view t, rbac::RoleDefinition role) {
                      return e.update_role(t, std::move(role));
                    });
}

tk_status tk_rbac_delete_role(tk_rbac* rbac, const char* tenant, const char* name,
                              tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (name == nullptr) return null_argument(error, "name");
    auto r = rbac->engine.delete_role(tenant, name);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_rbac_set_user_roles(tk_rbac* rbac, const char* tenant, const char* user,
                                 const char* const* roles, size_t count, tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (user == nullptr) return null_argument(error, "user");
    auto names = strings_in(roles, count, "roles");
    if (!names) return fail(error, names.error());
    auto r = rbac->engine.set_user_roles(tenant, user, *names);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_rbac_remove_user(tk_rbac* rbac, const char* tenant, const char* user,
                              tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (user == nullptr) return null_argument(error, "user");
    auto r = rbac->engine.remove_user(tenant, user);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_rbac_check(const tk_rbac* rbac, const char* tenant, const char* user,
                        const char* permission, bool* allowed, const char** deny_reason,
                        tk_error** error) {
  // No guard needed for the check itself (noexcept, allocation-free); only the argument
  // errors allocate, and null_argument never throws.
  if (rbac == nullptr) return null_argument(error, "rbac");
  if (tenant == nullptr) return null_argument(error, "tenant");
  if (user == nullptr) return null_argument(error, "user");
  if (permission == nullptr) return null_argument(error, "permission");
  if (allowed == nullptr) return null_argument(error, "allowed");
  const rbac::Decision d = rbac->engine.check(std::string_view(tenant), std::string_view(user),
                                              std::string_view(permission));
  *allowed = d.allowed();
  if (deny_reason != nullptr) *deny_reason = reason_name(d.reason());
  return TK_OK;
}

tk_status tk_rbac_check_scoped(const tk_rbac* rbac, const char* tenant, const char* user,
                               const char* permission, const char* const* scopes,
                               size_t scope_count, bool* allowed, const char** deny_reason,
                               tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (user == nullptr) return null_argument(error, "user");
    if (permission == nullptr) return null_argument(error, "permission");
    if (allowed == nullptr) return null_argument(error, "allowed");
    auto patterns = strings_in(scopes, scope_count, "scopes");
    if (!patterns) return fail(error, patterns.error());
    auto set = rbac->engine.parse_permissions(*patterns);
    if (!set) return fail(error, set.error());
    const rbac::Decision d = rbac->engine.check_scoped(tenant, user, permission, *set);
    *allowed = d.allowed();
    if (deny_reason != nullptr) *deny_reason = reason_name(d.reason());
    return TK_OK;
  });
}

tk_status tk_rbac_user_permissions(const tk_rbac* rbac, const char* tenant, const char* user,
                                   tk_strings** out, tk_error** error) {
  return guard(error, [&] {
    if (rbac == nullptr) return null_argument(error, "rbac");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (user == nullptr) return null_argument(error, "user");
    if (out == nullptr) return null_argument(error, "out");
    const auto& engine = rbac->engine;
    *out = strings_out(engine.names(engine.user_permissions(tenant, user))).release();
    return TK_OK;
  });
}

}  // extern "C"
