// SPDX-License-Identifier: Apache-2.0
// SessionStore: login sessions, their refresh-token families, and one-time tokens (password reset,
// email change). User-level data, not tenant-owned. Rotation is atomic, so a refresh token is used
// at most once even under concurrent refreshes. Safe for concurrent use; calls may block.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

/// What rotate_refresh() found.
struct RotateOutcome {
  enum class Kind : std::uint8_t {
    rotated,  ///< `current` was unused and is now replaced by `successor`.
    reused,   ///< `current` was already used: possible theft; the caller decides (grace or revoke).
  };
  Kind kind = Kind::rotated;
  RefreshToken current;  ///< The token as it is now stored.
};

class SessionStore {
 public:
  virtual ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  /// Stores a new session with its first refresh token (token.session == session.id).
  /// Errors: conflict (id or token hash taken), unavailable.
  virtual Result<Session> create(const Session& session, const RefreshToken& first) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<Session> get(const SessionId& id) = 0;
  /// The user's sessions that are active at `now`, oldest first.
  virtual Result<std::vector<Session>> list_active(const UserId& user, Timestamp now) = 0;
  /// Records activity. Errors: not_found, unavailable.
  virtual Result<void> touch(const SessionId& id, Timestamp now) = 0;
  /// Records the org the session's latest tokens were issued for (Session::active_org), so a
  /// refresh that names no org can keep it. Errors: not_found, unavailable.
  virtual Result<void> set_active_org(const SessionId& id, const OrgId& org) = 0;
  /// Revokes the session; its refresh tokens stop working with it. Revoking a revoked session
  /// succeeds. Errors: not_found, unavailable.
  virtual Result<void> revoke(const SessionId& id, Timestamp now) = 0;
  /// Revokes every active session of `user`; returns how many.
  virtual Result<std::int64_t> revoke_all(const UserId& user, Timestamp now) = 0;
  /// Absence is a value.
  virtual Result<std::optional<RefreshToken>> find_refresh(std::string_view token_hash) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<RefreshToken> get_refresh(const RefreshTokenId& id) = 0;
  /// Atomically: if `current` is unused, marks it used (replaced_by = successor.id) and stores
  /// `successor` -> rotated; if it was used already, stores nothing -> reused.
  /// Errors: not_found (no such token), unavailable.
  virtual Result<RotateOutcome> rotate_refresh(const RefreshTokenId& current,
                                               const RefreshToken& successor, Timestamp now) = 0;

  /// Stores a one-time token. Errors: conflict (hash taken), unavailable.
  virtual Result<void> create_one_time(const OneTimeToken& token) = 0;
  /// Atomically marks the token used and returns it. Errors: not_found (unknown hash or other
  /// purpose), gone (used or expired at `now`), unavailable.
  virtual Result<OneTimeToken> consume_one_time(std::string_view token_hash,
                                                std::string_view purpose, Timestamp now) = 0;

 protected:
  SessionStore() = default;
};

}  // namespace tenantkit::storage
