// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tenantkit/rbac/grant_rules.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

const PermissionSet kMember{perm::members_read, perm::data_read};
const PermissionSet kAdmin{perm::members_read, perm::members_write, perm::data_read,
                           perm::billing_manage};
const PermissionSet kOwner = kAdmin | PermissionSet{perm::org_delete};

const Holder owner{kOwner, true};
const Holder admin{kAdmin, false};
const Holder member{kMember, false};
const Holder nobody{{}, false};

TEST(CheckRoleChange, AllowsGrantingWhatTheGranterHolds) {
  EXPECT_THAT(check_role_change(admin, member, admin, 1), IsOk());
  EXPECT_THAT(check_role_change(owner, member, owner, 1), IsOk());
  EXPECT_THAT(check_role_change(owner, admin, member, 2), IsOk());
}

TEST(CheckRoleChange, EscalationIsForbidden) {
  const Holder wider{kMember | PermissionSet{perm::audit_read}, false};
  EXPECT_THAT(check_role_change(member, nobody, wider, 1), HasError(Errc::forbidden));
  EXPECT_THAT(check_role_change(admin, member, wider, 1), HasError(Errc::forbidden));
}

TEST(CheckRoleChange, OnlyOwnersGrantOrRemoveOwner) {
  EXPECT_THAT(check_role_change(admin, member, Holder{kAdmin, true}, 1), HasError(Errc::forbidden));
  EXPECT_THAT(check_role_change(admin, owner, admin, 2), HasError(Errc::forbidden));
}

TEST(CheckRoleChange, AWeakerGranterCannotDemoteAStrongerMember) {
  EXPECT_THAT(check_role_change(member, admin, member, 1), HasError(Errc::forbidden));
}

TEST(CheckRoleChange, TheLastOwnerCannotBeDemoted) {
  EXPECT_THAT(check_role_change(owner, owner, admin, 1), HasError(Errc::conflict));
  EXPECT_THAT(check_role_change(owner, owner, admin, 0), HasError(Errc::conflict));
  EXPECT_THAT(check_role_change(owner, owner, admin, 2), IsOk());
  EXPECT_THAT(check_role_change(owner, owner, owner, 1), IsOk());
}

TEST(CheckMemberRemoval, LastOwnerOwnerRuleAndEscalation) {
  EXPECT_THAT(check_member_removal(owner, owner, 1), HasError(Errc::conflict));  // leave
  EXPECT_THAT(check_member_removal(owner, owner, 2), IsOk());
  EXPECT_THAT(check_member_removal(admin, owner, 2), HasError(Errc::forbidden));
  EXPECT_THAT(check_member_removal(member, admin, 1), HasError(Errc::forbidden));
  EXPECT_THAT(check_member_removal(admin, member, 1), IsOk());
  EXPECT_THAT(check_member_removal(member, member, 1), IsOk());  // leave
}

TEST(CheckRoleGrantAndScopes, SubsetsOnly) {
  EXPECT_THAT(check_role_grant(admin, kMember), IsOk());
  EXPECT_THAT(check_role_grant(member, kAdmin), HasError(Errc::forbidden));
  EXPECT_THAT(check_role_grant(admin, PermissionSet{perm::org_delete}), HasError(Errc::forbidden));
  EXPECT_THAT(check_scopes(member, PermissionSet{perm::data_read}), IsOk());
  EXPECT_THAT(check_scopes(member, PermissionSet{perm::usage_write}), HasError(Errc::forbidden));
}

}  // namespace
}  // namespace tenantkit::rbac
