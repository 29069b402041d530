// SPDX-License-Identifier: Apache-2.0
// A thin statement builder over SOCI and the row mappings of every record type.
// Binding is by reference: build, bind and execute a Query in one full expression (or keep the
// bound variables alive until it has run).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <tenantkit/core/encoding.hpp>
#include <tenantkit/core/page.hpp>
#include <tenantkit/storage/records.hpp>

#include "db.hpp"

namespace tenantkit::storage::sql {

class Query {
 public:
  Query(soci::session& s, const std::string& text) : p_(s.prepare << text) {}

  template <class T>
  Query& in(const T& v) {
    p_, soci::use(v);
    return *this;
  }
  Query& in(OptTsIn& v) {
    p_, soci::use(v.v, v.ind);
    return *this;
  }
  template <class T>
  Query& out(T& v) {
    p_, soci::into(v);
    return *this;
  }
  Query& out(OptTs& v) {
    p_, soci::into(v.v, v.ind);
    return *this;
  }
  Query& out(OptStr& v) {
    p_, soci::into(v.v, v.ind);
    return *this;
  }
  template <class Row>
  Query& row(Row& r) {
    r.bind(*this);
    return *this;
  }

  /// Executes; returns the number of affected rows.
  long long exec() {
    soci::statement st(p_);
    st.execute(true);
    return st.get_affected_rows();
  }
  /// Executes and reads the first row into the out() variables; false when there is none.
  bool one() {
    soci::statement st(p_);
    return st.execute(true);
  }
  /// Executes and calls f() after each row is read.
  template <class F>
  void each(F&& f) {
    soci::statement st(p_);
    st.execute();
    while (st.fetch()) f();
  }

 private:
  soci::details::prepare_temp_type p_;
};

// --- rows: the column list (portable SQL, tk_ helpers) and its into() targets -------------------

struct OrgRow {
  static constexpr const char* kCols = "id, name, slug, tk_us(created_at), tk_us(updated_at)";
  std::string id, name, slug;
  long long created = 0, updated = 0;
  void bind(Query& q) { q.out(id).out(name).out(slug).out(created).out(updated); }
  Org get() const { return Org{OrgId::from_trusted(id), name, slug, ts(created), ts(updated)}; }
};

struct UserRow {
  static constexpr const char* kCols =
      "id, email, name, password_hash, tk_int(active), tk_us(created_at), tk_us(updated_at)";
  std::string id, email, name, password_hash;
  int active = 0;
  long long created = 0, updated = 0;
  void bind(Query& q) {
    q.out(id).out(email).out(name).out(password_hash).out(active).out(created).out(updated);
  }
  User get() const {
    return User{UserId::from_trusted(id),
                email,
                name,
                password_hash,
                active != 0,
                ts(created),
                ts(updated)};
  }
};

struct MembershipRow {
  static constexpr const char* kCols =
      "org_id, user_id, roles, tk_int(active), external_id, tk_us(joined_at), scim_profile";
  std::string org, user, roles, external_id, scim_profile;
  int active = 0;
  long long joined = 0;
  void bind(Query& q) {
    q.out(org).out(user).out(roles).out(active).out(external_id).out(joined).out(scim_profile);
  }
  Membership get() const {
    return Membership{OrgId::from_trusted(org),
                      UserId::from_trusted(user),
                      decode_list(roles),
                      active != 0,
                      external_id,
                      ts(joined),
                      scim_profile};
  }
};

struct InvitationRow {
  static constexpr const char* kCols =
      "id, org_id, email, role, token_hash, invited_by, tk_us(created_at), tk_us(expires_at), "
      "tk_us(accepted_at), tk_us(revoked_at)";
  std::string id, org, email, role, token_hash, invited_by;
  long long created = 0, expires = 0;
  OptTs accepted, revoked;
  void bind(Query& q) {
    q.out(id)
        .out(org)
        .out(email)
        .out(role)
        .out(token_hash)
        .out(invited_by)
        .out(created)
        .out(expires);
    q.out(accepted).out(revoked);
  }
  Invitation get() const {
    return Invitation{InvitationId::from_trusted(id),
                      OrgId::from_trusted(org),
                      email,
                      role,
                      token_hash,
                      UserId::from_trusted(invited_by),
                      ts(created),
                      ts(expires),
                      accepted.get(),
                      revoked.get()};
  }
};

struct SessionRow {
  static constexpr const char* kCols =
      "id, user_id, user_agent, ip, tk_us(created_at), tk_us(last_seen_at), tk_us(expires_at), "
      "tk_us(revoked_at), COALESCE(active_org, '')";
  std::string id, user, user_agent, ip;
  long long created = 0, last_seen = 0, expires = 0;
  OptTs revoked;
  std::string active_org;  // '' = none
  void bind(Query& q) {
    q.out(id)
        .out(user)
        .out(user_agent)
        .out(ip)
        .out(created)
        .out(last_seen)
        .out(expires)
        .out(revoked)
        .out(active_org);
  }
  Session get() const {
    return Session{
        SessionId::from_trusted(id),
        UserId::from_trusted(user),
        user_agent,
        ip,
        ts(created),
        ts(last_seen),
        ts(expires),
        revoked.get(),
        active_org.empty() ? std::nullopt : std::optional<OrgId>(OrgId::from_trusted(active_org))};
  }
};

struct RefreshRow {
  static constexpr const char* kCols =
      "id, session_id, user_id, token_hash, tk_us(created_at), tk_us(expires_at), tk_us(used_at), "
      "replaced_by";
  std::string id, session, user, token_hash;
  long long created = 0, expires = 0;
  OptTs used;
  OptStr replaced_by;
  void bind(Query& q) {
    q.out(id)
        .out(session)
        .out(user)
        .out(token_hash)
        .out(created)
        .out(expires)
        .out(used)
        .out(replaced_by);
  }
  RefreshToken get() const {
    return RefreshToken{RefreshTokenId::from_trusted(id),
                        SessionId::from_trusted(session),
                        UserId::from_trusted(user),
                        token_hash,
                        ts(created),
                        ts(expires),
                        used.get(),
                        replaced_by.null() ? std::nullopt
                                           : std::optional<RefreshTokenId>(
                                                 RefreshTokenId::from_trusted(replaced_by.v))};
  }
};

struct OneTimeRow {
  static constexpr const char* kCols =
      "token_hash, purpose, user_id, payload, tk_us(created_at), tk_us(expires_at), "
      "tk_us(used_at)";
  std::string token_hash, purpose, user, payload;
  long long created = 0, expires = 0;
  OptTs used;
  void bind(Query& q) {
    q.out(token_hash).out(purpose).out(user).out(payload).out(created).out(expires).out(used);
  }
  OneTimeToken get() const {
    return OneTimeToken{token_hash,  purpose,   UserId::from_trusted(user), payload, ts(created),
                        ts(expires), used.get()};
  }
};

struct ApiKeyRow {
  static constexpr const char* kCols =
      "id, org_id, name, prefix, hash, pepper_version, scopes, created_by, tk_us(created_at), "
      "tk_us(expires_at), tk_us(last_used_at), tk_us(revoked_at), rotated_to";
  std::string id, org, name, prefix, hash, scopes, created_by;
  int pepper = 1;
  long long created = 0;
  OptTs expires, last_used, revoked;
  OptStr rotated_to;
  void bind(Query& q) {
    q.out(id).out(org).out(name).out(prefix).out(hash).out(pepper).out(scopes).out(created_by);
    q.out(created).out(expires).out(last_used).out(revoked).out(rotated_to);
  }
  ApiKey get() const {
    ApiKey k;
    k.id = ApiKeyId::from_trusted(id);
    k.org = OrgId::from_trusted(org);
    k.name = name;
    k.prefix = prefix;
    k.hash = hash;
    k.pepper_version = pepper;
    k.scopes = decode_list(scopes);
    k.created_by = UserId::from_trusted(created_by);
    k.created_at = ts(created);
    k.expires_at = expires.get();
    k.last_used_at = last_used.get();
    k.revoked_at = revoked.get();
    if (!rotated_to.null()) k.rotated_to = ApiKeyId::from_trusted(rotated_to.v);
    return k;
  }
};

struct RoleRow {
  static constexpr const char* kCols =
      "org_id, name, description, permissions, deny, inherits, tk_us(created_at), "
      "tk_us(updated_at)";
  std::string org, name, description, permissions, deny, inherits;
  long long created = 0, updated = 0;
  void bind(Query& q) {
    q.out(org)
        .out(name)
        .out(description)
        .out(permissions)
        .out(deny)
        .out(inherits)
        .out(created)
        .out(updated);
  }
  Role get() const {
    return Role{OrgId::from_trusted(org),
                name,
                description,
                decode_list(permissions),
                decode_list(deny),
                decode_list(inherits),
                ts(created),
                ts(updated)};
  }
};

struct SubscriptionRow {
  static constexpr const char* kCols =
      "org_id, plan, status, customer_id, subscription_id, tk_us(current_period_end), "
      "tk_us(trial_end), tk_int(cancel_at_period_end), tk_us(last_event_at), tk_us(updated_at), "
      "tk_us(past_due_since)";
  std::string org, plan, status, customer_id, subscription_id;
  OptTs period_end, trial_end, last_event, past_due_since;
  int cancel = 0;
  long long updated = 0;
  void bind(Query& q) {
    q.out(org)
        .out(plan)
        .out(status)
        .out(customer_id)
        .out(subscription_id)
        .out(period_end)
        .out(trial_end);
    q.out(cancel).out(last_event).out(updated).out(past_due_since);
  }
  Subscription get() const {
    Subscription s;
    s.org = OrgId::from_trusted(org);
    s.plan = plan;
    s.status = status;
    s.customer_id = customer_id;
    s.subscription_id = subscription_id;
    s.current_period_end = period_end.get();
    s.trial_end = trial_end.get();
    s.cancel_at_period_end = cancel != 0;
    s.last_event_at = last_event.get();
    s.past_due_since = past_due_since.get();
    s.updated_at = ts(updated);
    return s;
  }
};

struct AuditRow {
  static constexpr const char* kCols =
      "id, org_id, seq, actor_type, actor_id, action, target_type, target_id, ip, user_agent, "
      "request_id, metadata_json, tk_us(at), prev_hash, hash";
  std::string id, org, actor_type, actor_id, action, target_type, target_id, ip, user_agent,
      request_id, metadata, prev_hash, hash;
  long long seq = 0, at = 0;
  void bind(Query& q) {
    q.out(id)
        .out(org)
        .out(seq)
        .out(actor_type)
        .out(actor_id)
        .out(action)
        .out(target_type)
        .out(target_id);
    q.out(ip).out(user_agent).out(request_id).out(metadata).out(at).out(prev_hash).out(hash);
  }
  AuditEvent get() const {
    AuditEvent e;
    e.id = AuditEventId::from_trusted(id);
    e.org = OrgId::from_trusted(org);
    e.seq = seq;
    e.actor_type = actor_type;
    e.actor_id = actor_id;
    e.action = action;
    e.target_type = target_type;
    e.target_id = target_id;
    e.ip = ip;
    e.user_agent = user_agent;
    e.request_id = request_id;
    e.metadata_json = metadata;
    e.at = ts(at);
    e.prev_hash = prev_hash;
    e.hash = hash;
    return e;
  }
};

struct WorkspaceRow {
  static constexpr const char* kCols =
      "id, org_id, name, description, tk_us(created_at), tk_us(updated_at)";
  std::string id, org, name, description;
  long long created = 0, updated = 0;
  void bind(Query& q) { q.out(id).out(org).out(name).out(description).out(created).out(updated); }
  Workspace get() const {
    return Workspace{WorkspaceId::from_trusted(id),
                     OrgId::from_trusted(org),
                     name,
                     description,
                     ts(created),
                     ts(updated)};
  }
};

struct ScimRow {
  static constexpr const char* kCols =
      "id, org_id, token_hash, tk_us(created_at), tk_us(revoked_at)";
  std::string id, org, token_hash;
  long long created = 0;
  OptTs revoked;
  void bind(Query& q) { q.out(id).out(org).out(token_hash).out(created).out(revoked); }
  ScimToken get() const {
    return ScimToken{ScimTokenId::from_trusted(id), OrgId::from_trusted(org), token_hash,
                     ts(created), revoked.get()};
  }
};

struct IdemRow {
  static constexpr const char* kCols =
      "scope, key, request_hash, tk_int(completed), status, content_type, body, "
      "tk_us(created_at), tk_us(expires_at)";
  std::string scope, key, request_hash, content_type, body;
  int completed = 0, status = 0;
  long long created = 0, expires = 0;
  void bind(Query& q) {
    q.out(scope).out(key).out(request_hash).out(completed).out(status).out(content_type).out(body);
    q.out(created).out(expires);
  }
  IdempotencyRecord get() const {
    return IdempotencyRecord{scope,        key,  request_hash, completed != 0, status,
                             content_type, body, ts(created),  ts(expires)};
  }
};

/// "SELECT <cols> FROM <table> <rest>", adapted to the dialect.
inline std::string select(const Db& db, const char* cols, std::string_view table,
                          std::string_view rest) {
  std::string s = "SELECT ";
  s += cols;
  s += " FROM ";
  s += table;
  s += ' ';
  s += rest;
  return db.q(s);
}

/// How lock_org() locks the org row on PostgreSQL.
enum class OrgLock : std::uint8_t {
  /// FOR UPDATE: count-limited inserts and last-owner checks of one org serialise.
  exclusive,
  /// FOR KEY SHARE: only keeps the org from being removed (OrgStore::remove locks it FOR UPDATE)
  /// until the transaction ends; writers of one org do not wait for each other.
  key_share,
};

/// Locks the org row (PostgreSQL; SQLite write transactions are exclusive already). False when
/// the org does not exist (never created, or removed): a write for it must answer not_found
/// instead of storing rows that belong to no org.
inline bool lock_org(Db& db, soci::session& s, const std::string& org,
                     OrgLock mode = OrgLock::exclusive) {
  std::string id;
  const char* lock = !db.pg() ? "" : mode == OrgLock::exclusive ? " FOR UPDATE" : " FOR KEY SHARE";
  return Query(s, "SELECT id FROM orgs WHERE id = :o" + std::string(lock)).in(org).out(id).one();
}

/// The row of `table` matching `where` (one `:v` placeholder bound to `value`), read under the
/// lookup setting `setting`: RLS shows exactly the rows that setting names (docs/sql-storage.md),
/// so this serves the unscoped find_by_* calls. Absence is a value.
template <class Row>
auto find_unique(Db& db, const char* setting, std::string_view table, std::string_view where,
                 const std::string& value) -> Result<std::optional<decltype(Row{}.get())>> {
  using Rec = decltype(Row{}.get());
  return db.run<std::optional<Rec>>(
      Access::read, Scope::lookup(setting, value),
      [&](soci::session& s) -> Result<std::optional<Rec>> {
        Row r;
        if (!Query(s, select(db, Row::kCols, table, where)).in(value).row(r).one())
          return std::optional<Rec>();
        return std::optional<Rec>(r.get());
      });
}

/// Cursors are opaque: base64url("c:" + the last key), so garbage is told apart from a key.
inline std::string encode_cursor(std::string_view key) {
  return base64url_encode("c:" + std::string(key));
}
/// The key a cursor continues after ("" for the first page). Errors: bad_request.
inline Result<std::string> cursor_key(const PageRequest& page) {
  if (page.cursor.empty()) return std::string();
  auto raw = base64url_decode(page.cursor);
  if (!raw || raw->size() < 3 || raw->compare(0, 2, "c:") != 0)
    return Error{Errc::bad_request, "malformed cursor"};
  return raw->substr(2);
}

/// Keyset page of `limit` rows ordered by a text key: fetches limit + 1 to know if more exist.
template <class Rec, class KeyFn>
Page<Rec> make_page(std::vector<Rec> rows, int limit, KeyFn key) {
  Page<Rec> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    page.next_cursor = encode_cursor(key(rows.back()));
  }
  page.items = std::move(rows);
  return page;
}

/// The row of `org` in `table` whose `key_col` is `key` (FOR UPDATE on PostgreSQL when `lock`),
/// read through Row (kCols, bind(), get()); nullopt when there is none.
template <class Row>
auto tenant_row(const Db& db, soci::session& s, std::string_view table, std::string_view key_col,
                const std::string& org, const std::string& key, bool lock = false)
    -> std::optional<decltype(std::declval<const Row&>().get())> {
  std::string rest = "WHERE org_id = :o AND ";
  rest += key_col;
  rest += " = :k";
  if (lock) rest += db.for_update();
  Row r;
  if (!Query(s, select(db, Row::kCols, table, rest)).in(org).in(key).row(r).one())
    return std::nullopt;
  return r.get();
}

/// One keyset page of a tenant table: rows of `org` whose `key_col` sorts after the page's cursor,
/// ordered by it. `and_where` narrows further (" AND ..." with placeholders); `bind_extra(Query&)`
/// binds its values. Errors: bad_request (malformed cursor), as Db::run.
template <class Row, class Rec, class KeyFn, class BindExtra>
Result<Page<Rec>> tenant_page(Db& db, const std::string& org, const PageRequest& page,
                              const char* cols, std::string_view table, std::string_view key_col,
                              KeyFn key, std::string_view and_where, BindExtra bind_extra) {
  auto after = cursor_key(page);
  if (!after) return after.error();
  std::string rest = "WHERE org_id = :o AND ";
  rest += key_col;
  rest += " > :c";
  rest += and_where;
  rest += " ORDER BY ";
  rest += key_col;
  rest += " LIMIT :l";
  const std::string sql = select(db, cols, table, rest);
  return db.run<Page<Rec>>(Access::read, Scope::tenant(org),
                           [&](soci::session& s) -> Result<Page<Rec>> {
                             const int limit = page.clamped_limit();
                             std::vector<Rec> out;
                             Row r;
                             Query q(s, sql);
                             q.in(org).in(*after);
                             bind_extra(q);
                             q.in(limit + 1).row(r).each([&] { out.push_back(r.get()); });
                             return make_page(std::move(out), limit, key);
                           });
}

/// tenant_page() without further conditions.
template <class Row, class Rec, class KeyFn>
Result<Page<Rec>> tenant_page(Db& db, const std::string& org, const PageRequest& page,
                              const char* cols, std::string_view table, std::string_view key_col,
                              KeyFn key) {
  return tenant_page<Row, Rec>(db, org, page, cols, table, key_col, key, {}, [](Query&) {});
}

}  // namespace tenantkit::storage::sql
