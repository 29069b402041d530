// SPDX-License-Identifier: Apache-2.0
// ScimGroupStore: the directory groups an org's SCIM client pushes (displayName, externalId,
// member user ids). Every call is scoped to one org; another org's group is not_found.
// Safe for concurrent use; calls may block.
#pragma once

#include <cstddef>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class ScimGroupStore {
 public:
  /// Most groups one org may hold (list() returns them all).
  static constexpr std::size_t kMaxGroupsPerOrg = 1000;

  virtual ~ScimGroupStore();
  ScimGroupStore(const ScimGroupStore&) = delete;
  ScimGroupStore& operator=(const ScimGroupStore&) = delete;

  /// Stores a new group (its org is `org`). Errors: not_found (no such org), conflict (id taken,
  /// or displayName already used in the org, case-insensitively), plan_limit_reached (the org
  /// already has kMaxGroupsPerOrg groups), unavailable.
  virtual Result<ScimGroup> create(const OrgId& org, const ScimGroup& group) = 0;
  /// Errors: not_found (no such group in `org`), unavailable.
  virtual Result<ScimGroup> get(const OrgId& org, const ScimGroupId& id) = 0;
  /// Every group of `org`, ordered by id. Errors: unavailable.
  virtual Result<std::vector<ScimGroup>> list(const OrgId& org) = 0;
  /// Overwrites displayName, externalId, members, version and updated_at, provided the stored
  /// group's version is still `expected_version` (the version the caller read and changed: a
  /// compare-and-set, so concurrent read-modify-writes cannot lose each other's changes).
  /// Errors: not_found, conflict (the stored version is another one, or displayName is used by
  /// another group of the org), unavailable.
  virtual Result<ScimGroup> update(const OrgId& org, const ScimGroup& group,
                                   std::int64_t expected_version) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<void> remove(const OrgId& org, const ScimGroupId& id) = 0;

 protected:
  ScimGroupStore() = default;
};

}  // namespace tenantkit::storage
