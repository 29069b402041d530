// SPDX-License-Identifier: Apache-2.0
// Out-of-line destructors: one vtable per interface, in this library.
#include <tenantkit/storage/storage.hpp>

namespace tenantkit::storage {

OrgStore::~OrgStore() = default;
UserStore::~UserStore() = default;
MembershipStore::~MembershipStore() = default;
InvitationStore::~InvitationStore() = default;
SessionStore::~SessionStore() = default;
ApiKeyStore::~ApiKeyStore() = default;
RoleStore::~RoleStore() = default;
UsageStore::~UsageStore() = default;
SubscriptionStore::~SubscriptionStore() = default;
WebhookEventStore::~WebhookEventStore() = default;
AuditStore::~AuditStore() = default;
WorkspaceStore::~WorkspaceStore() = default;
ScimTokenStore::~ScimTokenStore() = default;
ScimGroupStore::~ScimGroupStore() = default;
IdempotencyStore::~IdempotencyStore() = default;
Storage::~Storage() = default;

}  // namespace tenantkit::storage
