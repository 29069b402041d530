#include <set>

#include <gtest/gtest.h>

#include <tenantkit/tenant/resolver.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit {
namespace {

using testing::HasError;
using testing::IsOk;

const TenantId kA = TenantId::from_trusted("org-a");
const TenantId kB = TenantId::from_trusted("org-b");
const TenantId kC = TenantId::from_trusted("org-c");

// The principal is a member of A and C only.
MembershipCheck member_of_a_and_c() {
  return [](const TenantId& org) -> Result<bool> { return org == kA || org == kC; };
}

TEST(ResolveTenant, CredentialOrgWinsAndTheHeaderIsIgnored) {
  auto r = resolve_tenant({.credential_org = kB, .org_header = "org-a", .token_org = kA},
                          member_of_a_and_c());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->tenant, kB);  // API.md: the key's org, whatever X-Org-Id says
  EXPECT_EQ(r->source, TenantSource::credential);
}

TEST(ResolveTenant, HeaderBeatsTokenWhenTheCallerIsAMember) {
  auto r = resolve_tenant({.org_header = "org-c", .token_org = kA}, member_of_a_and_c());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->tenant, kC);
  EXPECT_EQ(r->source, TenantSource::header);
}

TEST(ResolveTenant, HeaderNamingAnotherOrgIsNotFoundNotForbidden) {
  EXPECT_THAT(resolve_tenant({.org_header = "org-b", .token_org = kA}, member_of_a_and_c()),
              HasError(Errc::not_found));
  // An org that does not exist answers exactly the same.
  auto missing = resolve_tenant({.org_header = "org-zzz"}, member_of_a_and_c());
  auto foreign = resolve_tenant({.org_header = "org-b"}, member_of_a_and_c());
  ASSERT_FALSE(missing);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(missing.error(), foreign.error());
}

TEST(ResolveTenant, MalformedHeaderIsBadRequest) {
  EXPECT_THAT(resolve_tenant({.org_header = "a b"}, member_of_a_and_c()),
              HasError(Errc::bad_request));
  EXPECT_THAT(resolve_tenant({.org_header = ""}, member_of_a_and_c()), HasError(Errc::bad_request));
}

TEST(ResolveTenant, SlugIsLookedUpAndMembershipChecked) {
  SlugLookup lookup = [](std::string_view slug) -> Result<std::optional<TenantId>> {
    if (slug == "acme") return std::optional<TenantId>(kA);
    if (slug == "globex") return std::optional<TenantId>(kB);
    return std::optional<TenantId>();
  };
  auto r = resolve_tenant({.slug = "acme"}, member_of_a_and_c(), lookup);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->tenant, kA);
  EXPECT_EQ(r->source, TenantSource::slug);
  EXPECT_THAT(resolve_tenant({.slug = "globex"}, member_of_a_and_c(), lookup),
              HasError(Errc::not_found));
  EXPECT_THAT(resolve_tenant({.slug = "nope"}, member_of_a_and_c(), lookup),
              HasError(Errc::not_found));
}

TEST(ResolveTenant, TokenOrgIsRecheckedSoRemovedMembersLoseAccess) {
  auto r = resolve_tenant({.token_org = kA}, member_of_a_and_c());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source, TenantSource::token);
  EXPECT_THAT(resolve_tenant({.token_org = kB}, member_of_a_and_c()), HasError(Errc::not_found));
}

TEST(ResolveTenant, NothingToResolveIsNotAnErrorUntilRequired) {
  auto r = resolve_tenant({}, member_of_a_and_c());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source, TenantSource::none);
  EXPECT_THAT(require_tenant(*r), HasError(Errc::bad_request));
}

TEST(ResolveTenant, MembershipBackendFailureIsUnavailableNotAGrant) {
  MembershipCheck failing = [](const TenantId&) -> Result<bool> {
    return Error{Errc::unavailable, "database down"};
  };
  EXPECT_THAT(resolve_tenant({.org_header = "org-a"}, failing), HasError(Errc::unavailable));
  EXPECT_THAT(resolve_tenant({.token_org = kA}, failing), HasError(Errc::unavailable));
}

}  // namespace
}  // namespace tenantkit
