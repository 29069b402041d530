// SPDX-License-Identifier: Apache-2.0
// Factories of the SOCI stores and of the Storage that owns them (shared by SQLite and PostgreSQL).
#pragma once

#include <memory>
#include <string>

#include <tenantkit/storage/storage.hpp>

#include "db.hpp"

namespace tenantkit::storage::sql {

std::unique_ptr<OrgStore> make_org_store(Db& db);
std::unique_ptr<UserStore> make_user_store(Db& db);
std::unique_ptr<MembershipStore> make_membership_store(Db& db);
std::unique_ptr<InvitationStore> make_invitation_store(Db& db);
std::unique_ptr<SessionStore> make_session_store(Db& db);
std::unique_ptr<ApiKeyStore> make_api_key_store(Db& db);
std::unique_ptr<RoleStore> make_role_store(Db& db);
std::unique_ptr<UsageStore> make_usage_store(Db& db);
std::unique_ptr<SubscriptionStore> make_subscription_store(Db& db);
std::unique_ptr<WebhookEventStore> make_webhook_event_store(Db& db);
std::unique_ptr<AuditStore> make_audit_store(Db& db);
std::unique_ptr<WorkspaceStore> make_workspace_store(Db& db);
std::unique_ptr<ScimTokenStore> make_scim_token_store(Db& db);
std::unique_ptr<ScimGroupStore> make_scim_group_store(Db& db);
std::unique_ptr<IdempotencyStore> make_idempotency_store(Db& db);

/// A Storage over `db`; `name` is backend_name() ("sqlite", "postgres").
std::unique_ptr<Storage> make_storage(std::unique_ptr<Db> db, std::string name);

}  // namespace tenantkit::storage::sql
