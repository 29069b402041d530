// SPDX-License-Identifier: Apache-2.0
// OrgStore: organizations (tenants) and their deletion. Safe for concurrent use; calls may block
// (never call them on an I/O thread). Conformance: testing/conformance/org_store.hpp.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class OrgStore {
 public:
  virtual ~OrgStore();
  OrgStore(const OrgStore&) = delete;
  OrgStore& operator=(const OrgStore&) = delete;

  /// Creates `org` and, atomically with it, `owner` as its first member.
  /// Errors: conflict (id or slug taken), unavailable.
  virtual Result<Org> create(const Org& org, const Membership& owner) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<Org> get(const OrgId& org) = 0;
  /// Unscoped by design: resolves a slug (subdomain or path) before the tenant is known.
  virtual Result<std::optional<Org>> find_by_slug(std::string_view slug) = 0;
  /// Replaces name and slug. Errors: not_found, conflict (slug taken), unavailable.
  virtual Result<Org> update(const OrgId& org, std::string_view name, std::string_view slug,
                             Timestamp now) = 0;
  /// Deletes the org and every record it owns in this storage (members, invitations, keys, roles,
  /// usage, subscription, audit, workspaces, SCIM tokens). Errors: not_found, unavailable.
  virtual Result<void> remove(const OrgId& org) = 0;
  /// Number of orgs (admin views and benchmarks).
  virtual Result<std::int64_t> count() = 0;
  /// Up to `limit` (1..1000) org ids greater than `after` (from the start when nullopt), in
  /// ascending order: how maintenance jobs (audit retention) visit every org. Like count(), the
  /// one read across tenants. Errors: validation_failed (limit), unavailable.
  virtual Result<std::vector<OrgId>> list_ids(const std::optional<OrgId>& after, int limit) = 0;

 protected:
  OrgStore() = default;
};

}  // namespace tenantkit::storage
