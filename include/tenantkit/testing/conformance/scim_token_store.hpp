// SPDX-License-Identifier: Apache-2.0
// Conformance suite for storage::ScimTokenStore: replace revokes the previous token atomically,
// hash uniqueness, revoke, tenant isolation. Instantiate in namespace tenantkit::testing (see
// all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class ScimTokenStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::ScimTokenStore& tokens() { return this->db().scim_tokens(); }

  std::optional<storage::ScimToken> find(const std::string& hash) {
    return must(tokens().find_by_hash(hash), "scim_tokens().find_by_hash");
  }
};
TYPED_TEST_SUITE_P(ScimTokenStoreConformance);

TYPED_TEST_P(ScimTokenStoreConformance, ReplaceStoresAndFindByHashReturnsIt) {
  auto a = this->make_tenant();
  auto t = this->s_.scim_token(a.org.id);
  t.created_at = odd_micros(t.created_at);
  EXPECT_THAT(this->tokens().replace(a.org.id, t), IsOkAndHolds(t));
  EXPECT_EQ(this->find(t.token_hash), std::optional(t));
  EXPECT_EQ(this->find("no-such-hash"), std::nullopt);
}

TYPED_TEST_P(ScimTokenStoreConformance, ReplaceRevokesThePreviousTokenAtTheNewCreationTime) {
  auto a = this->make_tenant();
  auto first = must(this->tokens().replace(a.org.id, this->s_.scim_token(a.org.id)));
  auto second = this->s_.scim_token(a.org.id);
  second.created_at = odd_micros(second.created_at);
  ASSERT_THAT(this->tokens().replace(a.org.id, second), IsOk());
  auto old = this->find(first.token_hash);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->revoked_at, std::optional(second.created_at));
  auto current = this->find(second.token_hash);
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->revoked_at, std::nullopt);
}

TYPED_TEST_P(ScimTokenStoreConformance, ReplaceConflictsOnATakenHashAndKeepsTheCurrentToken) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto current = must(this->tokens().replace(a.org.id, this->s_.scim_token(a.org.id)));
  auto theirs = must(this->tokens().replace(b.org.id, this->s_.scim_token(b.org.id)));
  auto clash = this->s_.scim_token(a.org.id);
  clash.token_hash = theirs.token_hash;
  EXPECT_THAT(this->tokens().replace(a.org.id, clash), HasError(Errc::conflict));
  EXPECT_EQ(this->find(current.token_hash), std::optional(current));
  EXPECT_EQ(this->find(theirs.token_hash), std::optional(theirs));
}

TYPED_TEST_P(ScimTokenStoreConformance, ReplaceForAnAbsentOrgIsNotFound) {
  auto ghost = this->s_.template id<OrgId>();
  auto t = this->s_.scim_token(ghost);
  EXPECT_THAT(this->tokens().replace(ghost, t), HasError(Errc::not_found));
  EXPECT_EQ(this->find(t.token_hash), std::nullopt);
}

TYPED_TEST_P(ScimTokenStoreConformance, RevokeTouchesOnlyTheOrgsActiveToken) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  auto mine = must(this->tokens().replace(a.org.id, this->s_.scim_token(a.org.id)));
  auto theirs = must(this->tokens().replace(b.org.id, this->s_.scim_token(b.org.id)));
  const auto when = odd_micros(this->s_.now());
  ASSERT_THAT(this->tokens().revoke(a.org.id, when), IsOk());
  auto revoked = this->find(mine.token_hash);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->revoked_at, std::optional(when));
  EXPECT_EQ(this->find(theirs.token_hash), std::optional(theirs));
  // Nothing active left: revoking again is fine and changes nothing.
  ASSERT_THAT(this->tokens().revoke(a.org.id, when + std::chrono::hours(1)), IsOk());
  EXPECT_EQ(this->find(mine.token_hash), revoked);
  auto c = this->make_tenant();
  EXPECT_THAT(this->tokens().revoke(c.org.id, when), IsOk());
}

REGISTER_TYPED_TEST_SUITE_P(ScimTokenStoreConformance, ReplaceStoresAndFindByHashReturnsIt,
                            ReplaceRevokesThePreviousTokenAtTheNewCreationTime,
                            ReplaceConflictsOnATakenHashAndKeepsTheCurrentToken,
                            ReplaceForAnAbsentOrgIsNotFound, RevokeTouchesOnlyTheOrgsActiveToken);

}  // namespace tenantkit::testing
