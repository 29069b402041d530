// SPDX-License-Identifier: Apache-2.0
// PerfectIndex: an immutable map from a small set of strings (the permission catalogue, at most
// a few hundred names) to 32-bit values, with a collision-free slot function chosen at build
// time. A lookup hashes the key, reads exactly one slot and compares one key: no probe loop, so
// no branch whose outcome depends on which key was asked (the permission of a check is random in
// a request mix, and a mispredicted probe loop flushes the work that overlaps the check's cache
// misses). Built once per catalogue change, never on the check path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "rbac/hash.hpp"
#include "rbac/string_index.hpp"

namespace tenantkit::rbac::detail {

class PerfectIndex {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;

  PerfectIndex() = default;

  /// Maps keys[i] to values[i]. REQUIRES: keys unique, keys.size() == values.size().
  PerfectIndex(std::span<const std::string_view> keys, std::span<const std::uint32_t> values)
      : fallback_(keys, values) {
    const std::size_t n = keys.size();
    if (n == 0) return;
    std::vector<std::uint64_t> hashes(n);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
      hashes[i] = hash_bytes(keys[i]);
      bytes += keys[i].size();
    }
    unsigned bits = 1;
    while ((std::size_t{1} << bits) < 2 * n) ++bits;  // load factor <= 0.5 to start with
    // Try a few multipliers per table size, then a bigger table. Distinct 64-bit hashes are
    // separated quickly; equal ones (never seen in practice) keep the probing index.
    for (const unsigned limit = bits + 3; bits <= limit && !perfect_; ++bits) {
      const std::size_t cap = std::size_t{1} << bits;
      std::vector<std::uint8_t> used(cap);
      for (std::uint64_t seed = 0; seed < 64; ++seed) {
        const std::uint64_t multiplier = (seed * 2 + 1) * 0x9e3779b97f4a7c15ULL;
        std::fill(used.begin(), used.end(), std::uint8_t{0});
        bool ok = true;
        for (std::size_t i = 0; i < n && ok; ++i) {
          const std::size_t at = (hashes[i] * multiplier) >> (64 - bits);
          ok = used[at] == 0;
          used[at] = 1;
        }
        if (!ok) continue;
        multiplier_ = multiplier;
        shift_ = 64 - bits;
        perfect_ = true;
        break;
      }
      if (perfect_) {
        slots_ = std::make_unique<Slot[]>(cap);
        arena_ = std::make_unique<char[]>(bytes);
        std::uint32_t offset = 0;
        for (std::size_t i = 0; i < n; ++i) {
          Slot& s = slots_[(hashes[i] * multiplier_) >> shift_];
          s.hash = hashes[i];
          s.value = values[i];
          s.length = static_cast<std::uint32_t>(keys[i].size());
          s.offset = offset;
          if (!keys[i].empty()) std::memcpy(arena_.get() + offset, keys[i].data(), keys[i].size());
          offset += static_cast<std::uint32_t>(keys[i].size());
        }
        return;
      }
    }
  }

  /// The value of `key`, or npos.
  [[gnu::always_inline]] std::uint32_t find(std::string_view key) const noexcept {
    if (!perfect_) [[unlikely]]
      return fallback_.find(key);
    const std::uint64_t h = hash_bytes(key);
    const Slot& s = slots_[(h * multiplier_) >> shift_];
    // An empty slot has hash 0, which hash_bytes never returns.
    if (s.hash != h || s.length != key.size() ||
        !equal_bytes(arena_.get() + s.offset, key.data(), key.size()))
      return npos;
    return s.value;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t value = 0;
    std::uint32_t length = 0;
    std::uint32_t offset = 0;
  };

  StringIndex fallback_;  // also answers when the key set is empty
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<char[]> arena_;
  std::uint64_t multiplier_ = 0;
  unsigned shift_ = 63;
  bool perfect_ = false;
};

}  // namespace tenantkit::rbac::detail
