// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/core/encoding.hpp>
#include <tenantkit/storage/storage.hpp>

#include "storage/memory/state.hpp"
#include "storage/memory/stores.hpp"

namespace tenantkit::storage::memory {
namespace {

constexpr std::string_view kCursorTag = "c1:";

class MemoryStorage final : public Storage {
 public:
  MemoryStorage()
      : orgs_(make_org_store(state_)),
        users_(make_user_store(state_)),
        memberships_(make_membership_store(state_)),
        invitations_(make_invitation_store(state_)),
        sessions_(make_session_store(state_)),
        api_keys_(make_api_key_store(state_)),
        roles_(make_role_store(state_)),
        usage_(make_usage_store(state_)),
        subscriptions_(make_subscription_store(state_)),
        webhook_events_(make_webhook_event_store(state_)),
        audit_(make_audit_store(state_)),
        workspaces_(make_workspace_store(state_)),
        scim_tokens_(make_scim_token_store(state_)),
        scim_groups_(make_scim_group_store(state_)),
        idempotency_(make_idempotency_store(state_)) {}

  OrgStore& orgs() override { return *orgs_; }
  UserStore& users() override { return *users_; }
  MembershipStore& memberships() override { return *memberships_; }
  InvitationStore& invitations() override { return *invitations_; }
  SessionStore& sessions() override { return *sessions_; }
  ApiKeyStore& api_keys() override { return *api_keys_; }
  RoleStore& roles() override { return *roles_; }
  UsageStore& usage() override { return *usage_; }
  SubscriptionStore& subscriptions() override { return *subscriptions_; }
  WebhookEventStore& webhook_events() override { return *webhook_events_; }
  AuditStore& audit() override { return *audit_; }
  WorkspaceStore& workspaces() override { return *workspaces_; }
  ScimTokenStore& scim_tokens() override { return *scim_tokens_; }
  ScimGroupStore& scim_groups() override { return *scim_groups_; }
  IdempotencyStore& idempotency() override { return *idempotency_; }

  Result<void> ping() override { return ok(); }
  std::string_view backend_name() const noexcept override { return "memory"; }

 private:
  State state_;  // declared first: the stores refer to it
  std::unique_ptr<OrgStore> orgs_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<MembershipStore> memberships_;
  std::unique_ptr<InvitationStore> invitations_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<ApiKeyStore> api_keys_;
  std::unique_ptr<RoleStore> roles_;
  std::unique_ptr<UsageStore> usage_;
  std::unique_ptr<SubscriptionStore> subscriptions_;
  std::unique_ptr<WebhookEventStore> webhook_events_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<WorkspaceStore> workspaces_;
  std::unique_ptr<ScimTokenStore> scim_tokens_;
  std::unique_ptr<ScimGroupStore> scim_groups_;
  std::unique_ptr<IdempotencyStore> idempotency_;
};

}  // namespace

std::int64_t State::seats_used(const OrgId& org, Timestamp now) const {
  std::int64_t n = 0;
  if (auto it = members.find(org); it != members.end())
    n += static_cast<std::int64_t>(it->second.size());
  for (const auto& [id, inv] : invitations)
    if (inv.org == org && inv.is_pending(now)) ++n;
  return n;
}

bool State::has_other_active_owner(const OrgId& org, const UserId& except) const {
  auto it = members.find(org);
  if (it == members.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const auto& entry) {
    const Membership& m = entry.second;
    return m.user != except && m.active &&
           std::find(m.roles.begin(), m.roles.end(), "owner") != m.roles.end();
  });
}

std::string encode_cursor(std::string_view last_key) {
  std::string plain(kCursorTag);
  plain += last_key;
  return base64url_encode(plain);
}

Result<std::string> decode_cursor(std::string_view cursor) {
  if (cursor.empty()) return std::string();
  auto plain = base64url_decode(cursor);
  if (!plain || plain->size() <= kCursorTag.size() || !plain->starts_with(kCursorTag))
    return Error{Errc::bad_request, "malformed cursor"};
  return plain->substr(kCursorTag.size());
}

}  // namespace tenantkit::storage::memory

namespace tenantkit::storage {

std::unique_ptr<Storage> open_memory() {
  return std::make_unique<memory::MemoryStorage>();
}

}  // namespace tenantkit::storage
