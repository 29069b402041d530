// SPDX-License-Identifier: Apache-2.0
// SessionManager: login sessions (one per login, with device info), their lifetime and idle
// timeout, the per-user cap (oldest evicted), listing and revocation, and refresh-token rotation
// with reuse detection (see refresh.hpp). Built on storage::SessionStore; safe for concurrent use
// (the store's atomic rotate_refresh() makes a token single-use across threads and instances);
// every call may block on storage.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/auth/refresh.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/session_store.hpp>

namespace tenantkit::auth {

/// Session settings. Set fields with designated initializers.
struct SessionOptions {
  /// Absolute lifetime of a session (and so of its refresh family). Default 30 days.
  std::chrono::seconds ttl{30 * 24 * 3600};
  /// A session unused this long ends. Default 7 days.
  std::chrono::seconds idle_timeout{7 * 24 * 3600};
  /// Lifetime of one refresh token (TK_REFRESH_TOKEN_TTL_SECONDS), never past the session's end.
  /// Default 30 days.
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  /// Parallel-refresh grace after a rotation (see refresh.hpp). Default 0: no grace, every
  /// replay of a rotated token revokes its family, even at the same instant. Opt in (e.g. 10 s)
  /// only where two tabs refreshing one token at once must not log the user out.
  std::chrono::seconds reuse_grace{0};
  /// Active sessions per user; a new login evicts the oldest beyond this. Default 10. Valid: >= 1.
  std::size_t max_per_user = 10;
  /// check() writes last_seen_at at most this often per session. Default 60 s.
  std::chrono::seconds touch_interval{60};
};

/// Where a login comes from; stored with the session and shown in session lists.
struct DeviceInfo {
  std::string user_agent{};  ///< Truncated to 512 bytes.
  std::string ip{};          ///< Truncated to 64 bytes.
};

/// A new login: the session, its first refresh token (shown once), and sessions it evicted.
struct NewLogin {
  storage::Session session;
  Secret refresh_token;
  std::vector<SessionId> evicted;
};

class SessionManager {
 public:
  /// References must outlive the manager. Errors: validation_failed (options out of range).
  static Result<std::unique_ptr<SessionManager>> create(storage::SessionStore& store,
                                                        const apikey::KeyHasher& hasher,
                                                        Random& random, const Clock& clock,
                                                        SessionOptions options = {});

  /// Starts a session for `user`, evicting (revoking) the oldest ones beyond max_per_user.
  /// Errors: unavailable.
  Result<NewLogin> start(const UserId& user, const DeviceInfo& device);

  /// The session behind an access token's `sid`, if it may still be used; records activity.
  /// Errors: unauthorized (unknown, revoked, expired or idle), unavailable.
  Result<storage::Session> check(const SessionId& id);

  /// The user's active sessions, oldest first. Errors: unavailable.
  Result<std::vector<storage::Session>> list(const UserId& user);

  /// Revokes one of `user`'s sessions (logout, or "sign out that device").
  /// Errors: not_found (absent or another user's), unavailable.
  Result<void> revoke(const UserId& user, const SessionId& id);

  /// Revokes every session of `user` (password reset). Returns how many. Errors: unavailable.
  Result<std::int64_t> revoke_all(const UserId& user);

  /// Rotates a refresh token. Errors: unauthorized (malformed, unknown or expired token; session
  /// ended), unavailable. A replay is RefreshOutcome::Kind::family_revoked, not an error.
  Result<RefreshOutcome> refresh(std::string_view presented);

  const SessionOptions& options() const noexcept { return options_; }

 private:
  SessionManager(storage::SessionStore& store, const apikey::KeyHasher& hasher, Random& random,
                 const Clock& clock, SessionOptions options);
  bool usable(const storage::Session& s, Timestamp now) const noexcept;
  storage::RefreshToken new_refresh(const storage::Session& s, std::string_view token,
                                    Timestamp now);

  storage::SessionStore& store_;
  const apikey::KeyHasher& hasher_;
  Random& random_;
  const Clock& clock_;
  SessionOptions options_;
};

}  // namespace tenantkit::auth
