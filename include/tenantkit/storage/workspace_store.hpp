// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: the reference server's sample tenant-owned resource. Safe for concurrent use;
// calls may block.
#pragma once

#include <optional>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class WorkspaceStore {
 public:
  virtual ~WorkspaceStore();
  WorkspaceStore(const WorkspaceStore&) = delete;
  WorkspaceStore& operator=(const WorkspaceStore&) = delete;

  /// Stores `ws`. When `max_count` is set, fails with plan_limit_reached if the org already has
  /// that many (checked atomically). Errors: conflict (id taken), plan_limit_reached, unavailable.
  virtual Result<Workspace> create(const OrgId& org, const Workspace& ws,
                                   std::optional<std::int64_t> max_count) = 0;
  /// Errors: not_found (absent, or another org's), unavailable.
  virtual Result<Workspace> get(const OrgId& org, const WorkspaceId& id) = 0;
  /// Ordered by id.
  virtual Result<Page<Workspace>> list(const OrgId& org, const PageRequest& page) = 0;
  /// Replaces name and description. Errors: not_found, unavailable.
  virtual Result<Workspace> update(const OrgId& org, const Workspace& ws) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<void> remove(const OrgId& org, const WorkspaceId& id) = 0;
  virtual Result<std::int64_t> count(const OrgId& org) = 0;

 protected:
  WorkspaceStore() = default;
};

}  // namespace tenantkit::storage
