// SPDX-License-Identifier: Apache-2.0
// One-time tokens for password reset, email change and invitations: 256-bit random bearer
// secrets (`ott_` + 43 base64url characters), stored only as a keyed hash, expiring, single use.
// Unknown tokens are `not_found`; used, expired or revoked ones are `gone` (API.md). Password
// reset and email change live in storage::SessionStore's one-time tokens (consumed atomically);
// invitations keep their token hash on the storage::Invitation record. Safe for concurrent use;
// calls block on storage.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>
#include <tenantkit/storage/invitation_store.hpp>
#include <tenantkit/storage/session_store.hpp>

namespace tenantkit::auth {

/// Purposes of SessionStore one-time tokens (the `purpose` column).
inline constexpr std::string_view kPasswordReset = "password_reset";
inline constexpr std::string_view kEmailChange = "email_change";

/// A new token and its stored form.
struct MintedToken {
  Secret token;            ///< Goes to the user (mail), never stored.
  std::string token_hash;  ///< What the record keeps.
};

class OneTimeTokens {
 public:
  /// References must outlive this object.
  OneTimeTokens(storage::SessionStore& store, const apikey::KeyHasher& hasher, Random& random,
                const Clock& clock);

  /// A fresh token and its hash under the current pepper (e.g. for a new storage::Invitation).
  MintedToken mint();

  /// The token's possible stored hashes, one per configured pepper, newest first: how an
  /// unscoped lookup (invitations) finds a record made before a pepper rotation.
  std::vector<std::string> candidate_hashes(std::string_view token) const;

  /// Issues a token for `purpose` (kPasswordReset: ttl 1 h is typical; kEmailChange with the new
  /// address as `payload`). Errors: validation_failed (ttl <= 0), unavailable.
  Result<Secret> issue(std::string_view purpose, const UserId& user, std::string payload,
                       std::chrono::seconds ttl);

  /// Uses a token up. Errors: not_found (unknown, malformed or issued for another purpose),
  /// gone (already used or expired), unavailable.
  Result<storage::OneTimeToken> consume(std::string_view token, std::string_view purpose);

  /// The pending invitation a token belongs to (accepting it is InvitationStore::accept).
  /// Errors: not_found (unknown), gone (accepted, revoked or expired), unavailable.
  Result<storage::Invitation> find_invitation(storage::InvitationStore& invitations,
                                              std::string_view token);

 private:
  storage::SessionStore& store_;
  const apikey::KeyHasher& hasher_;
  Random& random_;
  const Clock& clock_;
};

}  // namespace tenantkit::auth
