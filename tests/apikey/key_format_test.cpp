// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/apikey/key_format.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::apikey {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;

TEST(KeyFormat, Crc32IsTheIeeeOne) {
  static_assert(crc32("123456789") == 0xCBF43926U);  // the standard check value
  EXPECT_EQ(crc32(""), 0U);
}

TEST(KeyFormat, GeneratedKeysHaveTheDocumentedShape) {
  SeededRandom random(7);
  // tk_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  const auto shape_ok = [&](const std::string& k) {
    return k.size() == 8 + 32 + 1 + 6 && k.starts_with("tk_live_") && k[40] == '_' &&
           std::all_of(k.begin() + 8, k.begin() + 40, alnum) &&
           std::all_of(k.begin() + 41, k.end(), alnum);
  };
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Secret key = generate_key(random, "live");
    EXPECT_TRUE(shape_ok(key.reveal())) << key.reveal();
    auto parsed = parse_key(key.reveal());
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->env, "live");
    EXPECT_EQ(parsed->prefix, key.reveal().substr(0, 16));
    EXPECT_TRUE(seen.insert(key.reveal()).second);
  }
}

TEST(KeyFormat, EntropyIsAtLeast160Bits) {
  // 32 base62 characters, each uniform: 32 * log2(62) ~= 190.5 bits.
  EXPECT_GE(static_cast<double>(kRandomChars) * 5.954, 160.0);
}

TEST(KeyFormat, EverySingleCharacterTypoFailsTheChecksum) {
  SeededRandom random(11);
  const std::string key = generate_key(random, "test").reveal();
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  int checked = 0;
  for (std::size_t i = 8; i < key.size(); ++i) {  // after "tk_test_"
    if (key[i] == '_') continue;
    for (char c : alphabet) {
      if (c == key[i]) continue;
      std::string typo = key;
      typo[i] = c;
      auto r = parse_key(typo);
      ASSERT_THAT(r, HasError(Errc::unauthorized)) << typo;
      EXPECT_EQ(r.error().detail, "API key checksum mismatch");
      ++checked;
    }
  }
  EXPECT_GT(checked, 2000);
}

TEST(KeyFormat, SwappedNeighboursFailTheChecksum) {
  SeededRandom random(12);
  const std::string key = generate_key(random, "live").reveal();
  for (std::size_t i = 8; i + 1 < 8 + kRandomChars; ++i) {
    if (key[i] == key[i + 1]) continue;
    std::string typo = key;
    std::swap(typo[i], typo[i + 1]);
    EXPECT_THAT(parse_key(typo), HasError(Errc::unauthorized)) << typo;
  }
}

TEST(KeyFormat, ChangingTheEnvironmentFailsTheChecksum) {
  SeededRandom random(13);
  std::string key = generate_key(random, "live").reveal();
  key.replace(3, 4, "test");
  EXPECT_THAT(parse_key(key), HasError(Errc::unauthorized));
}

TEST(KeyFormat, MalformedInputIsRejected) {
  SeededRandom random(14);
  const std::string good = generate_key(random, "live").reveal();
  for (const std::string& bad :
       {std::string(), std::string("tk_"), std::string("tk_live_"), std::string("Bearer x"),
        good.substr(0, good.size() - 1), good + "0", "TK" + good.substr(2),
        "tk_LIVE" + good.substr(7), "tk__" + good.substr(8),
        good.substr(0, 40) + "-" + good.substr(41), std::string("eyJhbGciOiJFZERTQSJ9.e30.sig"),
        "tk_" + std::string(17, 'a') + good.substr(7)}) {
    auto r = parse_key(bad);
    ASSERT_THAT(r, HasError(Errc::unauthorized)) << bad;
    EXPECT_EQ(r.error().detail, "malformed API key") << bad;
  }
}

TEST(KeyFormat, EnvironmentRules) {
  EXPECT_TRUE(valid_env("live"));
  EXPECT_TRUE(valid_env("staging2"));
  EXPECT_FALSE(valid_env(""));
  EXPECT_FALSE(valid_env("Live"));
  EXPECT_FALSE(valid_env("a_b"));
  EXPECT_FALSE(valid_env(std::string(17, 'a')));
  EXPECT_TRUE(looks_like_key("tk_live_x"));
  EXPECT_FALSE(looks_like_key("eyJ..."));
}

}  // namespace
}  // namespace tenantkit::apikey
