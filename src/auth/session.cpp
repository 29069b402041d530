// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/auth/session.hpp>

namespace tenantkit::auth {
namespace {

Error session_ended() {
  return Error{Errc::unauthorized, "session ended"};
}

}  // namespace

Result<std::unique_ptr<SessionManager>> SessionManager::create(storage::SessionStore& store,
                                                               const apikey::KeyHasher& hasher,
                                                               Random& random, const Clock& clock,
                                                               SessionOptions options) {
  std::vector<FieldError> bad;
  if (options.ttl.count() <= 0) bad.push_back({"ttl", "must be positive"});
  if (options.idle_timeout.count() <= 0) bad.push_back({"idle_timeout", "must be positive"});
  if (options.refresh_ttl.count() <= 0) bad.push_back({"refresh_ttl", "must be positive"});
  if (options.reuse_grace.count() < 0) bad.push_back({"reuse_grace", "must not be negative"});
  if (options.max_per_user < 1) bad.push_back({"max_per_user", "must be at least 1"});
  if (!bad.empty())
    return Error{Errc::validation_failed, "invalid session options", std::move(bad)};
  return std::unique_ptr<SessionManager>(new SessionManager(store, hasher, random, clock, options));
}

SessionManager::SessionManager(storage::SessionStore& store, const apikey::KeyHasher& hasher,
                               Random& random, const Clock& clock, SessionOptions options)
    : store_(store), hasher_(hasher), random_(random), clock_(clock), options_(options) {}

bool SessionManager::usable(const storage::Session& s, Timestamp now) const noexcept {
  return s.is_active(now) && now - s.last_seen_at < options_.idle_timeout;
}

storage::RefreshToken SessionManager::new_refresh(const storage::Session& s, std::string_view token,
                                                  Timestamp now) {
  storage::RefreshToken t;
  t.id = RefreshTokenId::generate(random_, clock_);
  t.session = s.id;
  t.user = s.user;
  t.token_hash = token_hash(hasher_, token, hasher_.current_version());
  t.created_at = now;
  t.expires_at = std::min(now + options_.refresh_ttl, s.expires_at);
  return t;
}

Result<NewLogin> SessionManager::start(const UserId& user, const DeviceInfo& device) {
  const Timestamp now = clock_.now();
  NewLogin out;
  // Evict first, so the cap holds even when two logins race (each sees at most max - 1 others).
  auto active = store_.list_active(user, now);
  if (!active) return active.error();
  if (active->size() >= options_.max_per_user) {
    const std::size_t excess = active->size() - options_.max_per_user + 1;
    for (std::size_t i = 0; i < excess; ++i) {  // oldest first
      if (auto r = store_.revoke((*active)[i].id, now); !r) return r.error();
      out.evicted.push_back((*active)[i].id);
    }
  }
  storage::Session s;
  s.id = SessionId::generate(random_, clock_);
  s.user = user;
  s.user_agent = device.user_agent.substr(0, 512);
  s.ip = device.ip.substr(0, 64);
  s.created_at = now;
  s.last_seen_at = now;
  s.expires_at = now + options_.ttl;
  out.refresh_token = generate_refresh_token(random_);
  auto created = store_.create(s, new_refresh(s, out.refresh_token.reveal(), now));
  if (!created) return created.error();
  out.session = std::move(*created);
  return out;
}

Result<storage::Session> SessionManager::check(const SessionId& id) {
  const Timestamp now = clock_.now();
  auto s = store_.get(id);
  if (!s) return s.error().code == Errc::not_found ? session_ended() : s.error();
  if (!usable(*s, now)) return session_ended();
  if (now - s->last_seen_at >= options_.touch_interval) {
    if (auto t = store_.touch(id, now); !t) return t.error();
    s->last_seen_at = now;
  }
  return s;
}

Result<std::vector<storage::Session>> SessionManager::list(const UserId& user) {
  const Timestamp now = clock_.now();
  auto all = store_.list_active(user, now);
  if (!all) return all.error();
  std::erase_if(*all, [&](const storage::Session& s) { return !usable(s, now); });
  return all;
}

Result<void> SessionManager::revoke(const UserId& user, const SessionId& id) {
  auto s = store_.get(id);
  if (!s) return s.error();
  if (s->user != user) return Error{Errc::not_found, "session not found"};
  return store_.revoke(id, clock_.now());
}

Result<std::int64_t> SessionManager::revoke_all(const UserId& user) {
  return store_.revoke_all(user, clock_.now());
}

Result<RefreshOutcome> SessionManager::refresh(std::string_view presented) {
  if (!is_refresh_token_shape(presented))
    return Error{Errc::unauthorized, "malformed refresh token"};
  const Timestamp now = clock_.now();

  // Tokens hashed under an older pepper still work while that pepper is configured.
  std::optional<storage::RefreshToken> current;
  for (std::uint32_t v : hasher_.versions()) {
    if (current) break;
    auto found = store_.find_refresh(token_hash(hasher_, presented, v));
    if (!found) return found.error();
    current = std::move(*found);
  }
  if (!current) return Error{Errc::unauthorized, "unknown refresh token"};

  auto session = store_.get(current->session);
  if (!session) return session.error().code == Errc::not_found ? session_ended() : session.error();
  if (!usable(*session, now)) return session_ended();
  if (now >= current->expires_at) return Error{Errc::unauthorized, "refresh token expired"};

  RefreshOutcome out;
  out.refresh_token = derive_successor(hasher_, presented);
  const storage::RefreshToken successor = new_refresh(*session, out.refresh_token.reveal(), now);
  auto rotated = store_.rotate_refresh(current->id, successor, now);
  if (!rotated) return rotated.error();

  if (rotated->kind == storage::RotateOutcome::Kind::rotated) {
    if (auto t = store_.touch(session->id, now); !t) return t.error();
    session->last_seen_at = now;
    out.kind = RefreshOutcome::Kind::rotated;
    out.session = std::move(*session);
    return out;
  }

  // Reused. With an opted-in grace, a parallel refresh of the same token moments ago is benign
  // when its successor (the one we just derived) is still unused; anything else is a replay of a
  // dead token. The `> 0` test matters: with no grace, a replay at the same instant (now - used_at
  // == 0 <= 0) must not pass as a grace replay.
  const storage::RefreshToken& used = rotated->current;
  if (options_.reuse_grace.count() > 0 && used.used_at &&
      now - *used.used_at <= options_.reuse_grace && used.replaced_by) {
    auto next = store_.get_refresh(*used.replaced_by);
    if (!next && next.error().code != Errc::not_found) return next.error();
    if (next && !next->used_at && next->token_hash == successor.token_hash) {
      out.kind = RefreshOutcome::Kind::grace_replay;
      out.session = std::move(*session);
      return out;
    }
  }
  if (auto r = store_.revoke(session->id, now); !r) return r.error();
  session->revoked_at = now;
  out.kind = RefreshOutcome::Kind::family_revoked;
  out.session = std::move(*session);
  out.refresh_token = Secret();
  return out;
}

}  // namespace tenantkit::auth
