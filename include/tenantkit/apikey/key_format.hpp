// SPDX-License-Identifier: Apache-2.0
// API key format: `tk_<env>_<32 base62 random>_<6 base62 CRC32>`, e.g.
// `tk_live_3FzK9wQ0bL7cVn2XyR5tJ8hM1dG4sA6e_0aB3cD`.
// The random part carries 190 bits from tenantkit::Random. The checksum is the IEEE CRC32 (zlib's)
// of everything before the last `_`, base62, fixed width 6: a typo or junk is rejected offline,
// before any storage lookup, and a secret scanner can recognise a real key with
// `tk_[a-z0-9]{1,16}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}` plus the CRC. All functions are pure and
// thread-safe; parse_key() does not allocate on success.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::apikey {

inline constexpr std::string_view kKeyScheme = "tk_";
inline constexpr std::size_t kRandomChars = 32;   ///< base62 characters: 32 * log2(62) = 190 bits.
inline constexpr std::size_t kChecksumChars = 6;  ///< 62^6 > 2^32.
inline constexpr std::size_t kPrefixRandomChars = 8;  ///< Random characters in the public prefix.
inline constexpr std::size_t kMaxEnvChars = 16;

namespace detail {

inline constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr std::array<std::uint32_t, 256> make_crc32_table() noexcept {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
inline constexpr std::array<std::uint32_t, 256> kCrc32Table = make_crc32_table();

constexpr bool is_base62(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool is_env_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace detail

/// IEEE 802.3 CRC32 (the one zlib and most tools compute).
constexpr std::uint32_t crc32(std::string_view data) noexcept {
  std::uint32_t c = 0xFFFFFFFFU;
  for (char ch : data)
    c = detail::kCrc32Table[(c ^ static_cast<std::uint8_t>(ch)) & 0xFFU] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

/// `value` as kChecksumChars base62 digits, most significant first.
constexpr std::array<char, kChecksumChars> checksum_chars(std::uint32_t value) noexcept {
  std::array<char, kChecksumChars> out{};
  for (std::size_t i = kChecksumChars; i-- > 0;) {
    out[i] = detail::kBase62[value % 62];
    value /= 62;
  }
  return out;
}

/// The parts of a well-formed key; views into the presented string.
struct ParsedKey {
  std::string_view full;    ///< The whole key (the secret).
  std::string_view env;     ///< "live", "test", ...
  std::string_view prefix;  ///< Public head: "tk_<env>_" + first 8 random characters.
};

/// Checks shape and checksum without touching storage. Never allocates on success.
/// Errors: unauthorized for anything that is not a valid key: detail "malformed API key" (wrong
/// shape: a credential that cannot be a key is a bad credential, not a bad request) or "API key
/// checksum mismatch" (a typo).
Result<ParsedKey> parse_key(std::string_view presented);

/// True when `text` starts like an API key (`tk_`): how an Authorization header is told apart from
/// a JWT before parsing.
constexpr bool looks_like_key(std::string_view text) noexcept {
  return text.starts_with(kKeyScheme);
}

/// True when `env` can name a key environment: 1..16 of [a-z0-9].
bool valid_env(std::string_view env) noexcept;

/// A new key for `env` from `random`. REQUIRES: valid_env(env).
Secret generate_key(Random& random, std::string_view env);

}  // namespace tenantkit::apikey
