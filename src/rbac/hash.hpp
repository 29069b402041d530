// SPDX-License-Identifier: Apache-2.0
// A fast, non-cryptographic 64-bit string hash for the RBAC indexes (ids of at most a few dozen
// bytes). Keys are not attacker-chosen at insert time (they come from storage), and a lookup
// costs at most one probe sequence, so flooding resistance is not needed here.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tenantkit::rbac::detail {

__extension__ typedef unsigned __int128 Uint128;

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

/// Never 0 (0 marks an empty slot in the indexes).
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  std::uint64_t h = k0 ^ s.size();
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w, k1);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = mix(h ^ w, k1 ^ (n << 56));
  }
  h = mix(h, k0);
  return h | 1U;
}

}  // namespace tenantkit::rbac::detail
