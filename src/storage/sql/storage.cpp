// SPDX-License-Identifier: Apache-2.0
#include "stores.hpp"

namespace tenantkit::storage::sql {
namespace {

class SqlStorage final : public Storage {
 public:
  SqlStorage(std::unique_ptr<Db> db, std::string name)
      : db_(std::move(db)),
        name_(std::move(name)),
        orgs_(make_org_store(*db_)),
        users_(make_user_store(*db_)),
        memberships_(make_membership_store(*db_)),
        invitations_(make_invitation_store(*db_)),
        sessions_(make_session_store(*db_)),
        api_keys_(make_api_key_store(*db_)),
        roles_(make_role_store(*db_)),
        usage_(make_usage_store(*db_)),
        subscriptions_(make_subscription_store(*db_)),
        webhook_events_(make_webhook_event_store(*db_)),
        audit_(make_audit_store(*db_)),
        workspaces_(make_workspace_store(*db_)),
        scim_tokens_(make_scim_token_store(*db_)),
        scim_groups_(make_scim_group_store(*db_)),
        idempotency_(make_idempotency_store(*db_)) {}

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

  Result<void> ping() override {
    return db_->run<void>(Access::read, Scope::none(), [](soci::session& s) -> Result<void> {
      int one = 0;
      s << "SELECT 1", soci::into(one);
      return ok();
    });
  }
  std::string_view backend_name() const noexcept override { return name_; }

 private:
  std::unique_ptr<Db> db_;
  std::string name_;
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

std::unique_ptr<Storage> make_storage(std::unique_ptr<Db> db, std::string name) {
  return std::make_unique<SqlStorage>(std::move(db), std::move(name));
}

}  // namespace tenantkit::storage::sql
