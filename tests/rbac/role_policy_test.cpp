// SPDX-License-Identifier: Apache-2.0
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/rbac/role_policy.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

// API.md "Built-in role permissions", spelled out name by name so a change to the catalogue or
// the policy cannot silently widen a role.
const std::vector<std::string> kAll = {
    "org:read",         "org:write",         "org:delete",     "members:read", "members:write",
    "invitations:read", "invitations:write", "roles:read",     "roles:write",  "api_keys:read",
    "api_keys:write",   "data:read",         "usage:read",     "usage:write",  "workspaces:read",
    "workspaces:write", "billing:read",      "billing:manage", "audit:read",   "scim:manage"};

std::vector<std::string> without(std::vector<std::string> v, const std::string& drop) {
  std::erase(v, drop);
  return v;
}

const BuiltinRole& find(const std::vector<BuiltinRole>& roles, std::string_view name) {
  for (const BuiltinRole& r : roles)
    if (r.name == name) return r;
  throw std::runtime_error("no role " + std::string(name));
}

TEST(BuiltinRolePolicy, DefinesExactlyTheFiveRolesOfApiMd) {
  const Catalogue c;
  const auto roles = BuiltinRolePolicy().builtin_roles(c);
  std::vector<std::string> names;
  for (const auto& r : roles) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("owner", "admin", "member", "billing", "readonly"));
  EXPECT_THAT(find(roles, "readonly").aliases, ElementsAre("viewer"));
  int owners = 0;
  for (const auto& r : roles) owners += r.is_owner ? 1 : 0;
  EXPECT_EQ(owners, 1);
  EXPECT_TRUE(find(roles, "owner").is_owner);
}

TEST(BuiltinRolePolicy, OwnerHoldsEverything) {
  const Catalogue c;
  const auto roles = BuiltinRolePolicy().builtin_roles(c);
  EXPECT_THAT(c.names(find(roles, "owner").permissions), UnorderedElementsAreArray(kAll));
}

TEST(BuiltinRolePolicy, AdminHoldsEverythingButOrgDelete) {
  const Catalogue c;
  const auto roles = BuiltinRolePolicy().builtin_roles(c);
  EXPECT_THAT(c.names(find(roles, "admin").permissions),
              UnorderedElementsAreArray(without(kAll, "org:delete")));
  EXPECT_FALSE(find(roles, "admin").is_owner);
}

TEST(BuiltinRolePolicy, MemberBillingAndReadonlyAreExact) {
  const Catalogue c;
  const auto roles = BuiltinRolePolicy().builtin_roles(c);
  EXPECT_THAT(c.names(find(roles, "member").permissions),
              ElementsAre("members:read", "data:read", "usage:read", "usage:write",
                          "workspaces:read", "workspaces:write"));
  EXPECT_THAT(c.names(find(roles, "billing").permissions),
              ElementsAre("members:read", "usage:read", "billing:read", "billing:manage"));
  EXPECT_THAT(
      c.names(find(roles, "readonly").permissions),
      ElementsAre("org:read", "members:read", "invitations:read", "roles:read", "api_keys:read",
                  "data:read", "usage:read", "workspaces:read", "billing:read"));
}

TEST(BuiltinRolePolicy, ApplicationPermissionsReachOwnerAdminAndReadonlyReads) {
  Catalogue c;
  ASSERT_TRUE(c.add("reports:read"));
  ASSERT_TRUE(c.add("reports:export"));
  const auto roles = BuiltinRolePolicy().builtin_roles(c);
  const auto read = *c.find("reports:read");
  const auto exp = *c.find("reports:export");
  EXPECT_TRUE(find(roles, "owner").permissions.contains(exp));
  EXPECT_TRUE(find(roles, "admin").permissions.contains(exp));
  EXPECT_TRUE(find(roles, "readonly").permissions.contains(read));
  EXPECT_FALSE(find(roles, "readonly").permissions.contains(exp));
  EXPECT_FALSE(find(roles, "member").permissions.contains(read));
}

TEST(BuiltinRolePolicy, HasNoConditions) {
  const BuiltinRolePolicy p;
  EXPECT_FALSE(p.has_conditions());
  EXPECT_TRUE(p.refine(CheckRequest{}).allowed());
  EXPECT_NE(default_role_policy(), nullptr);
}

}  // namespace
}  // namespace tenantkit::rbac
