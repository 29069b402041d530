// SPDX-License-Identifier: Apache-2.0
// In-memory sessions (refresh-token families, one-time tokens), API keys and idempotency records.
#include <algorithm>
#include <mutex>

#include "storage/memory/state.hpp"
#include "storage/memory/stores.hpp"

namespace tenantkit::storage::memory {
namespace {

using Lock = std::unique_lock<std::shared_mutex>;
using SharedLock = std::shared_lock<std::shared_mutex>;

// ---------------------------------------------------------------------------------------------
class MemSessionStore final : public SessionStore {
 public:
  explicit MemSessionStore(State& s) : s_(s) {}

  Result<Session> create(const Session& session, const RefreshToken& first) override {
    if (session.id.empty() || first.id.empty()) return Error{Errc::bad_request, "missing id"};
    if (first.session != session.id)
      return Error{Errc::bad_request, "refresh token of another session"};
    Lock lock(s_.mu);
    if (s_.sessions.count(session.id)) return Error{Errc::conflict, "session id taken"};
    if (s_.refresh.count(first.id) || s_.refresh_by_hash.count(first.token_hash))
      return Error{Errc::conflict, "refresh token taken"};
    s_.sessions.emplace(session.id, session);
    s_.refresh.emplace(first.id, first);
    s_.refresh_by_hash.emplace(first.token_hash, first.id);
    return session;
  }

  Result<Session> get(const SessionId& id) override {
    SharedLock lock(s_.mu);
    auto it = s_.sessions.find(id);
    if (it == s_.sessions.end()) return Error{Errc::not_found, "session"};
    return it->second;
  }

  Result<std::vector<Session>> list_active(const UserId& user, Timestamp now) override {
    std::vector<Session> out;
    {
      SharedLock lock(s_.mu);
      for (const auto& [id, sess] : s_.sessions)
        if (sess.user == user && sess.is_active(now)) out.push_back(sess);
    }
    std::stable_sort(out.begin(), out.end(), [](const Session& a, const Session& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    return out;
  }

  Result<void> touch(const SessionId& id, Timestamp now) override {
    Lock lock(s_.mu);
    auto it = s_.sessions.find(id);
    if (it == s_.sessions.end()) return Error{Errc::not_found, "session"};
    it->second.last_seen_at = now;
    return ok();
  }

  Result<void> set_active_org(const SessionId& id, const OrgId& org) override {
    Lock lock(s_.mu);
    auto it = s_.sessions.find(id);
    if (it == s_.sessions.end()) return Error{Errc::not_found, "session"};
    it->second.active_org = org;
    return ok();
  }

  Result<void> revoke(const SessionId& id, Timestamp now) override {
    Lock lock(s_.mu);
    auto it = s_.sessions.find(id);
    if (it == s_.sessions.end()) return Error{Errc::not_found, "session"};
    if (!it->second.revoked_at) it->second.revoked_at = now;
    return ok();
  }

  Result<std::int64_t> revoke_all(const UserId& user, Timestamp now) override {
    Lock lock(s_.mu);
    std::int64_t n = 0;
    for (auto& [id, sess] : s_.sessions) {
      if (sess.user == user && sess.is_active(now)) {
        sess.revoked_at = now;
        ++n;
      }
    }
    return n;
  }

  Result<std::optional<RefreshToken>> find_refresh(std::string_view token_hash) override {
    SharedLock lock(s_.mu);
    auto it = s_.refresh_by_hash.find(token_hash);
    if (it == s_.refresh_by_hash.end()) return std::optional<RefreshToken>();
    return std::optional<RefreshToken>(s_.refresh.at(it->second));
  }

  Result<RefreshToken> get_refresh(const RefreshTokenId& id) override {
    SharedLock lock(s_.mu);
    auto it = s_.refresh.find(id);
    if (it == s_.refresh.end()) return Error{Errc::not_found, "refresh token"};
    return it->second;
  }

  Result<RotateOutcome> rotate_refresh(const RefreshTokenId& current, const RefreshToken& successor,
                                       Timestamp now) override {
    if (successor.id.empty()) return Error{Errc::bad_request, "missing refresh token id"};
    Lock lock(s_.mu);
    auto it = s_.refresh.find(current);
    if (it == s_.refresh.end()) return Error{Errc::not_found, "refresh token"};
    RefreshToken& cur = it->second;
    if (cur.used_at) return RotateOutcome{RotateOutcome::Kind::reused, cur};
    if (s_.refresh.count(successor.id) || s_.refresh_by_hash.count(successor.token_hash))
      return Error{Errc::conflict, "refresh token taken"};
    cur.used_at = now;
    cur.replaced_by = successor.id;
    RotateOutcome out{RotateOutcome::Kind::rotated, cur};
    s_.refresh.emplace(successor.id, successor);
    s_.refresh_by_hash.emplace(successor.token_hash, successor.id);
    return out;
  }

  Result<void> create_one_time(const OneTimeToken& token) override {
    Lock lock(s_.mu);
    if (s_.one_time.count(token.token_hash)) return Error{Errc::conflict, "token hash taken"};
    s_.one_time.emplace(token.token_hash, token);
    return ok();
  }

  Result<OneTimeToken> consume_one_time(std::string_view token_hash, std::string_view purpose,
                                        Timestamp now) override {
    Lock lock(s_.mu);
    auto it = s_.one_time.find(token_hash);
    // Another purpose is not_found, not gone: a reset token must not reveal it is a valid email
    // change token.
    if (it == s_.one_time.end() || it->second.purpose != purpose)
      return Error{Errc::not_found, "token"};
    OneTimeToken& t = it->second;
    if (t.used_at || now >= t.expires_at) return Error{Errc::gone, "token used or expired"};
    t.used_at = now;
    return t;
  }

 private:
  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemApiKeyStore final : public ApiKeyStore {
 public:
  explicit MemApiKeyStore(State& s) : s_(s) {}

  Result<ApiKey> create(const OrgId& org, const ApiKey& key,
                        std::optional<std::int64_t> max_keys) override {
    ApiKey rec = key;
    if (auto r = check(org, rec); !r) return r.error();
    Lock lock(s_.mu);
    if (!s_.org_exists(org)) return Error{Errc::not_found, "org"};
    if (auto r = unique(rec); !r) return r.error();
    if (max_keys) {
      const auto live = std::count_if(s_.api_keys.begin(), s_.api_keys.end(), [&](const auto& e) {
        return e.second.org == org && !e.second.revoked_at;
      });
      if (live >= *max_keys) return Error{Errc::plan_limit_reached, "API key limit reached"};
    }
    insert(rec);
    return rec;
  }

  Result<ApiKey> get(const OrgId& org, const ApiKeyId& id) override {
    SharedLock lock(s_.mu);
    const ApiKey* k = find(org, id);
    if (!k) return Error{Errc::not_found, "API key"};
    return *k;
  }

  Result<std::optional<ApiKey>> find_by_prefix(std::string_view prefix) override {
    SharedLock lock(s_.mu);
    auto it = s_.api_key_by_prefix.find(prefix);
    if (it == s_.api_key_by_prefix.end()) return std::optional<ApiKey>();
    return std::optional<ApiKey>(s_.api_keys.at(it->second));
  }

  Result<Page<ApiKey>> list(const OrgId& org, const PageRequest& page) override {
    std::vector<ApiKey> all;
    {
      SharedLock lock(s_.mu);
      for (const auto& [id, k] : s_.api_keys)
        if (k.org == org) all.push_back(k);
    }
    return paginate(all, page, [](const ApiKey& k) { return k.id.str(); });
  }

  Result<ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) override {
    Lock lock(s_.mu);
    ApiKey* k = find(org, id);
    if (!k) return Error{Errc::not_found, "API key"};
    if (!k->revoked_at) k->revoked_at = now;
    return *k;
  }

  Result<ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id, const ApiKey& successor,
                        Timestamp old_expires_at) override {
    ApiKey rec = successor;
    if (auto r = check(org, rec); !r) return r.error();
    Lock lock(s_.mu);
    ApiKey* old = find(org, old_id);
    if (!old) return Error{Errc::not_found, "API key"};
    if (old->revoked_at || old->rotated_to) return Error{Errc::gone, "API key revoked or rotated"};
    if (auto r = unique(rec); !r) return r.error();
    old->rotated_to = rec.id;
    old->expires_at = old->expires_at ? std::min(*old->expires_at, old_expires_at) : old_expires_at;
    insert(rec);
    return rec;
  }

  Result<void> record_last_used(const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) override {
    Lock lock(s_.mu);
    for (const auto& [id, at] : uses) {
      auto it = s_.api_keys.find(id);
      if (it == s_.api_keys.end()) continue;
      auto& last = it->second.last_used_at;
      if (!last || *last < at) last = at;
    }
    return ok();
  }

 private:
  static Result<void> check(const OrgId& org, ApiKey& rec) {
    if (org.empty() || rec.id.empty()) return Error{Errc::bad_request, "missing id"};
    if (!rec.org.empty() && rec.org != org)
      return Error{Errc::bad_request, "record belongs to another org than the call"};
    rec.org = org;
    return ok();
  }
  Result<void> unique(const ApiKey& rec) const {
    if (s_.api_keys.count(rec.id)) return Error{Errc::conflict, "API key id taken"};
    if (s_.api_key_by_prefix.count(rec.prefix)) return Error{Errc::conflict, "prefix taken"};
    return ok();
  }
  void insert(const ApiKey& rec) {
    s_.api_keys.emplace(rec.id, rec);
    s_.api_key_by_prefix.emplace(rec.prefix, rec.id);
  }
  ApiKey* find(const OrgId& org, const ApiKeyId& id) {
    auto it = s_.api_keys.find(id);
    return it == s_.api_keys.end() || it->second.org != org ? nullptr : &it->second;
  }

  State& s_;
};

// ---------------------------------------------------------------------------------------------
class MemIdempotencyStore final : public IdempotencyStore {
 public:
  explicit MemIdempotencyStore(State& s) : s_(s) {}

  Result<IdempotencyBegin> begin(std::string_view scope, std::string_view key,
                                 std::string_view request_hash, Timestamp now,
                                 Timestamp expires_at) override {
    if (scope.empty() || key.empty()) return Error{Errc::bad_request, "missing scope or key"};
    Lock lock(s_.mu);
    auto it = s_.idempotency.find(std::pair(std::string(scope), std::string(key)));
    if (it != s_.idempotency.end() && now < it->second.expires_at) {
      const IdempotencyRecord& rec = it->second;
      if (rec.request_hash != request_hash)
        return IdempotencyBegin{IdempotencyBegin::Kind::mismatch, rec};
      if (!rec.completed) return IdempotencyBegin{IdempotencyBegin::Kind::in_progress, rec};
      return IdempotencyBegin{IdempotencyBegin::Kind::replay, rec};
    }
    IdempotencyRecord rec;
    rec.scope = std::string(scope);
    rec.key = std::string(key);
    rec.request_hash = std::string(request_hash);
    rec.created_at = now;
    rec.expires_at = expires_at;
    s_.idempotency[std::pair(rec.scope, rec.key)] = rec;
    return IdempotencyBegin{IdempotencyBegin::Kind::started, rec};
  }

  Result<void> complete(std::string_view scope, std::string_view key, int status,
                        std::string_view content_type, std::string_view body) override {
    Lock lock(s_.mu);
    auto it = s_.idempotency.find(std::pair(std::string(scope), std::string(key)));
    if (it == s_.idempotency.end()) return Error{Errc::not_found, "idempotency key not started"};
    IdempotencyRecord& rec = it->second;
    rec.completed = true;
    rec.status = status;
    rec.content_type = std::string(content_type);
    rec.body = std::string(body);
    return ok();
  }

  Result<void> abandon(std::string_view scope, std::string_view key) override {
    Lock lock(s_.mu);
    auto it = s_.idempotency.find(std::pair(std::string(scope), std::string(key)));
    // A completed response stays: abandoning must not let a retry run the request twice.
    if (it != s_.idempotency.end() && !it->second.completed) s_.idempotency.erase(it);
    return ok();
  }

  Result<std::int64_t> purge_expired(Timestamp now) override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(
        std::erase_if(s_.idempotency, [&](const auto& e) { return e.second.expires_at <= now; }));
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<SessionStore> make_session_store(State& s) {
  return std::make_unique<MemSessionStore>(s);
}
std::unique_ptr<ApiKeyStore> make_api_key_store(State& s) {
  return std::make_unique<MemApiKeyStore>(s);
}
std::unique_ptr<IdempotencyStore> make_idempotency_store(State& s) {
  return std::make_unique<MemIdempotencyStore>(s);
}

}  // namespace tenantkit::storage::memory
