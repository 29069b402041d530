// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tenantkit/rbac/decision.hpp>

namespace tenantkit::rbac {
namespace {

TEST(Decision, AllowAndDenyCarryTheirReason) {
  constexpr Decision yes = Decision::allow();
  static_assert(yes.allowed() && yes.reason() == DenyReason::none);
  const Decision no = Decision::deny(DenyReason::explicit_deny, "deny statement");
  EXPECT_FALSE(no.allowed());
  EXPECT_FALSE(static_cast<bool>(no));
  EXPECT_EQ(no.reason(), DenyReason::explicit_deny);
  EXPECT_EQ(no.note(), "deny statement");
  EXPECT_EQ(no, Decision::deny(DenyReason::explicit_deny));
  EXPECT_NE(no, Decision::deny(DenyReason::not_granted));
}

TEST(Decision, EveryReasonHasASpelling) {
  EXPECT_EQ(to_string(DenyReason::none), "none");
  EXPECT_EQ(to_string(DenyReason::unknown_permission), "unknown_permission");
  EXPECT_EQ(to_string(DenyReason::not_a_member), "not_a_member");
  EXPECT_EQ(to_string(DenyReason::not_granted), "not_granted");
  EXPECT_EQ(to_string(DenyReason::explicit_deny), "explicit_deny");
  EXPECT_EQ(to_string(DenyReason::outside_scope), "outside_scope");
  EXPECT_EQ(to_string(DenyReason::condition), "condition");
  EXPECT_EQ(to_string(static_cast<DenyReason>(200)), "unknown");
}

}  // namespace
}  // namespace tenantkit::rbac
