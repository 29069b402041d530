// SPDX-License-Identifier: Apache-2.0
// The deterministic generators of /work/shared/bench/quota-workload.md section 2 (splitmix64,
// Zipf(1.1) over 10,000 tenants, Uniform(M)) and their check values (section 2.4). Every
// sequence is checked before any timing; a mismatch aborts the run.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace tenantkit::bench {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

inline std::vector<std::uint32_t> zipf_sequence(std::uint64_t seed, std::size_t n,
                                                std::size_t tenants = 10'000, double s = 1.1) {
  std::vector<double> cum(tenants);
  double sum = 0;
  for (std::size_t i = 0; i < tenants; ++i) {
    sum += std::pow(static_cast<double>(i + 1), -s);
    cum[i] = sum;
  }
  const double total = cum.back();
  SplitMix64 rng(seed);
  std::vector<std::uint32_t> seq(n);
  for (auto& id : seq) {
    const double target = rng.unit() * total;
    auto it = std::upper_bound(cum.begin(), cum.end(), target);
    id = static_cast<std::uint32_t>(it == cum.end() ? tenants - 1 : it - cum.begin());
  }
  return seq;
}

inline std::vector<std::uint32_t> uniform_sequence(std::uint64_t seed, std::size_t n,
                                                   std::size_t m) {
  SplitMix64 rng(seed);
  std::vector<std::uint32_t> seq(n);
  for (auto& id : seq) id = static_cast<std::uint32_t>(rng.unit() * static_cast<double>(m));
  return seq;
}

struct CheckValues {
  std::uint64_t sum_first_1000 = 0;
  std::uint64_t sum_all = 0;
  std::uint32_t hash31 = 0;
  std::uint64_t count0 = 0;
  std::uint64_t max_count = 0;
  std::uint64_t min_count = 0;
  std::uint64_t distinct = 0;
  std::vector<std::uint32_t> first10;
};

inline CheckValues check_values(const std::vector<std::uint32_t>& seq, std::size_t tenants) {
  CheckValues v;
  std::vector<std::uint64_t> counts(tenants, 0);
  for (std::size_t i = 0; i < seq.size(); ++i) {
    if (i < 1000) v.sum_first_1000 += seq[i];
    if (i < 10) v.first10.push_back(seq[i]);
    v.sum_all += seq[i];
    v.hash31 = v.hash31 * 31U + seq[i];
    ++counts[seq[i]];
  }
  v.count0 = counts[0];
  v.max_count = *std::max_element(counts.begin(), counts.end());
  v.min_count = *std::min_element(counts.begin(), counts.end());
  v.distinct = static_cast<std::uint64_t>(
      std::count_if(counts.begin(), counts.end(), [](std::uint64_t c) { return c > 0; }));
  return v;
}

/// Aborts loudly unless `seq` has exactly the published check values.
inline void require_check_values(const char* name, const std::vector<std::uint32_t>& seq,
                                 std::size_t tenants, const std::vector<std::uint32_t>& first10,
                                 std::uint64_t sum_first_1000, std::uint64_t sum_all,
                                 std::uint32_t hash31, std::uint64_t count0,
                                 std::uint64_t max_count, std::uint64_t min_count,
                                 std::uint64_t distinct) {
  const CheckValues v = check_values(seq, tenants);
  const bool good = v.first10 == first10 && v.sum_first_1000 == sum_first_1000 &&
                    v.sum_all == sum_all && v.hash31 == hash31 && v.count0 == count0 &&
                    v.max_count == max_count && v.min_count == min_count && v.distinct == distinct;
  if (!good) {
    std::fprintf(
        stderr,
        "FATAL: sequence %s does not match quota-workload.md 2.4: sumFirst1000=%llu "
        "sumAll=%llu hash31=%u count0=%llu maxCount=%llu minCount=%llu distinct=%llu\n",
        name, static_cast<unsigned long long>(v.sum_first_1000),
        static_cast<unsigned long long>(v.sum_all), v.hash31,
        static_cast<unsigned long long>(v.count0), static_cast<unsigned long long>(v.max_count),
        static_cast<unsigned long long>(v.min_count), static_cast<unsigned long long>(v.distinct));
    std::abort();
  }
}

/// Zipf seed 42, 1,000,000 decisions (W1, W3, W4, W2 thread 0), checked.
inline const std::vector<std::uint32_t>& zipf42() {
  static const auto seq = [] {
    auto s = zipf_sequence(42, 1'000'000);
    require_check_values("zipf42", s, 10'000, {281, 1, 3, 5, 0, 1384, 1, 573, 5, 73}, 673943,
                         670321700, 447131236U, 151452, 151452, 0, 9997);
    return s;
  }();
  return seq;
}

/// Zipf seed 43, 1,000,000 decisions (W2 thread 1), checked.
inline const std::vector<std::uint32_t>& zipf43() {
  static const auto seq = [] {
    auto s = zipf_sequence(43, 1'000'000);
    require_check_values("zipf43", s, 10'000, {241, 69, 12, 839, 0, 0, 4, 1707, 102, 1}, 611645,
                         668398057, 3996565721U, 151077, 151077, 0, 9999);
    return s;
  }();
  return seq;
}

/// Uniform(100) seed 42, 200,000 decisions (W5), checked.
inline const std::vector<std::uint32_t>& uniform100() {
  static const auto seq = [] {
    auto s = uniform_sequence(42, 200'000, 100);
    require_check_values("uniform100", s, 100, {74, 15, 27, 34, 3, 86, 21, 80, 33, 61}, 48463,
                         9889423, 2822877595U, 1987, 2097, 1889, 100);
    return s;
  }();
  return seq;
}

/// "t0" .. "t<n-1>".
inline std::vector<std::string> tenant_keys(std::size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Appended, not "t" + to_string(i): GCC 12 warns (-Wrestrict, a false positive) on that.
    std::string key = "t";
    key += std::to_string(i);
    keys.push_back(std::move(key));
  }
  return keys;
}

/// Per-tenant expected allowed counts: min(decisions for the tenant, limit).
inline std::vector<std::int64_t> expected_allowed(const std::vector<std::uint32_t>& seq,
                                                  std::size_t tenants, std::int64_t limit) {
  std::vector<std::int64_t> e(tenants, 0);
  for (auto id : seq) ++e[id];
  for (auto& x : e) x = std::min(x, limit);
  return e;
}

}  // namespace tenantkit::bench
