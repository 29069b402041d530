// SPDX-License-Identifier: Apache-2.0
// Refresh tokens: opaque bearer secrets, `rt_` + 43 base64url characters (256 bits from
// tenantkit::Random), stored only as a keyed hash (apikey::KeyHasher), single use, rotated on
// every refresh and grouped per login session (the family). SessionManager::refresh() is the
// protocol; this header holds the token format and the outcome type. Pure functions, thread-safe.
//
// Parallel refreshes (opt-in: SessionOptions::reuse_grace, default 0 = none): within
// `reuse_grace` of a rotation, presenting the rotated token again returns the SAME successor, not
// a fresh one: the successor is derived from the presented token with the pepper (a keyed PRF), so
// any instance can recompute it without storing it in clear, and the client ends up with one
// valid token whichever response it keeps. Without a grace, outside the grace window, or once the
// successor itself was used, a replay revokes the family.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/secret.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::auth {

inline constexpr std::string_view kRefreshTokenPrefix = "rt_";
inline constexpr std::size_t kRefreshTokenBytes = 32;  ///< 256 bits.

/// A fresh refresh token from `random`.
Secret generate_refresh_token(Random& random);

/// True when `token` has the shape of a refresh token (prefix, length, alphabet).
bool is_refresh_token_shape(std::string_view token) noexcept;

/// The successor of `token` under `hasher`'s current pepper: deterministic, so parallel refreshes
/// of one token agree on it; unpredictable without the pepper.
Secret derive_successor(const apikey::KeyHasher& hasher, std::string_view token);

/// The stored form of a token (keyed hash, hex) under pepper `version`; empty if the version is
/// not configured.
std::string token_hash(const apikey::KeyHasher& hasher, std::string_view token,
                       std::uint32_t version);

/// What a refresh did. A replay is a value, not an error: the caller answers 401 and audits it.
struct RefreshOutcome {
  enum class Kind : std::uint8_t {
    rotated,         ///< New token issued; the presented one is now dead.
    grace_replay,    ///< The presented token was rotated moments ago (parallel refresh): the
                     ///< same successor is returned again.
    family_revoked,  ///< A rotated token was replayed: the session and all its tokens are revoked.
                     ///< Audit as `session.family_revoked`; answer 401.
  };
  Kind kind = Kind::rotated;
  storage::Session session;  ///< The session (revoked for family_revoked).
  Secret refresh_token;      ///< The token to hand out; empty for family_revoked.
};

}  // namespace tenantkit::auth
