#include <array>

#include <gtest/gtest.h>

#include <tenantkit/core/random.hpp>

namespace tenantkit {
namespace {

TEST(SystemRandom, ProducesDifferentBytesEachCall) {
  std::array<std::byte, 32> a{}, b{};
  system_random().fill(a);
  system_random().fill(b);
  EXPECT_NE(a, b);
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  SeededRandom random(7);
  std::array<int, 6> counts{};
  for (int i = 0; i < 6000; ++i) {
    const auto v = random.uniform(6);
    ASSERT_LT(v, 6u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_GT(c, 800);
}

TEST(SeededRandom, IsSplitmix64AndReproducible) {
  // First splitmix64 outputs for seed 42 (shared/bench/quota-workload.md, section 2.1).
  SeededRandom random(42);
  EXPECT_EQ(random.next_u64(), 0xbdd732262feb6e95ULL);
  EXPECT_EQ(random.next_u64(), 0x28efe333b266f103ULL);
  EXPECT_EQ(random.next_u64(), 0x47526757130f9f52ULL);
}

}  // namespace
}  // namespace tenantkit
