// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include <tenantkit/core/random.hpp>

namespace tenantkit {
namespace {

class SodiumRandom final : public Random {
 public:
  SodiumRandom() {
    if (sodium_init() < 0) {
      std::fputs("tenantkit: libsodium failed to initialise\n", stderr);
      std::abort();
    }
  }
  void fill(std::span<std::byte> out) noexcept override { randombytes_buf(out.data(), out.size()); }
};

}  // namespace

Random::~Random() = default;

std::uint64_t Random::next_u64() noexcept {
  std::uint64_t v = 0;
  fill(std::span<std::byte>(reinterpret_cast<std::byte*>(&v), sizeof v));
  return v;
}

std::uint64_t Random::uniform(std::uint64_t bound) noexcept {
  // Rejection sampling: discard the top partial range so every value is equally likely.
  const std::uint64_t limit = bound == 0 ? 0 : (~std::uint64_t{0} - (~std::uint64_t{0} % bound));
  for (;;) {
    const std::uint64_t v = next_u64();
    if (v < limit) return v % bound;
  }
}

Random& system_random() noexcept {
  static SodiumRandom random;
  return random;
}

void SeededRandom::fill(std::span<std::byte> out) noexcept {
  std::size_t i = 0;
  while (i < out.size()) {
    std::uint64_t z =
        state_.fetch_add(0x9E3779B97F4A7C15ULL, std::memory_order_relaxed) + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    const std::size_t n = std::min(sizeof z, out.size() - i);
    std::memcpy(out.data() + i, &z, n);
    i += n;
  }
}

std::string uuid_v7(Random& random, Timestamp now) {
  std::array<unsigned char, 16> b{};
  random.fill(std::as_writable_bytes(std::span(b)));
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  for (int i = 0; i < 6; ++i)
    b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

}  // namespace tenantkit
