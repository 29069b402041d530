// SPDX-License-Identifier: Apache-2.0
// Random: the source of secret bytes (keys, tokens, ids), injectable for tests.
// system_random() is libsodium's randombytes (the OS CSPRNG). SeededRandom is deterministic and
// NOT cryptographic: tests only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <tenantkit/core/time.hpp>

namespace tenantkit {

/// A source of random bytes. Implementations are safe for concurrent use.
class Random {
 public:
  virtual ~Random();
  Random(const Random&) = delete;
  Random& operator=(const Random&) = delete;

  /// Fills `out` with random bytes. Never fails (a CSPRNG failure aborts the process).
  virtual void fill(std::span<std::byte> out) noexcept = 0;

  /// A uniformly random 64-bit value.
  std::uint64_t next_u64() noexcept;
  /// A uniformly random value in [0, bound), without modulo bias. REQUIRES: bound > 0.
  std::uint64_t uniform(std::uint64_t bound) noexcept;

 protected:
  Random() = default;
};

/// The process-wide CSPRNG (libsodium randombytes_buf); lives for the whole program.
Random& system_random() noexcept;

/// Deterministic bytes from a 64-bit seed (splitmix64). For reproducible tests; never for secrets.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) noexcept : state_(seed) {}
  void fill(std::span<std::byte> out) noexcept override;

 private:
  std::atomic<std::uint64_t> state_;
};

/// A UUIDv7 (RFC 9562) in its 36-character text form: time-ordered by `now`, 74 random bits.
std::string uuid_v7(Random& random, Timestamp now);

}  // namespace tenantkit
