// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/auth/password.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "auth/common_passwords.hpp"

namespace tenantkit::auth {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

PasswordHasher fast_hasher() {
  return PasswordHasher::create(PasswordHashOptions::minimum()).value();
}

TEST(PasswordHasher, DefaultsMeetOwasp) {
  const PasswordHashOptions d;
  EXPECT_GE(d.memory_bytes, std::size_t{19} << 20);
  EXPECT_GE(d.iterations, 2u);
}

TEST(PasswordHasher, DefaultParametersHashAndVerify) {
  auto hasher = PasswordHasher::create();
  ASSERT_THAT(hasher, IsOk());
  auto h = hasher->hash("correct battery horse");
  ASSERT_THAT(h, IsOk());
  EXPECT_THAT(*h, ::testing::StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(hasher->verify(*h, "correct battery horse"));
  EXPECT_FALSE(hasher->verify(*h, "correct battery horsE"));
  EXPECT_FALSE(hasher->needs_rehash(*h));
}

TEST(PasswordHasher, RejectsParametersBelowLibsodiumMinimum) {
  EXPECT_THAT(PasswordHasher::create({.iterations = 0, .memory_bytes = 1 << 20}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(PasswordHasher::create({.iterations = 2, .memory_bytes = 1024}),
              HasError(Errc::validation_failed));
}

TEST(PasswordHasher, SaltMakesEveryHashDifferent) {
  auto hasher = fast_hasher();
  auto a = hasher.hash("same password!");
  auto b = hasher.hash("same password!");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(hasher.verify(*a, "same password!"));
  EXPECT_TRUE(hasher.verify(*b, "same password!"));
}

TEST(PasswordHasher, MalformedHashNeverMatches) {
  auto hasher = fast_hasher();
  EXPECT_FALSE(hasher.verify("", ""));
  EXPECT_FALSE(hasher.verify("$argon2id$garbage", "x"));
  EXPECT_FALSE(hasher.verify(std::string(500, 'a'), "x"));
  EXPECT_TRUE(hasher.needs_rehash("not a hash"));
}

TEST(PasswordHasher, CheckRehashesWhenParametersChange) {
  auto old_hasher = fast_hasher();
  auto stored = old_hasher.hash("a long enough secret");
  ASSERT_THAT(stored, IsOk());
  auto new_hasher = PasswordHasher::create({.iterations = 2, .memory_bytes = 16384}).value();
  EXPECT_TRUE(new_hasher.needs_rehash(*stored));
  auto outcome = new_hasher.check(*stored, "a long enough secret");
  ASSERT_THAT(outcome, IsOk());
  ASSERT_TRUE(outcome->rehashed.has_value());
  EXPECT_THAT(*outcome->rehashed, ::testing::HasSubstr("m=16,t=2"));
  EXPECT_TRUE(new_hasher.verify(*outcome->rehashed, "a long enough secret"));
  EXPECT_FALSE(new_hasher.needs_rehash(*outcome->rehashed));
  // Same parameters: no rehash.
  auto again = new_hasher.check(*outcome->rehashed, "a long enough secret");
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->rehashed.has_value());
}

TEST(PasswordHasher, CheckWrongPasswordIsUnauthorized) {
  auto hasher = fast_hasher();
  auto stored = hasher.hash("a long enough secret").value();
  EXPECT_THAT(hasher.check(stored, "a long enough secreT"), HasError(Errc::unauthorized));
  hasher.verify_dummy("anything");  // must not crash; spends a verify
}

TEST(PasswordHasher, RefusesToHashHugeInput) {
  auto hasher = fast_hasher();
  EXPECT_THAT(hasher.hash(std::string(1025, 'x')), HasError(Errc::validation_failed));
  EXPECT_FALSE(hasher.verify("$argon2id$v=19$m=8,t=1,p=1$x$y", std::string(1025, 'x')));
}

TEST(PasswordPolicy, LengthBounds) {
  EXPECT_THAT(check_password_policy("short1!"), HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy("nine char"), HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy("ten chars!"), IsOk());
  EXPECT_THAT(check_password_policy(std::string(1024, 'z')), IsOk());
  EXPECT_THAT(check_password_policy(std::string(1025, 'z')), HasError(Errc::validation_failed));
  // Length counts characters, not bytes: 9 two-byte characters are still too short.
  std::string umlauts;
  for (int i = 0; i < 9; ++i) umlauts += "\xC3\xA4";
  EXPECT_THAT(check_password_policy(umlauts), HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy(umlauts + "\xC3\xA4"), IsOk());
}

TEST(PasswordPolicy, ErrorNamesThePasswordField) {
  auto r = check_password_policy("short");
  ASSERT_THAT(r, HasError(Errc::validation_failed));
  ASSERT_EQ(r.error().fields.size(), 1u);
  EXPECT_EQ(r.error().fields[0].field, "password");
}

TEST(PasswordPolicy, RejectsCommonPasswordsCaseInsensitively) {
  EXPECT_GE(detail::common_password_count(), 300u);
  EXPECT_THAT(check_password_policy("1234567890"), HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy("Password123"), HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy("QWERTYUIOP"), HasError(Errc::validation_failed));
  EXPECT_TRUE(is_common_password("IloveYou"));
  EXPECT_FALSE(is_common_password("tr0ub4dor&3-horse"));
  EXPECT_THAT(check_password_policy("Password123", {.reject_common = false}), IsOk());
}

TEST(PasswordPolicy, RejectsContextWords) {
  EXPECT_THAT(check_password_policy("Alice@Example.com", {}, {"alice@example.com", "Alice"}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(check_password_policy("alice-in-wonderland", {}, {"alice@example.com", ""}), IsOk());
}

}  // namespace
}  // namespace tenantkit::auth
