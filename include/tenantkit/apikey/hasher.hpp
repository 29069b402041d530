// SPDX-License-Identifier: Apache-2.0
// KeyHasher: the keyed hash under which API keys (and other bearer secrets) are stored.
// BLAKE2b-256 (libsodium crypto_generichash) keyed with a server-side pepper, so a leaked table of
// hashes cannot be brute-forced or checked without the pepper. Peppers are versioned: records keep
// the version they were hashed with, new hashes use the newest, and an old pepper stays configured
// until no record uses it. Immutable after creation; safe for concurrent use; never allocates
// when hashing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::apikey {

/// A 32-byte keyed hash.
using KeyHash = std::array<std::uint8_t, 32>;

/// Constant-time equality of two hashes (sodium_memcmp).
bool hash_equal(const KeyHash& a, const KeyHash& b) noexcept;

/// The stored form of a hash: 64 lower-case hex characters (storage records keep text).
std::string hash_to_hex(const KeyHash& h);

/// Constant-time comparison of `h` with a stored hex hash; false when `stored_hex` is malformed.
/// Never allocates.
bool hash_matches(const KeyHash& h, std::string_view stored_hex) noexcept;

/// One pepper and its version.
struct Pepper {
  std::uint32_t version = 1;  ///< Stored with each hash. Valid: >= 1, unique in a KeyHasher.
  Secret key;                 ///< At least 32 bytes of high-entropy secret.
};

/// Keyed hashing with versioned peppers.
class KeyHasher {
 public:
  /// Errors: validation_failed (no pepper, a key shorter than 32 bytes, version 0, duplicate
  /// version).
  static Result<KeyHasher> create(std::vector<Pepper> peppers);

  KeyHasher(const KeyHasher&) = default;
  KeyHasher& operator=(const KeyHasher&) = default;
  /// Wipes the pepper keys.
  ~KeyHasher();

  /// The version new hashes are made with: the highest configured.
  std::uint32_t current_version() const noexcept { return current_; }

  /// Every configured version, newest first.
  std::vector<std::uint32_t> versions() const;

  /// Hash of `secret` with the current pepper.
  KeyHash hash(std::string_view secret) const noexcept;

  /// Hash of `secret` with pepper `version`; nullopt when that version is not configured.
  std::optional<KeyHash> hash(std::string_view secret, std::uint32_t version) const noexcept;

 private:
  struct Entry {
    std::uint32_t version;
    std::array<std::uint8_t, 64> key;
    std::size_t key_len;
  };
  explicit KeyHasher(std::vector<Entry> entries, std::uint32_t current)
      : entries_(std::move(entries)), current_(current) {}
  std::vector<Entry> entries_;
  std::uint32_t current_;
};

}  // namespace tenantkit::apikey
