// SPDX-License-Identifier: Apache-2.0
// Storage: one object that owns every store of one backend (memory, SQLite, PostgreSQL), so that
// cross-aggregate operations (deleting an org, accepting an invitation) stay inside one database.
// Open one with storage::open_memory() (this library), open_sqlite() (tenantkit::sqlite) or
// open_postgres() (tenantkit::postgres). The Storage outlives every reference to its stores.
#pragma once

#include <memory>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/api_key_store.hpp>
#include <tenantkit/storage/audit_store.hpp>
#include <tenantkit/storage/billing_store.hpp>
#include <tenantkit/storage/idempotency_store.hpp>
#include <tenantkit/storage/invitation_store.hpp>
#include <tenantkit/storage/membership_store.hpp>
#include <tenantkit/storage/org_store.hpp>
#include <tenantkit/storage/role_store.hpp>
#include <tenantkit/storage/scim_group_store.hpp>
#include <tenantkit/storage/scim_token_store.hpp>
#include <tenantkit/storage/session_store.hpp>
#include <tenantkit/storage/usage_store.hpp>
#include <tenantkit/storage/user_store.hpp>
#include <tenantkit/storage/workspace_store.hpp>

namespace tenantkit::storage {

class Storage {
 public:
  virtual ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  virtual OrgStore& orgs() = 0;
  virtual UserStore& users() = 0;
  virtual MembershipStore& memberships() = 0;
  virtual InvitationStore& invitations() = 0;
  virtual SessionStore& sessions() = 0;
  virtual ApiKeyStore& api_keys() = 0;
  virtual RoleStore& roles() = 0;
  virtual UsageStore& usage() = 0;
  virtual SubscriptionStore& subscriptions() = 0;
  virtual WebhookEventStore& webhook_events() = 0;
  virtual AuditStore& audit() = 0;
  virtual WorkspaceStore& workspaces() = 0;
  virtual ScimTokenStore& scim_tokens() = 0;
  virtual ScimGroupStore& scim_groups() = 0;
  virtual IdempotencyStore& idempotency() = 0;

  /// Checks that the backend answers (readiness). Errors: unavailable.
  virtual Result<void> ping() = 0;
  /// A short name for logs and /ready: "memory", "sqlite", "postgres".
  virtual std::string_view backend_name() const noexcept = 0;

 protected:
  Storage() = default;
};

/// A thread-safe in-memory Storage: the reference for every other backend, and for tests.
/// Data lives as long as the returned object.
std::unique_ptr<Storage> open_memory();

}  // namespace tenantkit::storage
