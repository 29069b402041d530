// SPDX-License-Identifier: Apache-2.0
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/rbac/permission.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;
using ::testing::ElementsAre;

TEST(PermissionSet, InsertEraseContainsAndSetAlgebra) {
  PermissionSet a{perm::members_read, perm::data_read};
  EXPECT_TRUE(a.contains(perm::members_read));
  EXPECT_FALSE(a.contains(perm::members_write));
  EXPECT_FALSE(a.contains(static_cast<PermissionId>(kMaxPermissions)));
  a.insert(static_cast<PermissionId>(255));
  EXPECT_TRUE(a.contains(static_cast<PermissionId>(255)));
  EXPECT_EQ(a.size(), 3U);
  a.erase(static_cast<PermissionId>(255));
  EXPECT_EQ(a.size(), 2U);

  const PermissionSet b{perm::data_read, perm::usage_read};
  EXPECT_EQ(a | b, (PermissionSet{perm::members_read, perm::data_read, perm::usage_read}));
  EXPECT_EQ(a & b, PermissionSet{perm::data_read});
  EXPECT_EQ(a - b, PermissionSet{perm::members_read});
  EXPECT_TRUE((a & b).is_subset_of(a));
  EXPECT_FALSE(a.is_subset_of(b));
  EXPECT_TRUE(PermissionSet{}.empty());
  std::vector<PermissionId> seen;
  (a | b).for_each([&](PermissionId id) { seen.push_back(id); });
  EXPECT_THAT(seen, ElementsAre(perm::members_read, perm::data_read, perm::usage_read));
}

TEST(Catalogue, HoldsTheBuiltinsWithFixedIds) {
  const Catalogue c;
  ASSERT_EQ(c.size(), perm::kBuiltinNames.size());
  EXPECT_EQ(c.find("members:read"), perm::members_read);
  EXPECT_EQ(c.find("org:delete"), perm::org_delete);
  EXPECT_EQ(c.find("scim:manage"), perm::scim_manage);
  EXPECT_EQ(c.name(perm::billing_manage), "billing:manage");
  for (std::size_t i = 0; i < perm::kBuiltinNames.size(); ++i)
    EXPECT_EQ(c.find(perm::kBuiltinNames[i]), static_cast<PermissionId>(i));
  EXPECT_EQ(c.find("members:delete"), std::nullopt);
  EXPECT_EQ(c.all().size(), c.size());
}

TEST(Catalogue, AddRegistersOnceAndRejectsBadNames) {
  Catalogue c;
  auto id = c.add("reports:export");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(static_cast<std::size_t>(*id), perm::kBuiltinNames.size());
  EXPECT_THAT(c.add("reports:export"), IsOkAndHolds(*id));
  EXPECT_EQ(c.find("reports:export"), *id);
  EXPECT_THAT(c.add("reports:*"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("*"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("reports"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("Reports:export"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("reports:"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add(":export"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("reports:ex port"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.add("a:" + std::string(kMaxNamePart + 1, 'b')), HasError(Errc::validation_failed));
}

TEST(Catalogue, RejectsMoreThanTheMaximum) {
  Catalogue c;
  for (std::size_t i = c.size(); i < kMaxPermissions; ++i)
    ASSERT_THAT(c.add("custom:a" + std::to_string(i)), IsOk());
  EXPECT_EQ(c.size(), kMaxPermissions);
  auto over = c.add("custom:overflow");
  ASSERT_THAT(over, HasError(Errc::validation_failed));
  EXPECT_THAT(over.error().detail, ::testing::HasSubstr("at most 256"));
  // Existing names still resolve when full.
  EXPECT_THAT(c.add("custom:a30"), IsOk());
}

TEST(Catalogue, WildcardsMatchResourceActionOrEverything) {
  Catalogue c;
  ASSERT_THAT(c.add("reports:read"), IsOk());
  EXPECT_THAT(c.match("members:*"),
              IsOkAndHolds(PermissionSet{perm::members_read, perm::members_write}));
  auto reads = c.match("*:read");
  ASSERT_THAT(reads, IsOk());
  EXPECT_EQ(c.names(*reads),
            (std::vector<std::string>{"org:read", "members:read", "invitations:read", "roles:read",
                                      "api_keys:read", "data:read", "usage:read", "workspaces:read",
                                      "billing:read", "audit:read", "reports:read"}));
  EXPECT_THAT(c.match("*"), IsOkAndHolds(c.all()));
  EXPECT_THAT(c.match("data:read"), IsOkAndHolds(PermissionSet{perm::data_read}));
  // Typos fail instead of silently granting nothing.
  EXPECT_THAT(c.match("memebrs:*"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.match("*:reed"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.match("data:destroy"), HasError(Errc::validation_failed));
  EXPECT_THAT(c.match("**"), HasError(Errc::validation_failed));
  const std::vector<std::string> both{"members:*", "billing:read"};
  EXPECT_THAT(c.match_all(both), IsOkAndHolds(PermissionSet{perm::members_read, perm::members_write,
                                                            perm::billing_read}));
}

TEST(PermissionPattern, ParsesPartsAndMatches) {
  auto parsed = PermissionPattern::parse("members:*");
  ASSERT_THAT(parsed, IsOk());
  const PermissionPattern p = parsed.value();
  EXPECT_FALSE(p.is_exact());
  EXPECT_TRUE(p.matches("members", "write"));
  EXPECT_FALSE(p.matches("member", "write"));
  auto any = PermissionPattern::parse("*");
  ASSERT_THAT(any, IsOk());
  EXPECT_TRUE(any.value().matches("x", "y"));
  EXPECT_THAT(PermissionPattern::parse("a:b:c"), HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::rbac
