// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/scopes.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::apikey {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

Pepper pepper(std::uint32_t v, char fill) {
  return {v, Secret(std::string(32, fill))};
}

TEST(KeyHasher, RejectsBadPeppers) {
  EXPECT_THAT(KeyHasher::create({}), HasError(Errc::validation_failed));
  EXPECT_THAT(KeyHasher::create({{1, Secret("short")}}), HasError(Errc::validation_failed));
  EXPECT_THAT(KeyHasher::create({pepper(0, 'a')}), HasError(Errc::validation_failed));
  EXPECT_THAT(KeyHasher::create({pepper(1, 'a'), pepper(1, 'b')}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(KeyHasher::create({{1, Secret(std::string(200, 'x'))}}), IsOk());
}

TEST(KeyHasher, NewestVersionIsCurrentAndPeppersMatter) {
  auto h = KeyHasher::create({pepper(1, 'a'), pepper(3, 'c'), pepper(2, 'b')}).value();
  EXPECT_EQ(h.current_version(), 3u);
  const auto v1 = h.hash("secret", 1);
  const auto v3 = h.hash("secret", 3);
  ASSERT_TRUE(v1 && v3);
  EXPECT_FALSE(hash_equal(*v1, *v3));
  EXPECT_TRUE(hash_equal(h.hash("secret"), *v3));
  EXPECT_FALSE(h.hash("secret", 4).has_value());
  // The same pepper in another hasher gives the same hash (it is deterministic, not salted).
  auto other = KeyHasher::create({pepper(1, 'a')}).value();
  EXPECT_TRUE(hash_equal(*other.hash("secret", 1), *v1));
  EXPECT_FALSE(hash_equal(h.hash("secret"), h.hash("secreT")));
}

TEST(KeyHasher, StoredHexFormCompares) {
  auto h = KeyHasher::create({pepper(1, 'a')}).value();
  const KeyHash x = h.hash("k");
  const std::string hex = hash_to_hex(x);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_TRUE(hash_matches(x, hex));
  std::string last = hex;
  last.back() = last.back() == '0' ? '1' : '0';
  EXPECT_FALSE(hash_matches(x, last));
  EXPECT_FALSE(hash_matches(x, hex.substr(0, 63)));
  EXPECT_FALSE(hash_matches(x, ""));
}

TEST(Scopes, MatchingAndWildcards) {
  EXPECT_TRUE(scope_covers("data:read", "data:read"));
  EXPECT_FALSE(scope_covers("data:read", "data:write"));
  EXPECT_TRUE(scope_covers("data:*", "data:write"));
  EXPECT_TRUE(scope_covers("*:read", "usage:read"));
  EXPECT_FALSE(scope_covers("*:read", "usage:write"));
  EXPECT_TRUE(scope_covers("*", "org:delete"));
  EXPECT_FALSE(scope_covers("data", "data:read"));
  const std::vector<std::string> scopes{"data:read", "usage:*"};
  EXPECT_TRUE(scopes_allow(scopes, "usage:write"));
  EXPECT_FALSE(scopes_allow(scopes, "members:read"));
}

TEST(Scopes, Validity) {
  EXPECT_TRUE(valid_scope("data:read"));
  EXPECT_TRUE(valid_scope("api_keys:write"));
  EXPECT_TRUE(valid_scope("*:read"));
  EXPECT_TRUE(valid_scope("*"));
  EXPECT_FALSE(valid_scope("data"));
  EXPECT_FALSE(valid_scope("Data:read"));
  EXPECT_FALSE(valid_scope("data:read:x"));
  EXPECT_FALSE(valid_scope(":read"));
}

TEST(Scopes, CreatorMustHoldAnEquallyWidePermission) {
  const std::vector<std::string> member{"data:read", "usage:write", "workspaces:*"};
  EXPECT_TRUE(permissions_cover_scope(member, "data:read"));
  EXPECT_TRUE(permissions_cover_scope(member, "workspaces:write"));
  EXPECT_TRUE(permissions_cover_scope(member, "workspaces:*"));
  EXPECT_FALSE(permissions_cover_scope(member, "data:*"));
  EXPECT_FALSE(permissions_cover_scope(member, "*"));
  EXPECT_FALSE(permissions_cover_scope(member, "billing:manage"));
  const std::vector<std::string> owner{"*"};
  EXPECT_TRUE(permissions_cover_scope(owner, "*"));
}

}  // namespace
}  // namespace tenantkit::apikey
