// SPDX-License-Identifier: Apache-2.0
// RoleStore: an org's custom roles (built-in roles live in code, not here). Safe for concurrent
// use; calls may block.
#pragma once

#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class RoleStore {
 public:
  virtual ~RoleStore();
  RoleStore(const RoleStore&) = delete;
  RoleStore& operator=(const RoleStore&) = delete;

  /// Errors: conflict (name taken in this org), unavailable.
  virtual Result<Role> create(const OrgId& org, const Role& role) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<Role> get(const OrgId& org, std::string_view name) = 0;
  /// Every custom role of `org`, ordered by name (small: no paging).
  virtual Result<std::vector<Role>> list(const OrgId& org) = 0;
  /// Replaces description, permissions, deny and inherits. Errors: not_found, unavailable.
  virtual Result<Role> update(const OrgId& org, const Role& role) = 0;
  /// Errors: not_found, conflict (a member of the org holds the role), unavailable.
  virtual Result<void> remove(const OrgId& org, std::string_view name) = 0;

 protected:
  RoleStore() = default;
};

}  // namespace tenantkit::storage
