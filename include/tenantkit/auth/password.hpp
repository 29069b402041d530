// SPDX-License-Identifier: Apache-2.0
// Passwords: Argon2id hashing (libsodium crypto_pwhash_str), verification with rehash-on-login,
// and the password policy (length bounds, a bundled list of common passwords).
// PasswordHasher is immutable after creation and safe for concurrent use. Hashing and verifying
// are deliberately slow (tens of milliseconds, `memory_bytes` of RAM each): never call them on an
// I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::auth {

/// Argon2id cost parameters. Set fields with designated initializers.
struct PasswordHashOptions {
  /// Passes over memory (Argon2 `t`). Default 2 (OWASP minimum with 19 MiB). Valid: 1..2^32-1.
  std::uint64_t iterations = 2;
  /// Memory per hash, in bytes. Default 19 MiB (OWASP). Valid: 8 KiB..4 TiB (libsodium bounds).
  std::size_t memory_bytes = std::size_t{19} << 20;

  /// The cheapest parameters libsodium accepts (t = 1, 8 KiB): tests of logic only, never
  /// production.
  static PasswordHashOptions minimum() noexcept { return {.iterations = 1, .memory_bytes = 8192}; }
};

/// Outcome of a successful login check.
struct PasswordCheck {
  /// Set when the stored hash used other parameters than the hasher's: store this new hash.
  std::optional<std::string> rehashed;
};

/// Hashes and verifies passwords with Argon2id. Encoded hashes are the PHC strings libsodium
/// writes ("$argon2id$v=19$m=19456,t=2,p=1$..."), which carry their own salt and parameters, so a
/// hash made with older parameters still verifies.
class PasswordHasher {
 public:
  /// Validates `options` against libsodium's bounds. Errors: validation_failed (detail names the
  /// field).
  static Result<PasswordHasher> create(const PasswordHashOptions& options = {});

  const PasswordHashOptions& options() const noexcept { return options_; }

  /// A new encoded hash with a fresh random salt. Errors: validation_failed (over
  /// PasswordPolicy::kMaxBytes, so nobody makes us hash megabytes), unavailable (libsodium could
  /// not allocate the memory).
  Result<std::string> hash(std::string_view password) const;

  /// True when `password` matches `encoded`. A malformed `encoded` never matches.
  bool verify(std::string_view encoded, std::string_view password) const noexcept;

  /// True when `encoded` was made with other parameters (or another algorithm) than this hasher's.
  bool needs_rehash(std::string_view encoded) const noexcept;

  /// Login: verifies and, on success, rehashes when parameters changed.
  /// Errors: unauthorized (no match; the detail is generic on purpose), unavailable.
  Result<PasswordCheck> check(std::string_view encoded, std::string_view password) const;

  /// Spends the same time as a verify against a real hash. Call it when the user does not exist,
  /// so response time does not reveal which emails are registered.
  void verify_dummy(std::string_view password) const noexcept;

 private:
  explicit PasswordHasher(const PasswordHashOptions& options, std::string dummy)
      : options_(options), dummy_(std::move(dummy)) {}
  PasswordHashOptions options_;
  std::string dummy_;  // a hash of a random password with these parameters
};

/// Rules a new password must follow.
struct PasswordPolicy {
  static constexpr std::size_t kMaxBytes = 1024;
  /// Minimum length in characters (UTF-8 code points). Default 10. Valid: 8..kMaxBytes.
  std::size_t min_length = 10;
  /// Maximum length in bytes. Default 1024 (kMaxBytes). Valid: min_length..kMaxBytes.
  std::size_t max_bytes = kMaxBytes;
  /// Reject passwords on the bundled common-password list (case-insensitive). Default true.
  bool reject_common = true;
};

/// Checks a new password. `context` holds words that must not be the password (the email, its
/// local part, the user's name), compared case-insensitively; empty entries are ignored.
/// Errors: validation_failed, with one FieldError for field "password" saying which rule failed.
Result<void> check_password_policy(std::string_view password, const PasswordPolicy& policy = {},
                                   std::initializer_list<std::string_view> context = {});

/// True when `password` (case-insensitively) is on the bundled list of common passwords.
bool is_common_password(std::string_view password) noexcept;

}  // namespace tenantkit::auth
