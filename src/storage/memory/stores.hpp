// SPDX-License-Identifier: Apache-2.0
// Private: factories of the in-memory stores, each a view over one shared State.
#pragma once

#include <memory>

#include <tenantkit/storage/storage.hpp>

#include "storage/memory/state.hpp"

namespace tenantkit::storage::memory {

std::unique_ptr<OrgStore> make_org_store(State& s);
std::unique_ptr<UserStore> make_user_store(State& s);
std::unique_ptr<MembershipStore> make_membership_store(State& s);
std::unique_ptr<InvitationStore> make_invitation_store(State& s);
std::unique_ptr<SessionStore> make_session_store(State& s);
std::unique_ptr<ApiKeyStore> make_api_key_store(State& s);
std::unique_ptr<RoleStore> make_role_store(State& s);
std::unique_ptr<UsageStore> make_usage_store(State& s);
std::unique_ptr<SubscriptionStore> make_subscription_store(State& s);
std::unique_ptr<WebhookEventStore> make_webhook_event_store(State& s);
std::unique_ptr<AuditStore> make_audit_store(State& s);
std::unique_ptr<WorkspaceStore> make_workspace_store(State& s);
std::unique_ptr<ScimTokenStore> make_scim_token_store(State& s);
std::unique_ptr<ScimGroupStore> make_scim_group_store(State& s);
std::unique_ptr<IdempotencyStore> make_idempotency_store(State& s);

}  // namespace tenantkit::storage::memory
