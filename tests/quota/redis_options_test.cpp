// SPDX-License-Identifier: Apache-2.0
// open_backend()'s validation and its answer when nothing listens (no Redis needed).
#include <chrono>

#include <gtest/gtest.h>

#include <tenantkit/quota/redis/backend.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::quota::redis {
namespace {

using testing::HasError;

TEST(RedisOptions, RejectsBadOptionsNamingThem) {
  InMemoryLimitSource limits;
  for (const char* url : {"", "http://127.0.0.1:6379", "redis://", "redis://h:0", "redis://h:99999",
                          "redis://h:12/x", "redis://u:p@h:1/0"}) {
    auto r = open_backend({.url = url}, limits);
    EXPECT_THAT(r, HasError(Errc::validation_failed)) << url;
  }
  auto r = open_backend({.url = "redis://127.0.0.1:1/0", .pool_size = 0}, limits);
  ASSERT_THAT(r, HasError(Errc::validation_failed));
  EXPECT_NE(r.error().detail.find("pool_size"), std::string::npos);
  EXPECT_THAT(open_backend(
                  {.url = "redis://127.0.0.1:1/0", .command_timeout = std::chrono::milliseconds{0}},
                  limits),
              HasError(Errc::validation_failed));
  EXPECT_THAT(open_backend({.url = "redis://127.0.0.1:1/0", .key_prefix = "a{b}"}, limits),
              HasError(Errc::validation_failed));
  for (std::size_t batch : {std::size_t{0}, std::size_t{1025}}) {
    auto b = open_backend({.url = "redis://127.0.0.1:1/0", .batch_size = batch}, limits);
    ASSERT_THAT(b, HasError(Errc::validation_failed));
    EXPECT_NE(b.error().detail.find("batch_size"), std::string::npos);
  }
}

TEST(RedisOptions, ClusterSlotIsRedisKeyHashSlotOfTheTenant) {
  // Values of CLUSTER KEYSLOT (the CRC16 check value of "123456789" is 0x31C3).
  EXPECT_EQ(cluster_slot("123456789"), 0x31C3);
  EXPECT_EQ(cluster_slot("foo"), 12182);
  EXPECT_EQ(cluster_slot("somekey"), 11058);
  EXPECT_EQ(cluster_slot("hash_tag"), 2515);
  EXPECT_EQ(cluster_slot("t0"), cluster_slot("t0"));
  EXPECT_NE(cluster_slot("t0"), cluster_slot("t1"));
  EXPECT_LT(cluster_slot("t4711"), 16384);
}

TEST(RedisOptions, NothingListeningIsUnavailableQuickly) {
  InMemoryLimitSource limits;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = open_backend(
      {.url = "redis://127.0.0.1:1/0", .connect_timeout = std::chrono::milliseconds{200}}, limits);
  EXPECT_THAT(r, HasError(Errc::unavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds{2});
}

}  // namespace
}  // namespace tenantkit::quota::redis
