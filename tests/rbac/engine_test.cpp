// SPDX-License-Identifier: Apache-2.0
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/rbac/engine.hpp>
#include <tenantkit/tenant/context.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::Optional;
using V = std::vector<std::string>;

constexpr std::string_view kA = "org-a";
constexpr std::string_view kB = "org-b";

class EngineTest : public ::testing::Test {
 protected:
  void set(std::string_view tenant, std::string_view user, V roles) {
    ASSERT_THAT(engine_.set_user_roles(tenant, user, roles), IsOk());
  }
  Engine engine_;
};

TEST_F(EngineTest, BuiltinRolesDecideAsApiMdSays) {
  set(kA, "u-owner", {"owner"});
  set(kA, "u-admin", {"admin"});
  set(kA, "u-member", {"member"});
  set(kA, "u-billing", {"billing"});
  set(kA, "u-viewer", {"viewer"});
  EXPECT_TRUE(engine_.can(kA, "u-owner", "org:delete"));
  EXPECT_FALSE(engine_.can(kA, "u-admin", "org:delete"));
  EXPECT_TRUE(engine_.can(kA, "u-admin", "scim:manage"));
  EXPECT_TRUE(engine_.can(kA, "u-member", "workspaces:write"));
  EXPECT_FALSE(engine_.can(kA, "u-member", "members:write"));
  EXPECT_TRUE(engine_.can(kA, "u-billing", "billing:manage"));
  EXPECT_FALSE(engine_.can(kA, "u-billing", "data:read"));
  EXPECT_TRUE(engine_.can(kA, "u-viewer", "billing:read"));
  EXPECT_FALSE(engine_.can(kA, "u-viewer", "audit:read"));
  EXPECT_FALSE(engine_.can(kA, "u-viewer", "workspaces:write"));
  // Each role's complete effective set, as the engine reports it.
  EXPECT_EQ(engine_.names(engine_.user_permissions(kA, "u-member")),
            (V{"members:read", "data:read", "usage:read", "usage:write", "workspaces:read",
               "workspaces:write"}));
  EXPECT_EQ(engine_.names(engine_.user_permissions(kA, "u-billing")),
            (V{"members:read", "usage:read", "billing:read", "billing:manage"}));
  EXPECT_EQ(engine_.user_permissions(kA, "u-owner"), engine_.catalogue().all());
  EXPECT_EQ(engine_.user_permissions(kA, "u-admin"),
            engine_.catalogue().all() - PermissionSet{perm::org_delete});
}

TEST_F(EngineTest, ViewerIsStoredAsReadonly) {
  set(kA, "u1", {"viewer"});
  EXPECT_THAT(engine_.user_roles(kA, "u1"), Optional(ElementsAre("readonly")));
  EXPECT_TRUE(engine_.is_builtin_role("viewer"));
  EXPECT_THAT(engine_.get_role(kA, "viewer"), IsOk());
  EXPECT_EQ(engine_.get_role(kA, "viewer")->name, "readonly");
}

TEST_F(EngineTest, DecisionsCarryTheirReason) {
  set(kA, "u1", {"member"});
  EXPECT_EQ(engine_.check(kA, "u1", "data:read"), Decision::allow());
  EXPECT_EQ(engine_.check(kA, "u1", "billing:manage").reason(), DenyReason::not_granted);
  EXPECT_EQ(engine_.check(kA, "u1", "billing:destroy").reason(), DenyReason::unknown_permission);
  EXPECT_EQ(engine_.check(kA, "u1", "").reason(), DenyReason::unknown_permission);
  EXPECT_EQ(engine_.check(kA, "u1", "*").reason(), DenyReason::unknown_permission);
  EXPECT_EQ(engine_.check(kA, "u1", "members:*").reason(), DenyReason::unknown_permission);
  EXPECT_EQ(engine_.check(kA, "nobody", "data:read").reason(), DenyReason::not_a_member);
  EXPECT_EQ(engine_.check("org-unknown", "u1", "data:read").reason(), DenyReason::not_a_member);
  EXPECT_EQ(engine_.check(kA, "u1", static_cast<PermissionId>(200)).reason(),
            DenyReason::unknown_permission);
  EXPECT_TRUE(engine_.check(kA, "u1", perm::data_read).allowed());
  EXPECT_EQ(to_string(DenyReason::explicit_deny), "explicit_deny");
}

TEST_F(EngineTest, StrongIdOverloadsMatchStringOnes) {
  set(kA, "u1", {"member"});
  const auto tenant = TenantId::from_trusted(std::string(kA));
  const auto user = UserId::from_trusted("u1");
  EXPECT_TRUE(engine_.check(tenant, user, "data:read").allowed());
  EXPECT_TRUE(engine_.check(tenant, user, perm::usage_write).allowed());
  EXPECT_FALSE(engine_.check(tenant, user, perm::org_delete).allowed());
}

TEST_F(EngineTest, MultipleRolesUnite) {
  set(kA, "u1", {"member", "billing"});
  EXPECT_TRUE(engine_.can(kA, "u1", "workspaces:write"));
  EXPECT_TRUE(engine_.can(kA, "u1", "billing:manage"));
  EXPECT_FALSE(engine_.can(kA, "u1", "audit:read"));
  EXPECT_THAT(engine_.user_roles(kA, "u1"), Optional(ElementsAre("billing", "member")));
}

TEST_F(EngineTest, CustomRolesWithWildcardsInheritanceAndDeny) {
  ASSERT_THAT(engine_.create_role(kA, {"auditor", {"audit:read", "*:read"}, {"billing:*"}, {}}),
              IsOk());
  ASSERT_THAT(engine_.create_role(kA, {"lead", {"members:*"}, {}, {"auditor", "member"}}), IsOk());
  set(kA, "u1", {"lead"});
  EXPECT_TRUE(engine_.can(kA, "u1", "members:write"));     // own wildcard
  EXPECT_TRUE(engine_.can(kA, "u1", "workspaces:write"));  // inherited built-in
  EXPECT_TRUE(engine_.can(kA, "u1", "audit:read"));        // inherited custom
  EXPECT_TRUE(engine_.can(kA, "u1", "roles:read"));        // inherited wildcard
  EXPECT_EQ(engine_.check(kA, "u1", "billing:read").reason(), DenyReason::explicit_deny);
  EXPECT_FALSE(engine_.can(kA, "u1", "org:delete"));
  // Changing a parent reaches its children at once.
  ASSERT_THAT(engine_.update_role(kA, {"auditor", {"audit:read"}, {}, {}}), IsOk());
  EXPECT_FALSE(engine_.can(kA, "u1", "roles:read"));
  EXPECT_EQ(engine_.check(kA, "u1", "billing:read").reason(), DenyReason::not_granted);
  EXPECT_TRUE(engine_.can(kA, "u1", "audit:read"));
}

TEST_F(EngineTest, DenyInOneRoleBeatsAllowInAnother) {
  ASSERT_THAT(engine_.create_role(kA, {"no-billing", {}, {"billing:manage"}, {}}), IsOk());
  set(kA, "u1", {"admin", "no-billing"});
  EXPECT_EQ(engine_.check(kA, "u1", "billing:manage").reason(), DenyReason::explicit_deny);
  EXPECT_TRUE(engine_.can(kA, "u1", "billing:read"));
  EXPECT_FALSE(engine_.user_permissions(kA, "u1").contains(perm::billing_manage));
  EXPECT_THAT(engine_.permissions_of(kA, V{"admin", "no-billing"}),
              IsOkAndHolds(engine_.catalogue().all() -
                           PermissionSet{perm::org_delete, perm::billing_manage}));
}

TEST_F(EngineTest, CustomRoleChangesAreVisibleToTheNextCheck) {
  ASSERT_THAT(engine_.create_role(kA, {"ops", {"data:read"}, {}, {}}), IsOk());
  set(kA, "u1", {"ops"});
  EXPECT_TRUE(engine_.can(kA, "u1", "data:read"));
  EXPECT_FALSE(engine_.can(kA, "u1", "usage:write"));
  ASSERT_THAT(engine_.update_role(kA, {"ops", {"usage:write"}, {}, {}}), IsOk());
  EXPECT_FALSE(engine_.can(kA, "u1", "data:read"));
  EXPECT_TRUE(engine_.can(kA, "u1", "usage:write"));
  // In use: cannot be deleted until nobody holds it.
  EXPECT_THAT(engine_.delete_role(kA, "ops"), HasError(Errc::conflict));
  set(kA, "u1", {"member"});
  ASSERT_THAT(engine_.delete_role(kA, "ops"), IsOk());
  EXPECT_THAT(engine_.get_role(kA, "ops"), HasError(Errc::not_found));
  EXPECT_THAT(engine_.set_user_roles(kA, "u1", V{"ops"}), HasError(Errc::validation_failed));
  ASSERT_THAT(engine_.remove_user(kA, "u1"), IsOk());
  EXPECT_EQ(engine_.check(kA, "u1", "data:read").reason(), DenyReason::not_a_member);
}

TEST_F(EngineTest, RoleCrudErrors) {
  ASSERT_THAT(engine_.create_role(kA, {"ops", {"data:read"}, {}, {}}), IsOk());
  EXPECT_THAT(engine_.create_role(kA, {"ops", {"data:read"}, {}, {}}), HasError(Errc::conflict));
  EXPECT_THAT(engine_.create_role(kA, {"admin", {"data:read"}, {}, {}}), HasError(Errc::conflict));
  EXPECT_THAT(engine_.create_role(kA, {"viewer", {"data:read"}, {}, {}}), HasError(Errc::conflict));
  EXPECT_THAT(engine_.update_role(kA, {"owner", {"data:read"}, {}, {}}), HasError(Errc::conflict));
  EXPECT_THAT(engine_.delete_role(kA, "member"), HasError(Errc::conflict));
  EXPECT_THAT(engine_.delete_role(kA, "readonly"), HasError(Errc::conflict));
  EXPECT_THAT(engine_.update_role(kA, {"ghost", {"data:read"}, {}, {}}), HasError(Errc::not_found));
  EXPECT_THAT(engine_.delete_role(kA, "ghost"), HasError(Errc::not_found));
  EXPECT_THAT(engine_.create_role(kA, {"bad name", {}, {}, {}}), HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.create_role(kA, {"x", {"data:destroy"}, {}, {}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.create_role(kA, {"x", {"dta:*"}, {}, {}}), HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.create_role(kA, {"x", {}, {}, {"ghost"}}), HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.create_role(kA, {"x", {}, {}, {"owner"}}), HasError(Errc::validation_failed));
  // A parent in use cannot go; a cycle is refused and leaves the roles as they were.
  ASSERT_THAT(engine_.create_role(kA, {"child", {}, {}, {"ops"}}), IsOk());
  EXPECT_THAT(engine_.delete_role(kA, "ops"), HasError(Errc::conflict));
  EXPECT_THAT(engine_.update_role(kA, {"ops", {"data:read"}, {}, {"child"}}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(
      engine_.get_role(kA, "ops"),
      IsOkAndHolds(::testing::Field(&RoleInfo::permissions, PermissionSet{perm::data_read})));
}

TEST_F(EngineTest, RoleListingShowsBuiltinsThenCustomRoles) {
  ASSERT_THAT(engine_.create_role(kA, {"ops", {"data:read", "members:*"}, {"members:write"}, {}}),
              IsOk());
  const auto roles = engine_.roles(kA);
  ASSERT_EQ(roles.size(), 6U);
  EXPECT_EQ(roles[0].name, "owner");
  EXPECT_TRUE(roles[0].builtin);
  EXPECT_EQ(roles[5].name, "ops");
  EXPECT_FALSE(roles[5].builtin);
  EXPECT_EQ(roles[5].definition,
            (RoleDefinition{"ops", {"data:read", "members:*"}, {"members:write"}, {}}));
  EXPECT_EQ(roles[5].permissions, (PermissionSet{perm::members_read, perm::data_read}));
  EXPECT_EQ(roles[5].denied, PermissionSet{perm::members_write});
  EXPECT_EQ(engine_.roles(kB).size(), 5U);
}

TEST_F(EngineTest, TenantsAreIsolated) {
  ASSERT_THAT(engine_.create_role(kA, {"ops", {"data:read"}, {}, {}}), IsOk());
  set(kA, "u1", {"owner"});
  set(kA, "u2", {"ops"});
  set(kB, "u3", {"member"});
  for (const auto& p : engine_.catalogue().names(engine_.catalogue().all())) {
    EXPECT_FALSE(engine_.can(kB, "u1", p)) << p;
    EXPECT_FALSE(engine_.can(kB, "u2", p)) << p;
    EXPECT_FALSE(engine_.can(kA, "u3", p)) << p;
  }
  // A role of tenant A does not exist in tenant B.
  EXPECT_THAT(engine_.set_user_roles(kB, "u2", V{"ops"}), HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.get_role(kB, "ops"), HasError(Errc::not_found));
  EXPECT_THAT(engine_.permissions_of(kB, V{"ops"}), HasError(Errc::validation_failed));
  // Same role name in B means B's own definition.
  ASSERT_THAT(engine_.create_role(kB, {"ops", {"billing:read"}, {}, {}}), IsOk());
  set(kB, "u2", {"ops"});
  EXPECT_FALSE(engine_.can(kB, "u2", "data:read"));
  EXPECT_TRUE(engine_.can(kB, "u2", "billing:read"));
  EXPECT_TRUE(engine_.can(kA, "u2", "data:read"));
  engine_.remove_tenant(kA);
  EXPECT_FALSE(engine_.can(kA, "u1", "org:read"));
  EXPECT_TRUE(engine_.can(kB, "u2", "billing:read"));
  EXPECT_EQ(engine_.tenant_count(), 1U);
}

TEST_F(EngineTest, ManyTenantsGrowTheDirectory) {
  for (int i = 0; i < 300; ++i) set("t" + std::to_string(i), "u", {i % 2 ? "member" : "billing"});
  EXPECT_EQ(engine_.tenant_count(), 300U);
  for (int i = 0; i < 300; ++i) {
    const std::string t = "t" + std::to_string(i);
    EXPECT_EQ(engine_.can(t, "u", "data:read"), i % 2 == 1) << t;
  }
  for (int i = 0; i < 300; i += 3) engine_.remove_tenant("t" + std::to_string(i));
  EXPECT_EQ(engine_.tenant_count(), 200U);
  EXPECT_FALSE(engine_.can("t3", "u", "data:read"));
  EXPECT_TRUE(engine_.can("t5", "u", "data:read"));
}

TEST_F(EngineTest, AnEditAppliesAllOrNothing) {
  TenantEdit good;
  good.create_role({"ops", {"data:read"}, {}, {}}).set_user_roles("u1", {"ops", "billing"});
  ASSERT_THAT(engine_.apply(kA, good), IsOk());
  EXPECT_TRUE(engine_.can(kA, "u1", "data:read"));

  TenantEdit bad;
  bad.update_role({"ops", {"org:delete"}, {}, {}})
      .set_user_roles("u2", {"owner"})
      .set_user_roles("u3", {"ghost"});
  EXPECT_THAT(engine_.apply(kA, bad), HasError(Errc::validation_failed));
  EXPECT_FALSE(engine_.can(kA, "u1", "org:delete"));
  EXPECT_TRUE(engine_.can(kA, "u1", "data:read"));
  EXPECT_EQ(engine_.check(kA, "u2", "org:read").reason(), DenyReason::not_a_member);
  EXPECT_THAT(engine_.apply("bad tenant id", good), HasError(Errc::validation_failed));
  EXPECT_THAT(engine_.set_user_roles(kA, "bad user", V{"member"}),
              HasError(Errc::validation_failed));
}

TEST_F(EngineTest, RegisteredPermissionsJoinWildcardsAndBuiltins) {
  ASSERT_THAT(engine_.create_role(kA, {"reader", {"*:read"}, {}, {}}), IsOk());
  set(kA, "u-reader", {"reader"});
  set(kA, "u-owner", {"owner"});
  set(kA, "u-viewer", {"readonly"});
  EXPECT_EQ(engine_.check(kA, "u-reader", "reports:read").reason(), DenyReason::unknown_permission);
  auto id = engine_.register_permission("reports:read");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(engine_.find_permission("reports:read"), *id);
  EXPECT_THAT(engine_.register_permission("reports:read"), IsOkAndHolds(*id));
  EXPECT_TRUE(engine_.can(kA, "u-reader", "reports:read"));
  EXPECT_TRUE(engine_.can(kA, "u-owner", "reports:read"));
  EXPECT_TRUE(engine_.can(kA, "u-viewer", "reports:read"));
  EXPECT_THAT(engine_.register_permission("reports:*"), HasError(Errc::validation_failed));
  // An exact custom permission can be granted once registered.
  ASSERT_THAT(engine_.register_permission("reports:export"), IsOk());
  ASSERT_THAT(engine_.create_role(kA, {"exporter", {"reports:export"}, {}, {}}), IsOk());
  set(kA, "u-exp", {"exporter"});
  EXPECT_TRUE(engine_.can(kA, "u-exp", "reports:export"));
  EXPECT_FALSE(engine_.can(kA, "u-reader", "reports:export"));
  EXPECT_FALSE(engine_.can(kA, "u-viewer", "reports:export"));
}

TEST_F(EngineTest, CatalogueFullIsAClearError) {
  for (std::size_t i = perm::kBuiltinNames.size(); i < kMaxPermissions; ++i)
    ASSERT_THAT(engine_.register_permission("app:p" + std::to_string(i)), IsOk());
  auto r = engine_.register_permission("app:one_too_many");
  ASSERT_THAT(r, HasError(Errc::validation_failed));
  EXPECT_THAT(r.error().detail, ::testing::HasSubstr("256"));
}

TEST_F(EngineTest, EscalationAttemptsAreForbidden) {
  set(kA, "boss", {"owner"});
  set(kA, "adm", {"admin"});
  // A custom role with more than the granter holds.
  EXPECT_THAT(engine_.check_role_definition(kA, V{"member"}, {"x", {"members:write"}, {}, {}}),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_definition(kA, V{"admin"}, {"x", {"*"}, {}, {}}),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_definition(kA, V{"admin"}, {"x", {"*"}, {"org:delete"}, {}}),
              IsOk());
  EXPECT_THAT(engine_.check_role_definition(kA, V{"member"}, {"x", {}, {}, {"admin"}}),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_definition(kA, V{"owner"}, {"admin", {}, {}, {}}),
              HasError(Errc::conflict));
  EXPECT_THAT(engine_.check_role_definition(kA, V{"owner"}, {"x", {"nope:nope"}, {}, {}}),
              HasError(Errc::validation_failed));
  // Granting owner as admin; granting admin as member.
  EXPECT_THAT(engine_.check_role_change(kA, V{"admin"}, V{"member"}, V{"owner"}, 1),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_change(kA, V{"member"}, V{"member"}, V{"admin"}, 1),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_change(kA, V{"admin"}, V{"member"}, V{"admin"}, 1), IsOk());
  EXPECT_THAT(engine_.check_role_change(kA, V{"owner"}, V{"member"}, V{"owner"}, 1), IsOk());
  EXPECT_THAT(engine_.check_role_change(kA, V{"admin"}, V{"owner"}, V{"member"}, 2),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_role_change(kA, V{"admin"}, V{"member"}, V{"ghost"}, 1),
              HasError(Errc::validation_failed));
  // API key scopes beyond the creator.
  EXPECT_THAT(engine_.check_scopes(kA, V{"member"}, V{"data:read", "usage:write"}),
              IsOkAndHolds(PermissionSet{perm::data_read, perm::usage_write}));
  EXPECT_THAT(engine_.check_scopes(kA, V{"member"}, V{"billing:manage"}),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_scopes(kA, V{"member"}, V{"no:such"}),
              HasError(Errc::validation_failed));
}

// A role change reaches more than the role itself: dropping a deny, or adding an allow to a
// role others inherit, gives permissions to its holders and to the roles inheriting it. The
// granter must hold everything anyone gains, not only the edited role's own permissions.
TEST_F(EngineTest, RoleEditsCannotEscalateThroughDenyOrInheritance) {
  ASSERT_THAT(engine_.create_role(kA, {"wide", {"*"}, {}, {}}), IsOk());
  ASSERT_THAT(engine_.create_role(kA, {"restricted", {}, {"billing:manage"}, {}}), IsOk());
  set(kA, "g", {"wide", "restricted"});
  ASSERT_FALSE(engine_.can(kA, "g", "billing:manage"));
  // g lacks billing:manage; removing the deny would give it to g (and to any holder of both).
  EXPECT_THAT(
      engine_.check_role_definition(kA, V{"wide", "restricted"}, {"restricted", {}, {}, {}}),
      HasError(Errc::forbidden));
  // The owner holds it and may.
  EXPECT_THAT(engine_.check_role_definition(kA, V{"owner"}, {"restricted", {}, {}, {}}), IsOk());

  // Inheritance, with nobody holding the roles yet: parent denies usage:write, child allows it
  // and inherits parent, so child lacks it until the parent's deny goes.
  ASSERT_THAT(engine_.create_role(kA, {"parent", {"data:read"}, {"usage:write"}, {}}), IsOk());
  ASSERT_THAT(engine_.create_role(kA, {"child", {"usage:write"}, {}, {"parent"}}), IsOk());
  EXPECT_THAT(engine_.check_role_definition(kA, V{"readonly"}, {"parent", {"data:read"}, {}, {}}),
              HasError(Errc::forbidden));
  // A change that gives nobody anything new stays allowed to the same granter.
  EXPECT_THAT(engine_.check_role_definition(
                  kA, V{"readonly"}, {"parent", {"data:read"}, {"usage:write", "org:delete"}, {}}),
              IsOk());
}

TEST_F(EngineTest, LastOwnerCannotBeRemovedOrDemoted) {
  EXPECT_THAT(engine_.check_role_change(kA, V{"owner"}, V{"owner"}, V{"admin"}, 1),
              HasError(Errc::conflict));
  EXPECT_THAT(engine_.check_role_change(kA, V{"owner"}, V{"owner"}, V{"admin"}, 2), IsOk());
  EXPECT_THAT(engine_.check_member_removal(kA, V{"owner"}, V{"owner"}, 1),
              HasError(Errc::conflict));
  EXPECT_THAT(engine_.check_member_removal(kA, V{"admin"}, V{"owner"}, 2),
              HasError(Errc::forbidden));
  EXPECT_THAT(engine_.check_member_removal(kA, V{"admin"}, V{"member"}, 1), IsOk());
  auto h = engine_.holder(kA, V{"owner", "member"});
  ASSERT_THAT(h, IsOk());
  EXPECT_TRUE(h.value().is_owner);
}

TEST_F(EngineTest, ApiKeyScopesIntersectWithRoles) {
  set(kA, "creator", {"member"});
  const PermissionSet scopes{perm::data_read, perm::billing_manage};
  EXPECT_TRUE(engine_.check_scoped(kA, "creator", "data:read", scopes).allowed());
  EXPECT_EQ(engine_.check_scoped(kA, "creator", "usage:write", scopes).reason(),
            DenyReason::outside_scope);
  EXPECT_EQ(engine_.check_scoped(kA, "creator", "billing:manage", scopes).reason(),
            DenyReason::not_granted);
  EXPECT_EQ(engine_.scoped_permissions(kA, "creator", scopes), PermissionSet{perm::data_read});

  TenantContext ctx;
  ctx.tenant = TenantId::from_trusted(std::string(kA));
  ctx.principal.kind = PrincipalKind::api_key;
  ctx.principal.user = UserId::from_trusted("creator");
  ctx.principal.scopes = {"data:read", "usage:write", "not:a_scope"};
  EXPECT_TRUE(engine_.check(ctx, "data:read").allowed());
  EXPECT_TRUE(engine_.check(ctx, "usage:write").allowed());
  EXPECT_EQ(engine_.check(ctx, "workspaces:read").reason(), DenyReason::outside_scope);
  ctx.principal.kind = PrincipalKind::user;
  EXPECT_TRUE(engine_.check(ctx, "workspaces:read").allowed());
  ctx.principal.kind = PrincipalKind::admin;
  EXPECT_EQ(engine_.check(ctx, "data:read").reason(), DenyReason::not_a_member);
  // The creator losing the role takes the key's power with it.
  set(kA, "creator", {"billing"});
  ctx.principal.kind = PrincipalKind::api_key;
  EXPECT_EQ(engine_.check(ctx, "data:read").reason(), DenyReason::not_granted);
}

// A policy with an extra built-in role and a condition: billing:manage needs {"mfa","true"}.
class MfaPolicy final : public BuiltinRolePolicy {
 public:
  std::vector<BuiltinRole> builtin_roles(const Catalogue& c) const override {
    auto roles = BuiltinRolePolicy::builtin_roles(c);
    roles.push_back({"support", {}, {perm::members_read, perm::audit_read}, false});
    return roles;
  }
  bool has_conditions() const noexcept override { return true; }
  Decision refine(const CheckRequest& r) const override {
    if (r.permission != perm::billing_manage) return Decision::allow();
    for (const Attribute& a : r.attributes)
      if (a.key == "mfa" && a.value == "true") return Decision::allow();
    return Decision::deny(DenyReason::condition, "billing:manage needs MFA");
  }
};

TEST(EnginePolicy, CustomPolicyAddsRolesAndConditions) {
  auto engine = Engine::create({.policy = std::make_shared<MfaPolicy>()});
  ASSERT_THAT(engine, IsOk());
  Engine& e = **engine;
  ASSERT_THAT(e.set_user_roles("t", "u", V{"owner"}), IsOk());
  ASSERT_THAT(e.set_user_roles("t", "s", V{"support"}), IsOk());
  EXPECT_TRUE(e.can("t", "s", "audit:read"));
  EXPECT_FALSE(e.can("t", "s", "data:read"));
  const Attribute mfa[] = {{"mfa", "true"}};
  EXPECT_EQ(e.check("t", "u", "billing:manage").reason(), DenyReason::condition);
  EXPECT_EQ(e.check("t", "u", "billing:manage").note(), "billing:manage needs MFA");
  EXPECT_TRUE(e.check("t", "u", "billing:manage", mfa).allowed());
  EXPECT_TRUE(e.can("t", "u", "billing:read"));
  // Conditions narrow only: a denied permission stays denied whatever the attributes.
  EXPECT_EQ(e.check("t", "s", "billing:manage", mfa).reason(), DenyReason::not_granted);
}

class BrokenPolicy final : public BuiltinRolePolicy {
 public:
  explicit BrokenPolicy(int flaw) : flaw_(flaw) {}
  std::vector<BuiltinRole> builtin_roles(const Catalogue& c) const override {
    auto roles = BuiltinRolePolicy::builtin_roles(c);
    if (flaw_ == 0) roles[1].is_owner = true;                    // two owners
    if (flaw_ == 1) roles[0].is_owner = false;                   // none
    if (flaw_ == 2) roles.push_back({"member", {}, {}, false});  // duplicate
    if (flaw_ == 3) roles[2].aliases.push_back("bad name");
    if (flaw_ == 4) roles[2].permissions.insert(static_cast<PermissionId>(c.size()));  // unknown
    return roles;
  }

 private:
  int flaw_;
};

TEST(EnginePolicy, MalformedPoliciesAreRejected) {
  for (int flaw = 0; flaw < 5; ++flaw) {
    EXPECT_THAT(Engine::create({.policy = std::make_shared<BrokenPolicy>(flaw)}),
                HasError(Errc::validation_failed))
        << flaw;
  }
}

}  // namespace
}  // namespace tenantkit::rbac
