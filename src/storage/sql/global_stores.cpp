// SPDX-License-Identifier: Apache-2.0
// Users, sessions, idempotency records and webhook events: global (not tenant-owned) tables, so
// their units of work carry no tenant. Subscriptions are tenant-owned and scoped.
// GCC 12 at -O1 (the asan preset) reports -Wmaybe-uninitialized inside std::optional's destructor
// for records holding optionals (a known false positive, GCC PR 105593-style); the code reads no
// uninitialised value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "query.hpp"
#include "stores.hpp"

namespace tenantkit::storage::sql {
namespace {

Error not_found(std::string_view what) {
  return Error{Errc::not_found, std::string(what) + " not found"};
}

class SqlUserStore final : public UserStore {
 public:
  explicit SqlUserStore(Db& db) : db_(db) {}

  Result<User> create(const User& user) override {
    return db_.run<User>(Access::write, Scope::none(), [&](soci::session& s) -> Result<User> {
      Query(s, db_.q("INSERT INTO users (id, email, name, password_hash, active, created_at, "
                     "updated_at) VALUES (:i, :e, :n, :p, tk_bool(:a), tk_ts(:c), tk_ts(:u))"))
          .in(user.id.str())
          .in(user.email)
          .in(user.name)
          .in(user.password_hash)
          .in(static_cast<int>(user.active))
          .in(us(user.created_at))
          .in(us(user.updated_at))
          .exec();
      return user;
    });
  }

  Result<User> get(const UserId& user) override {
    return db_.run<User>(Access::read, Scope::none(), [&](soci::session& s) -> Result<User> {
      UserRow r;
      if (!Query(s, select(db_, UserRow::kCols, "users", "WHERE id = :i"))
               .in(user.str())
               .row(r)
               .one())
        return not_found("user");
      return r.get();
    });
  }

  Result<std::optional<User>> find_by_email(std::string_view email) override {
    const std::string e(email);
    return db_.run<std::optional<User>>(
        Access::read, Scope::none(), [&](soci::session& s) -> Result<std::optional<User>> {
          UserRow r;
          if (!Query(s, select(db_, UserRow::kCols, "users", "WHERE email = :e"))
                   .in(e)
                   .row(r)
                   .one())
            return std::optional<User>();
          return std::optional<User>(r.get());
        });
  }

  Result<User> update(const User& user) override {
    return db_.run<User>(Access::write, Scope::none(), [&](soci::session& s) -> Result<User> {
      const auto n =
          Query(s, db_.q("UPDATE users SET email = :e, name = :n, password_hash = :p, active = "
                         "tk_bool(:a), updated_at = tk_ts(:u) WHERE id = :i"))
              .in(user.email)
              .in(user.name)
              .in(user.password_hash)
              .in(static_cast<int>(user.active))
              .in(us(user.updated_at))
              .in(user.id.str())
              .exec();
      if (n == 0) return not_found("user");
      UserRow r;
      Query(s, select(db_, UserRow::kCols, "users", "WHERE id = :i"))
          .in(user.id.str())
          .row(r)
          .one();
      return r.get();
    });
  }

 private:
  Db& db_;
};

class SqlSessionStore final : public SessionStore {
 public:
  explicit SqlSessionStore(Db& db) : db_(db) {}

  Result<Session> create(const Session& session, const RefreshToken& first) override {
    return db_.run<Session>(Access::write, Scope::none(), [&](soci::session& s) -> Result<Session> {
      OptTsIn rev(session.revoked_at);
      const std::string active = session.active_org ? session.active_org->str() : std::string();
      Query(s, db_.q("INSERT INTO sessions (id, user_id, user_agent, ip, created_at, "
                     "last_seen_at, expires_at, revoked_at, active_org) VALUES (:i, :u, :a, :p, "
                     "tk_ts(:c), tk_ts(:l), tk_ts(:e), tk_ts(:r), NULLIF(:o, ''))"))
          .in(session.id.str())
          .in(session.user.str())
          .in(session.user_agent)
          .in(session.ip)
          .in(us(session.created_at))
          .in(us(session.last_seen_at))
          .in(us(session.expires_at))
          .in(rev)
          .in(active)
          .exec();
      insert_refresh(s, first);
      return session;
    });
  }

  Result<Session> get(const SessionId& id) override {
    return db_.run<Session>(Access::read, Scope::none(), [&](soci::session& s) -> Result<Session> {
      auto r = load(s, id.str());
      if (!r) return not_found("session");
      return *r;
    });
  }

  Result<std::vector<Session>> list_active(const UserId& user, Timestamp now) override {
    return db_.run<std::vector<Session>>(
        Access::read, Scope::none(), [&](soci::session& s) -> Result<std::vector<Session>> {
          std::vector<Session> out;
          SessionRow r;
          Query(s, select(db_, SessionRow::kCols, "sessions",
                          "WHERE user_id = :u AND revoked_at IS NULL AND expires_at > tk_ts(:n) "
                          "ORDER BY created_at, id"))
              .in(user.str())
              .in(us(now))
              .row(r)
              .each([&] { out.push_back(r.get()); });
          return out;
        });
  }

  Result<void> touch(const SessionId& id, Timestamp now) override {
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      if (Query(s, db_.q("UPDATE sessions SET last_seen_at = tk_ts(:n) WHERE id = :i"))
              .in(us(now))
              .in(id.str())
              .exec() == 0)
        return not_found("session");
      return ok();
    });
  }

  Result<void> set_active_org(const SessionId& id, const OrgId& org) override {
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      if (Query(s, db_.q("UPDATE sessions SET active_org = :o WHERE id = :i"))
              .in(org.str())
              .in(id.str())
              .exec() == 0)
        return not_found("session");
      return ok();
    });
  }

  Result<void> revoke(const SessionId& id, Timestamp now) override {
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      if (!load(s, id.str())) return not_found("session");
      Query(s, db_.q("UPDATE sessions SET revoked_at = tk_ts(:n) WHERE id = :i AND revoked_at IS "
                     "NULL"))
          .in(us(now))
          .in(id.str())
          .exec();
      return ok();
    });
  }

  Result<std::int64_t> revoke_all(const UserId& user, Timestamp now) override {
    return db_.run<std::int64_t>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<std::int64_t> {
          return static_cast<std::int64_t>(
              Query(s, db_.q("UPDATE sessions SET revoked_at = tk_ts(:n) WHERE user_id = :u AND "
                             "revoked_at IS NULL AND expires_at > tk_ts(:n2)"))
                  .in(us(now))
                  .in(user.str())
                  .in(us(now))
                  .exec());
        });
  }

  Result<std::optional<RefreshToken>> find_refresh(std::string_view token_hash) override {
    const std::string h(token_hash);
    return db_.run<std::optional<RefreshToken>>(
        Access::read, Scope::none(), [&](soci::session& s) -> Result<std::optional<RefreshToken>> {
          RefreshRow r;
          if (!Query(s, select(db_, RefreshRow::kCols, "refresh_tokens", "WHERE token_hash = :h"))
                   .in(h)
                   .row(r)
                   .one())
            return std::optional<RefreshToken>();
          return std::optional<RefreshToken>(r.get());
        });
  }

  Result<RefreshToken> get_refresh(const RefreshTokenId& id) override {
    return db_.run<RefreshToken>(Access::read, Scope::none(),
                                 [&](soci::session& s) -> Result<RefreshToken> {
                                   auto r = load_refresh(s, id.str(), false);
                                   if (!r) return not_found("refresh token");
                                   return *r;
                                 });
  }

  Result<RotateOutcome> rotate_refresh(const RefreshTokenId& current, const RefreshToken& successor,
                                       Timestamp now) override {
    return db_.run<RotateOutcome>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<RotateOutcome> {
          auto cur = load_refresh(s, current.str(), true);
          if (!cur) return not_found("refresh token");
          if (cur->used_at) return RotateOutcome{RotateOutcome::Kind::reused, *cur};
          Query(s, db_.q("UPDATE refresh_tokens SET used_at = tk_ts(:n), replaced_by = :r WHERE "
                         "id = :i"))
              .in(us(now))
              .in(successor.id.str())
              .in(current.str())
              .exec();
          insert_refresh(s, successor);
          cur->used_at = now;
          cur->replaced_by = successor.id;
          return RotateOutcome{RotateOutcome::Kind::rotated, *cur};
        });
  }

  Result<void> create_one_time(const OneTimeToken& token) override {
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      OptTsIn used(token.used_at);
      Query(s, db_.q("INSERT INTO one_time_tokens (token_hash, purpose, user_id, payload, "
                     "created_at, expires_at, used_at) VALUES (:h, :p, :u, :d, tk_ts(:c), "
                     "tk_ts(:e), tk_ts(:x))"))
          .in(token.token_hash)
          .in(token.purpose)
          .in(token.user.str())
          .in(token.payload)
          .in(us(token.created_at))
          .in(us(token.expires_at))
          .in(used)
          .exec();
      return ok();
    });
  }

  Result<OneTimeToken> consume_one_time(std::string_view token_hash, std::string_view purpose,
                                        Timestamp now) override {
    const std::string h(token_hash);
    return db_.run<OneTimeToken>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<OneTimeToken> {
          OneTimeRow r;
          if (!Query(s, select(db_, OneTimeRow::kCols, "one_time_tokens",
                               std::string("WHERE token_hash = :h") + db_.for_update()))
                   .in(h)
                   .row(r)
                   .one())
            return not_found("token");
          OneTimeToken t = r.get();
          if (t.purpose != purpose) return not_found("token");
          if (t.used_at || now >= t.expires_at) return Error{Errc::gone, "token used or expired"};
          Query(s, db_.q("UPDATE one_time_tokens SET used_at = tk_ts(:n) WHERE token_hash = :h"))
              .in(us(now))
              .in(h)
              .exec();
          t.used_at = now;
          return t;
        });
  }

 private:
  std::optional<Session> load(soci::session& s, const std::string& id) {
    SessionRow r;
    if (!Query(s, select(db_, SessionRow::kCols, "sessions", "WHERE id = :i")).in(id).row(r).one())
      return std::nullopt;
    return r.get();
  }
  std::optional<RefreshToken> load_refresh(soci::session& s, const std::string& id, bool lock) {
    RefreshRow r;
    if (!Query(s, select(db_, RefreshRow::kCols, "refresh_tokens",
                         std::string("WHERE id = :i") + (lock ? db_.for_update() : "")))
             .in(id)
             .row(r)
             .one())
      return std::nullopt;
    return r.get();
  }
  void insert_refresh(soci::session& s, const RefreshToken& t) {
    OptTsIn used(t.used_at);
    const std::string replaced = t.replaced_by ? t.replaced_by->str() : std::string();
    soci::indicator rind = t.replaced_by ? soci::i_ok : soci::i_null;
    const long long created = us(t.created_at), expires = us(t.expires_at);
    soci::statement st =
        (s.prepare << db_.q("INSERT INTO refresh_tokens (id, session_id, "
                            "user_id, token_hash, created_at, expires_at, "
                            "used_at, replaced_by) VALUES (:i, :s, :u, :h, "
                            "tk_ts(:c), tk_ts(:e), tk_ts(:x), :r)"),
         soci::use(t.id.str()), soci::use(t.session.str()), soci::use(t.user.str()),
         soci::use(t.token_hash), soci::use(created), soci::use(expires),
         soci::use(used.v, used.ind), soci::use(replaced, rind));
    st.execute(true);
  }

  Db& db_;
};

class SqlIdempotencyStore final : public IdempotencyStore {
 public:
  explicit SqlIdempotencyStore(Db& db) : db_(db) {}

  Result<IdempotencyBegin> begin(std::string_view scope, std::string_view key,
                                 std::string_view request_hash, Timestamp now,
                                 Timestamp expires_at) override {
    const std::string sc(scope), k(key), h(request_hash);
    return db_.run<IdempotencyBegin>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<IdempotencyBegin> {
          IdempotencyRecord fresh{sc, k, h, false, 0, "", "", now, expires_at};
          // ON CONFLICT DO NOTHING: concurrent first requests race on the primary key, and
          // exactly one of them claims it.
          if (Query(s, db_.q("INSERT INTO idempotency_records (scope, key, request_hash, "
                             "completed, status, content_type, body, created_at, expires_at) "
                             "VALUES (:s, :k, :h, tk_bool(0), 0, '', '', tk_ts(:c), tk_ts(:e)) "
                             "ON CONFLICT (scope, key) DO NOTHING"))
                  .in(sc)
                  .in(k)
                  .in(h)
                  .in(us(now))
                  .in(us(expires_at))
                  .exec() == 1)
            return IdempotencyBegin{IdempotencyBegin::Kind::started, fresh};
          IdemRow r;
          if (!Query(s, select(db_, IdemRow::kCols, "idempotency_records",
                               std::string("WHERE scope = :s AND key = :k") + db_.for_update()))
                   .in(sc)
                   .in(k)
                   .row(r)
                   .one())
            return Error{Errc::unavailable, "idempotency record vanished; retry"};
          IdempotencyRecord rec = r.get();
          if (rec.expires_at <= now) {
            Query(s, db_.q("UPDATE idempotency_records SET request_hash = :h, completed = "
                           "tk_bool(0), status = 0, content_type = '', body = '', created_at = "
                           "tk_ts(:c), expires_at = tk_ts(:e) WHERE scope = :s AND key = :k"))
                .in(h)
                .in(us(now))
                .in(us(expires_at))
                .in(sc)
                .in(k)
                .exec();
            return IdempotencyBegin{IdempotencyBegin::Kind::started, fresh};
          }
          if (rec.request_hash != h) return IdempotencyBegin{IdempotencyBegin::Kind::mismatch, rec};
          if (!rec.completed) return IdempotencyBegin{IdempotencyBegin::Kind::in_progress, rec};
          return IdempotencyBegin{IdempotencyBegin::Kind::replay, rec};
        });
  }

  Result<void> complete(std::string_view scope, std::string_view key, int status,
                        std::string_view content_type, std::string_view body) override {
    const std::string sc(scope), k(key), ct(content_type), b(body);
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      if (Query(s, db_.q("UPDATE idempotency_records SET completed = tk_bool(1), status = :st, "
                         "content_type = :ct, body = :b WHERE scope = :s AND key = :k"))
              .in(status)
              .in(ct)
              .in(b)
              .in(sc)
              .in(k)
              .exec() == 0)
        return not_found("idempotency record");
      return ok();
    });
  }

  Result<void> abandon(std::string_view scope, std::string_view key) override {
    const std::string sc(scope), k(key);
    return db_.run<void>(Access::write, Scope::none(), [&](soci::session& s) -> Result<void> {
      Query(s, db_.q("DELETE FROM idempotency_records WHERE scope = :s AND key = :k AND "
                     "completed = tk_bool(0)"))
          .in(sc)
          .in(k)
          .exec();
      return ok();
    });
  }

  Result<std::int64_t> purge_expired(Timestamp now) override {
    return db_.run<std::int64_t>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<std::int64_t> {
          return static_cast<std::int64_t>(
              Query(s, db_.q("DELETE FROM idempotency_records WHERE expires_at <= tk_ts(:n)"))
                  .in(us(now))
                  .exec());
        });
  }

 private:
  Db& db_;
};

class SqlWebhookEventStore final : public WebhookEventStore {
 public:
  explicit SqlWebhookEventStore(Db& db) : db_(db) {}

  Result<bool> insert_if_new(const WebhookEvent& event) override {
    return db_.run<bool>(Access::write, Scope::none(), [&](soci::session& s) -> Result<bool> {
      const std::string org = event.org ? event.org->str() : std::string();
      soci::indicator oind = event.org ? soci::i_ok : soci::i_null;
      const long long received = us(event.received_at);
      soci::statement st =
          (s.prepare << db_.q("INSERT INTO webhook_events (event_id, type, received_at, org_id) "
                              "VALUES (:i, :t, tk_ts(:r), :o) ON CONFLICT (event_id) DO NOTHING"),
           soci::use(event.event_id), soci::use(event.type), soci::use(received),
           soci::use(org, oind));
      st.execute(true);
      return st.get_affected_rows() == 1;
    });
  }

 private:
  Db& db_;
};

class SqlSubscriptionStore final : public SubscriptionStore {
 public:
  explicit SqlSubscriptionStore(Db& db) : db_(db) {}

  Result<Subscription> get(const OrgId& org) override {
    return db_.run<Subscription>(
        Access::read, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Subscription> {
          SubscriptionRow r;
          if (Query(s, select(db_, SubscriptionRow::kCols, "subscriptions", "WHERE org_id = :o"))
                  .in(org.str())
                  .row(r)
                  .one())
            return r.get();
          long long created = 0;
          if (!Query(s, db_.q("SELECT tk_us(created_at) FROM orgs WHERE id = :o"))
                   .in(org.str())
                   .out(created)
                   .one())
            return not_found("org");
          Subscription def;
          def.org = org;
          def.updated_at = ts(created);
          return def;
        });
  }

  Result<bool> put_if_newer(const OrgId& org, const Subscription& sub) override {
    return db_.run<
        bool>(Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<bool> {
      std::string id;
      if (!Query(s, "SELECT id FROM orgs WHERE id = :o" + std::string(db_.for_update()))
               .in(org.str())
               .out(id)
               .one())
        return not_found("org");
      OptTs stored_last;
      const bool exists = Query(s, db_.q("SELECT tk_us(last_event_at) FROM subscriptions WHERE "
                                         "org_id = :o"))
                              .in(org.str())
                              .out(stored_last)
                              .one();
      if (exists && stored_last.get() &&
          (!sub.last_event_at || *stored_last.get() > *sub.last_event_at))
        return false;
      OptTsIn period(sub.current_period_end), trial(sub.trial_end), last(sub.last_event_at),
          past_due(sub.past_due_since);
      const char* sql =
          "INSERT INTO subscriptions (org_id, plan, status, customer_id, subscription_id, "
          "current_period_end, trial_end, cancel_at_period_end, last_event_at, updated_at, "
          "past_due_since) "
          "VALUES (:o, :p, :s, :c, :si, tk_ts(:pe), tk_ts(:te), tk_bool(:ca), tk_ts(:le), "
          "tk_ts(:u), tk_ts(:pd)) ON CONFLICT (org_id) DO UPDATE SET plan = excluded.plan, status "
          "= "
          "excluded.status, customer_id = excluded.customer_id, subscription_id = "
          "excluded.subscription_id, current_period_end = excluded.current_period_end, trial_end "
          "= excluded.trial_end, cancel_at_period_end = excluded.cancel_at_period_end, "
          "last_event_at = excluded.last_event_at, updated_at = excluded.updated_at, "
          "past_due_since = excluded.past_due_since";
      Query(s, db_.q(sql))
          .in(org.str())
          .in(sub.plan)
          .in(sub.status)
          .in(sub.customer_id)
          .in(sub.subscription_id)
          .in(period)
          .in(trial)
          .in(static_cast<int>(sub.cancel_at_period_end))
          .in(last)
          .in(us(sub.updated_at))
          .in(past_due)
          .exec();
      return true;
    });
  }

  Result<std::optional<OrgId>> find_by_customer(std::string_view customer_id) override {
    const std::string c(customer_id);
    if (c.empty()) return std::optional<OrgId>();
    return db_.run<std::optional<OrgId>>(
        Access::read, Scope::lookup("tenantkit.lookup_customer", c),
        [&](soci::session& s) -> Result<std::optional<OrgId>> {
          std::string org;
          if (!Query(s, "SELECT org_id FROM subscriptions WHERE customer_id = :c")
                   .in(c)
                   .out(org)
                   .one())
            return std::optional<OrgId>();
          return std::optional<OrgId>(OrgId::from_trusted(org));
        });
  }

 private:
  Db& db_;
};

}  // namespace

std::unique_ptr<UserStore> make_user_store(Db& db) {
  return std::make_unique<SqlUserStore>(db);
}
std::unique_ptr<SessionStore> make_session_store(Db& db) {
  return std::make_unique<SqlSessionStore>(db);
}
std::unique_ptr<IdempotencyStore> make_idempotency_store(Db& db) {
  return std::make_unique<SqlIdempotencyStore>(db);
}
std::unique_ptr<WebhookEventStore> make_webhook_event_store(Db& db) {
  return std::make_unique<SqlWebhookEventStore>(db);
}
std::unique_ptr<SubscriptionStore> make_subscription_store(Db& db) {
  return std::make_unique<SqlSubscriptionStore>(db);
}

}  // namespace tenantkit::storage::sql
