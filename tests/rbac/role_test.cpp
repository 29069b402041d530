// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include <tenantkit/rbac/role.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::rbac {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

TEST(RoleName, AcceptsTheDocumentedAlphabet) {
  EXPECT_THAT(validate_role_name("support-tier.2:eu_West"), IsOk());
  EXPECT_THAT(validate_role_name(std::string(kMaxRoleName, 'r')), IsOk());
}

TEST(RoleName, RejectsEmptyLongAndOtherCharacters) {
  EXPECT_THAT(validate_role_name(""), HasError(Errc::validation_failed));
  EXPECT_THAT(validate_role_name(std::string(kMaxRoleName + 1, 'r')),
              HasError(Errc::validation_failed));
  EXPECT_THAT(validate_role_name("sales team"), HasError(Errc::validation_failed));
  EXPECT_THAT(validate_role_name("ops/*"), HasError(Errc::validation_failed));
  auto r = validate_role_name("a b");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().fields.size(), 1U);
  EXPECT_EQ(r.error().fields[0].field, "name");
}

}  // namespace
}  // namespace tenantkit::rbac
