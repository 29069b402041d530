// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cctype>

#include <sodium.h>

#include <tenantkit/auth/password.hpp>
#include <tenantkit/core/encoding.hpp>
#include <tenantkit/core/random.hpp>

#include "auth/common_passwords.hpp"

namespace tenantkit::auth {
namespace {

Error password_field_error(std::string message) {
  return Error{Errc::validation_failed, "password: " + message, {{"password", message}}};
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Counts UTF-8 code points (continuation bytes 10xxxxxx do not start one), so "ä" is one character.
std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// crypto_pwhash_str* read a NUL-terminated string of at most crypto_pwhash_STRBYTES.
bool copy_encoded(std::string_view encoded,
                  std::array<char, crypto_pwhash_STRBYTES>& out) noexcept {
  if (encoded.empty() || encoded.size() >= out.size()) return false;
  out.fill('\0');
  encoded.copy(out.data(), encoded.size());
  return true;
}

}  // namespace

Result<PasswordHasher> PasswordHasher::create(const PasswordHashOptions& options) {
  if (sodium_init() < 0) return Error{Errc::internal, "libsodium failed to initialise"};
  if (options.iterations < crypto_pwhash_OPSLIMIT_MIN ||
      options.iterations > crypto_pwhash_OPSLIMIT_MAX)
    return Error{Errc::validation_failed,
                 "iterations out of range",
                 {{"iterations", "must be between 1 and 2^32-1"}}};
  if (options.memory_bytes < crypto_pwhash_MEMLIMIT_MIN ||
      options.memory_bytes > crypto_pwhash_MEMLIMIT_MAX)
    return Error{Errc::validation_failed,
                 "memory_bytes out of range",
                 {{"memory_bytes", "must be at least 8192 bytes"}}};
  // A random password's hash with the same parameters: verify_dummy() costs what a real verify
  // does.
  std::array<std::byte, 32> raw{};
  system_random().fill(raw);
  PasswordHasher probe(options, {});
  auto dummy = probe.hash(hex_encode(raw));
  if (!dummy) return dummy.error();
  return PasswordHasher(options, std::move(*dummy));
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  if (password.size() > PasswordPolicy::kMaxBytes)
    return password_field_error("must be at most 1024 bytes");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), options_.iterations,
                            options_.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error{Errc::unavailable, "password hashing ran out of memory"};
  return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password) const noexcept {
  if (password.size() > PasswordPolicy::kMaxBytes) return false;
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  if (!copy_encoded(encoded, buf)) return false;
  // libsodium recomputes the hash and compares in constant time (sodium_memcmp).
  return crypto_pwhash_str_verify(buf.data(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const noexcept {
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  if (!copy_encoded(encoded, buf)) return true;
  // Returns 1 for other parameters, -1 for another algorithm or a malformed string.
  return crypto_pwhash_str_needs_rehash(buf.data(), options_.iterations, options_.memory_bytes) !=
         0;
}

Result<PasswordCheck> PasswordHasher::check(std::string_view encoded,
                                            std::string_view password) const {
  if (!verify(encoded, password)) return Error{Errc::unauthorized, "invalid credentials"};
  PasswordCheck out;
  if (needs_rehash(encoded)) {
    auto fresh = hash(password);
    if (!fresh) return fresh.error();
    out.rehashed = std::move(*fresh);
  }
  return out;
}

void PasswordHasher::verify_dummy(std::string_view password) const noexcept {
  (void)verify(dummy_, password);
}

bool is_common_password(std::string_view password) noexcept {
  if (password.size() > 64) return false;  // the list has nothing that long
  std::array<char, 64> buf{};
  for (std::size_t i = 0; i < password.size(); ++i)
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(password[i])));
  return detail::is_common_lowercase(std::string_view(buf.data(), password.size()));
}

Result<void> check_password_policy(std::string_view password, const PasswordPolicy& policy,
                                   std::initializer_list<std::string_view> context) {
  if (password.size() > policy.max_bytes)
    return password_field_error("must be at most " + std::to_string(policy.max_bytes) + " bytes");
  if (utf8_length(password) < policy.min_length)
    return password_field_error("must be at least " + std::to_string(policy.min_length) +
                                " characters");
  if (policy.reject_common && is_common_password(password))
    return password_field_error("is too common");
  const std::string lowered = lower_ascii(password);
  for (std::string_view word : context) {
    if (word.empty()) continue;
    if (lowered == lower_ascii(word))
      return password_field_error("must not be your email address or name");
  }
  return ok();
}

}  // namespace tenantkit::auth
