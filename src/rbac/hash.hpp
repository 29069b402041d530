// SPDX-License-Identifier: Apache-2.0
// Fast, non-cryptographic hashing and comparison of short strings (ids of a few dozen bytes) for
// the RBAC indexes. Keys are not attacker-chosen at insert time (they come from storage) and a
// lookup costs at most one probe sequence, so flooding resistance is not needed here.
// Both read only inside the string, with overlapping fixed-size loads instead of byte loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tenantkit::rbac::detail {

__extension__ typedef unsigned __int128 Uint128;

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline std::uint32_t load4(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

/// Never 0 (0 marks an empty slot in the indexes).
[[gnu::always_inline]] inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = k0 ^ n;
  if (n > 8) {
    for (; n > 16; n -= 8, p += 8) h = mix(h ^ load8(p), k1);
    h = mix(h ^ load8(p), k1);
    h ^= load8(s.data() + s.size() - 8);
  } else if (n >= 4) {
    h ^= (std::uint64_t{load4(p)} << 32) | load4(p + n - 4);
  } else if (n > 0) {
    h ^= (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
         (std::uint64_t{static_cast<unsigned char>(p[n >> 1])} << 8) |
         static_cast<unsigned char>(p[n - 1]);
  }
  return mix(h, k1 ^ k0) | 1U;
}

/// a[0..n) == b[0..n).
[[gnu::always_inline]] inline bool equal_bytes(const char* a, const char* b,
                                               std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// a[0..n) == b[0..n) where `a` is a zero-padded buffer of at least 16 readable bytes and
/// n <= 16. Without a branch on the data for 8 <= n (ids of a request mix are compared against
/// whatever slot they hash to, so the outcome is unpredictable): two overlapping word compares.
[[gnu::always_inline]] inline bool short_equal(const char* a, const char* b,
                                               std::size_t n) noexcept {
  if (n >= 8) [[likely]]
    return ((load8(a) ^ load8(b)) | (load8(a + n - 8) ^ load8(b + n - 8))) == 0;
  return equal_bytes(a, b, n);
}

}  // namespace tenantkit::rbac::detail
