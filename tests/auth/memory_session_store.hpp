// SPDX-License-Identifier: Apache-2.0
// A small in-memory storage::SessionStore for the auth tests (the library's own in-memory Storage
// lives with the storage concern). rotate_refresh() and consume_one_time() are atomic under one
// mutex, as the interface requires. `fail` makes every call `unavailable`.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include <tenantkit/storage/session_store.hpp>

namespace tenantkit::auth::testing {

class MemorySessionStore final : public storage::SessionStore {
 public:
  Result<storage::Session> create(const storage::Session& session,
                                  const storage::RefreshToken& first) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    if (sessions_.contains(session.id.str())) return Error{Errc::conflict, "session id taken"};
    if (refresh_by_hash_.contains(first.token_hash)) return Error{Errc::conflict, "hash taken"};
    sessions_.emplace(session.id.str(), session);
    put_refresh(first);
    return session;
  }
  Result<storage::Session> get(const SessionId& id) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = sessions_.find(id.str());
    if (it == sessions_.end()) return Error{Errc::not_found, "no session"};
    return it->second;
  }
  Result<std::vector<storage::Session>> list_active(const UserId& user, Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    std::vector<storage::Session> out;
    for (const auto& [id, s] : sessions_)
      if (s.user == user && s.is_active(now)) out.push_back(s);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    return out;
  }
  Result<void> touch(const SessionId& id, Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = sessions_.find(id.str());
    if (it == sessions_.end()) return Error{Errc::not_found, "no session"};
    it->second.last_seen_at = now;
    ++touches;
    return ok();
  }
  Result<void> set_active_org(const SessionId& id, const OrgId& org) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = sessions_.find(id.str());
    if (it == sessions_.end()) return Error{Errc::not_found, "no session"};
    it->second.active_org = org;
    return ok();
  }
  Result<void> revoke(const SessionId& id, Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = sessions_.find(id.str());
    if (it == sessions_.end()) return Error{Errc::not_found, "no session"};
    if (!it->second.revoked_at) it->second.revoked_at = now;
    return ok();
  }
  Result<std::int64_t> revoke_all(const UserId& user, Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    std::int64_t n = 0;
    for (auto& [id, s] : sessions_)
      if (s.user == user && s.is_active(now)) {
        s.revoked_at = now;
        ++n;
      }
    return n;
  }
  Result<std::optional<storage::RefreshToken>> find_refresh(std::string_view token_hash) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = refresh_by_hash_.find(std::string(token_hash));
    if (it == refresh_by_hash_.end()) return std::optional<storage::RefreshToken>();
    return std::optional<storage::RefreshToken>(refresh_.at(it->second));
  }
  Result<storage::RefreshToken> get_refresh(const RefreshTokenId& id) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = refresh_.find(id.str());
    if (it == refresh_.end()) return Error{Errc::not_found, "no token"};
    return it->second;
  }
  Result<storage::RotateOutcome> rotate_refresh(const RefreshTokenId& current,
                                                const storage::RefreshToken& successor,
                                                Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = refresh_.find(current.str());
    if (it == refresh_.end()) return Error{Errc::not_found, "no token"};
    storage::RotateOutcome out;
    if (it->second.used_at) {
      out.kind = storage::RotateOutcome::Kind::reused;
      out.current = it->second;
      return out;
    }
    if (refresh_by_hash_.contains(successor.token_hash)) return Error{Errc::conflict, "hash taken"};
    it->second.used_at = now;
    it->second.replaced_by = successor.id;
    out.current = it->second;
    put_refresh(successor);
    return out;
  }
  Result<void> create_one_time(const storage::OneTimeToken& token) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    if (one_time_.contains(token.token_hash)) return Error{Errc::conflict, "hash taken"};
    one_time_.emplace(token.token_hash, token);
    return ok();
  }
  Result<storage::OneTimeToken> consume_one_time(std::string_view token_hash,
                                                 std::string_view purpose, Timestamp now) override {
    std::lock_guard lock(mutex_);
    if (fail) return down();
    auto it = one_time_.find(std::string(token_hash));
    if (it == one_time_.end() || it->second.purpose != purpose)
      return Error{Errc::not_found, "unknown token"};
    if (it->second.used_at || now >= it->second.expires_at)
      return Error{Errc::gone, "used or expired"};
    it->second.used_at = now;
    return it->second;
  }

  /// Every stored refresh token hash (to prove nothing is stored in clear).
  std::vector<std::string> refresh_hashes() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [h, id] : refresh_by_hash_) out.push_back(h);
    return out;
  }

  bool fail = false;
  int touches = 0;

 private:
  static Error down() { return Error{Errc::unavailable, "store down"}; }
  void put_refresh(const storage::RefreshToken& t) {
    refresh_.emplace(t.id.str(), t);
    refresh_by_hash_.emplace(t.token_hash, t.id.str());
  }
  std::mutex mutex_;
  std::map<std::string, storage::Session> sessions_;
  std::map<std::string, storage::RefreshToken> refresh_;
  std::map<std::string, std::string> refresh_by_hash_;
  std::map<std::string, storage::OneTimeToken> one_time_;
};

}  // namespace tenantkit::auth::testing
