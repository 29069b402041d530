// SPDX-License-Identifier: Apache-2.0
// API keys, usage events with daily rollups, and the audit hash chain.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include <boost/json.hpp>

#include <tenantkit/audit/chain.hpp>

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

// ----------------------------------------------------------------------------------------------
class SqlApiKeyStore final : public ApiKeyStore {
 public:
  explicit SqlApiKeyStore(Db& db) : db_(db) {}

  Result<ApiKey> create(const OrgId& org, const ApiKey& key,
                        std::optional<std::int64_t> max_keys) override {
    return db_.run<ApiKey>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ApiKey> {
          if (!lock_org(db_, s, org.str())) return not_found("org");
          if (load(s, org.str(), key.id.str(), false)) return Error{Errc::conflict, "key id taken"};
          if (max_keys) {
            long long n = 0;
            Query(s, "SELECT COUNT(*) FROM api_keys WHERE org_id = :o AND revoked_at IS NULL")
                .in(org.str())
                .out(n)
                .one();
            if (n >= *max_keys) return Error{Errc::plan_limit_reached, "API key limit reached"};
          }
          ApiKey stored = key;
          stored.org = org;
          insert(s, stored);
          return stored;
        });
  }

  Result<ApiKey> get(const OrgId& org, const ApiKeyId& id) override {
    return db_.run<ApiKey>(Access::read, Scope::tenant(org.str()),
                           [&](soci::session& s) -> Result<ApiKey> {
                             auto k = load(s, org.str(), id.str(), false);
                             if (!k) return not_found("API key");
                             return *k;
                           });
  }

  Result<std::optional<ApiKey>> find_by_prefix(std::string_view prefix) override {
    return find_unique<ApiKeyRow>(db_, "tenantkit.lookup_prefix", "api_keys", "WHERE prefix = :v",
                                  std::string(prefix));
  }

  Result<Page<ApiKey>> list(const OrgId& org, const PageRequest& page) override {
    return tenant_page<ApiKeyRow, ApiKey>(db_, org.str(), page, ApiKeyRow::kCols, "api_keys", "id",
                                          [](const ApiKey& k) { return k.id.str(); });
  }

  Result<ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) override {
    return db_.run<ApiKey>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ApiKey> {
          auto k = load(s, org.str(), id.str(), true);
          if (!k) return not_found("API key");
          if (k->revoked_at) return *k;
          Query(s,
                db_.q("UPDATE api_keys SET revoked_at = tk_ts(:n) WHERE org_id = :o AND id = :i"))
              .in(us(now))
              .in(org.str())
              .in(id.str())
              .exec();
          k->revoked_at = now;
          return *k;
        });
  }

  Result<ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id, const ApiKey& successor,
                        Timestamp old_expires_at) override {
    return db_.run<ApiKey>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<ApiKey> {
          auto old = load(s, org.str(), old_id.str(), true);
          if (!old) return not_found("API key");
          if (old->revoked_at || old->rotated_to)
            return Error{Errc::gone, "key already revoked or rotated"};
          ApiKey stored = successor;
          stored.org = org;
          insert(s, stored);
          const Timestamp grace_end =
              old->expires_at ? std::min(*old->expires_at, old_expires_at) : old_expires_at;
          Query(s,
                db_.q("UPDATE api_keys SET rotated_to = :r, expires_at = tk_ts(:e) WHERE org_id = "
                      ":o AND id = :i"))
              .in(successor.id.str())
              .in(us(grace_end))
              .in(org.str())
              .in(old_id.str())
              .exec();
          return stored;
        });
  }

  Result<void> record_last_used(const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) override {
    if (uses.empty()) return ok();
    std::string ids;
    for (const auto& [id, at] : uses) {
      if (!ids.empty()) ids.push_back(',');
      ids += id.str();
    }
    // The flush knows key ids, not orgs: its policy admits exactly these ids for UPDATE.
    return db_.run<void>(Access::write, Scope::lookup("tenantkit.lookup_key_ids", ids),
                         [&](soci::session& s) -> Result<void> {
                           for (const auto& [id, at] : uses) {
                             const long long t = us(at);
                             Query(s, db_.q("UPDATE api_keys SET last_used_at = tk_ts(:t) WHERE "
                                            "id = :i AND (last_used_at IS NULL OR last_used_at "
                                            "< tk_ts(:t2))"))
                                 .in(t)
                                 .in(id.str())
                                 .in(t)
                                 .exec();
                           }
                           return ok();
                         });
  }

 private:
  std::optional<ApiKey> load(soci::session& s, const std::string& org, const std::string& id,
                             bool lock) {
    return tenant_row<ApiKeyRow>(db_, s, "api_keys", "id", org, id, lock);
  }

  void insert(soci::session& s, const ApiKey& k) {
    OptTsIn exp(k.expires_at), last(k.last_used_at), rev(k.revoked_at);
    const std::string rotated = k.rotated_to ? k.rotated_to->str() : std::string();
    soci::indicator rind = k.rotated_to ? soci::i_ok : soci::i_null;
    const std::string scopes = encode_list(k.scopes);
    const long long created = us(k.created_at);
    soci::statement st =
        (s.prepare << db_.q("INSERT INTO api_keys (org_id, id, name, prefix, hash, "
                            "pepper_version, scopes, created_by, created_at, expires_at, "
                            "last_used_at, revoked_at, rotated_to) VALUES (:o, :i, :n, :p, :h, "
                            ":v, :s, :b, tk_ts(:c), tk_ts(:e), tk_ts(:l), tk_ts(:r), :t)"),
         soci::use(k.org.str()), soci::use(k.id.str()), soci::use(k.name), soci::use(k.prefix),
         soci::use(k.hash), soci::use(k.pepper_version), soci::use(scopes),
         soci::use(k.created_by.str()), soci::use(created), soci::use(exp.v, exp.ind),
         soci::use(last.v, last.ind), soci::use(rev.v, rev.ind), soci::use(rotated, rind));
    st.execute(true);
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
Result<void> validate_event(const UsageEvent& e) {
  if (e.quantity < 0) return Error{Errc::validation_failed, "quantity must not be negative"};
  if (e.meter.empty()) return Error{Errc::validation_failed, "meter is required"};
  if (e.idempotency_key.empty())
    return Error{Errc::validation_failed, "idempotency key is required"};
  return ok();
}

class SqlUsageStore final : public UsageStore {
 public:
  explicit SqlUsageStore(Db& db) : db_(db) {}

  Result<RecordOutcome> record(const OrgId& org, const UsageEvent& event) override {
    UsageEvent e = event;
    e.org = org;
    auto r = record_batch({e});
    if (!r) return r.error();
    return r->front();
  }

  Result<std::vector<RecordOutcome>> record_batch(const std::vector<UsageEvent>& events) override {
    for (const auto& e : events)
      if (auto v = validate_event(e); !v) return v.error();
    if (events.empty()) return std::vector<RecordOutcome>{};
    // One transaction for the whole batch; one group per org so that each group runs under its
    // own tenant setting (row-level security checks every inserted row).
    std::map<std::string, std::vector<std::size_t>> by_org;
    for (std::size_t i = 0; i < events.size(); ++i) by_org[events[i].org.str()].push_back(i);
    return db_.run<std::vector<RecordOutcome>>(
        Access::write, Scope::none(), [&](soci::session& s) -> Result<std::vector<RecordOutcome>> {
          std::vector<RecordOutcome> out(events.size());
          for (const auto& [org, idx] : by_org) {
            if (db_.pg()) {
              std::string ignored;
              Query(s, "SELECT set_config('tenantkit.tenant_id', :o, true)")
                  .in(org)
                  .out(ignored)
                  .one();
            }
            // All or nothing: an unknown org rolls back the groups inserted before it. The shared
            // lock keeps the org from being removed meanwhile without serialising ingest.
            if (!lock_org(db_, s, org, OrgLock::key_share)) return not_found("org");
            if (db_.pg()) {
              insert_group_pg(s, org, events, idx, out);
            } else {
              insert_group_sqlite(s, org, events, idx, out);
            }
            if (auto r = rollup(s, org, events, idx, out); !r) return r.error();
          }
          return out;
        });
  }

  Result<std::int64_t> total(const OrgId& org, std::string_view meter, Timestamp from,
                             Timestamp to) override {
    const std::string m(meter);
    return db_.run<std::int64_t>(
        Access::read, Scope::tenant(org.str()), [&](soci::session& s) -> Result<std::int64_t> {
          long long n = 0;
          Query(s, db_.q("SELECT COALESCE(SUM(quantity), 0) FROM usage_events WHERE org_id = :o "
                         "AND meter = :m AND occurred_at >= tk_ts(:f) AND occurred_at < "
                         "tk_ts(:t)"))
              .in(org.str())
              .in(m)
              .in(us(from))
              .in(us(to))
              .out(n)
              .one();
          return static_cast<std::int64_t>(n);
        });
  }

  Result<std::vector<DailyUsage>> daily(const OrgId& org, std::string_view meter,
                                        std::string_view from_date,
                                        std::string_view to_date) override {
    const std::string m(meter), f(from_date), t(to_date);
    if (!parse_date(f) || !parse_date(t))
      return Error{Errc::bad_request, "dates must be YYYY-MM-DD"};
    return db_.run<std::vector<DailyUsage>>(
        Access::read, Scope::tenant(org.str()),
        [&](soci::session& s) -> Result<std::vector<DailyUsage>> {
          std::vector<DailyUsage> out;
          DailyUsage row;
          long long q = 0;
          Query(s, db_.q("SELECT tk_day(day), meter, quantity FROM usage_daily WHERE org_id = :o "
                         "AND (:m1 = '' OR meter = :m2) AND day >= tk_date(:f) AND day <= "
                         "tk_date(:t) ORDER BY day, meter"))
              .in(org.str())
              .in(m)
              .in(m)
              .in(f)
              .in(t)
              .out(row.date)
              .out(row.meter)
              .out(q)
              .each([&] {
                row.quantity = q;
                out.push_back(row);
              });
          return out;
        });
  }

 private:
  // PostgreSQL: the whole group is one INSERT ... SELECT FROM unnest(arrays), one round trip.
  void insert_group_pg(soci::session& s, const std::string& org,
                       const std::vector<UsageEvent>& events, const std::vector<std::size_t>& idx,
                       std::vector<RecordOutcome>& out) {
    std::string ids = "{", meters = "{", keys = "{", qty = "{", occ = "{", rec = "{";
    for (std::size_t i : idx) {
      const UsageEvent& e = events[i];
      append_pg_array_elem(ids, e.id.str());
      append_pg_array_elem(meters, e.meter);
      append_pg_array_elem(keys, e.idempotency_key);
      append_pg_array_elem(qty, std::to_string(e.quantity));
      append_pg_array_elem(occ, std::to_string(us(e.occurred_at)));
      append_pg_array_elem(rec, std::to_string(us(e.recorded_at)));
    }
    for (auto* a : {&ids, &meters, &keys, &qty, &occ, &rec}) a->push_back('}');
    std::unordered_map<std::string, bool> inserted;
    std::string key;
    Query(s,
          "INSERT INTO usage_events (org_id, id, meter, quantity, idempotency_key, occurred_at, "
          "recorded_at) SELECT :o, u.id, u.meter, u.quantity, u.k, tk_ts(u.occ), tk_ts(u.rec) "
          "FROM unnest(CAST(:ids AS text[]), CAST(:meters AS text[]), CAST(:qty AS bigint[]), "
          "CAST(:keys AS text[]), CAST(:occ AS bigint[]), CAST(:rec AS bigint[])) WITH ORDINALITY "
          "AS u(id, meter, quantity, k, occ, rec, n) ORDER BY u.n "
          "ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING idempotency_key")
        .in(org)
        .in(ids)
        .in(meters)
        .in(qty)
        .in(keys)
        .in(occ)
        .in(rec)
        .out(key)
        .each([&] { inserted.emplace(key, false); });
    resolve(s, org, events, idx, inserted, out);
  }

  void insert_group_sqlite(soci::session& s, const std::string& org,
                           const std::vector<UsageEvent>& events,
                           const std::vector<std::size_t>& idx, std::vector<RecordOutcome>& out) {
    std::unordered_map<std::string, bool> inserted;
    std::string id, meter, k;
    long long q = 0, occ = 0, rec = 0;
    soci::statement st =
        (s.prepare << "INSERT INTO usage_events (org_id, id, meter, quantity, idempotency_key, "
                      "occurred_at, recorded_at) VALUES (:o, :i, :m, :q, :k, :oc, :rc) "
                      "ON CONFLICT (org_id, idempotency_key) DO NOTHING",
         soci::use(org), soci::use(id), soci::use(meter), soci::use(q), soci::use(k),
         soci::use(occ), soci::use(rec));
    for (std::size_t i : idx) {
      const UsageEvent& e = events[i];
      id = e.id.str();
      meter = e.meter;
      q = e.quantity;
      k = e.idempotency_key;
      occ = us(e.occurred_at);
      rec = us(e.recorded_at);
      st.execute(true);
      if (st.get_affected_rows() == 1) inserted.emplace(k, false);
    }
    resolve(s, org, events, idx, inserted, out);
  }

  // Fills outcomes: the first event of a key inserted by this batch counts; every other event is
  // a duplicate carrying the stored event's id.
  void resolve(soci::session& s, const std::string& org, const std::vector<UsageEvent>& events,
               const std::vector<std::size_t>& idx, std::unordered_map<std::string, bool>& inserted,
               std::vector<RecordOutcome>& out) {
    std::unordered_map<std::string, std::string> first_id;
    std::vector<std::size_t> need_lookup;
    for (std::size_t i : idx) {
      const UsageEvent& e = events[i];
      auto it = inserted.find(e.idempotency_key);
      if (it != inserted.end() && !it->second) {
        it->second = true;
        out[i] = RecordOutcome{e.id, false};
        first_id.emplace(e.idempotency_key, e.id.str());
      } else if (auto f = first_id.find(e.idempotency_key); f != first_id.end()) {
        out[i] = RecordOutcome{UsageEventId::from_trusted(f->second), true};
      } else {
        need_lookup.push_back(i);
      }
    }
    if (need_lookup.empty()) return;
    // Duplicates of events stored by earlier calls: their first ids, read in one round trip on
    // PostgreSQL (one indexed lookup each on SQLite, which is in-process).
    std::string key, id;
    if (db_.pg()) {
      std::string keys = "{";
      for (std::size_t i : need_lookup) append_pg_array_elem(keys, events[i].idempotency_key);
      keys.push_back('}');
      Query(s,
            "SELECT idempotency_key, id FROM usage_events WHERE org_id = :o AND "
            "idempotency_key = ANY(CAST(:k AS text[]))")
          .in(org)
          .in(keys)
          .out(key)
          .out(id)
          .each([&] { first_id.emplace(key, id); });
    } else {
      for (std::size_t i : need_lookup) {
        if (first_id.count(events[i].idempotency_key)) continue;
        Query(s, "SELECT id FROM usage_events WHERE org_id = :o AND idempotency_key = :k")
            .in(org)
            .in(events[i].idempotency_key)
            .out(id)
            .one();
        first_id.emplace(events[i].idempotency_key, id);
      }
    }
    for (std::size_t i : need_lookup)
      out[i] = RecordOutcome{UsageEventId::from_trusted(first_id[events[i].idempotency_key]), true};
  }

  // Daily rollups in the same transaction, one upsert per (meter, day) in sorted order (a fixed
  // lock order, so concurrent batches cannot deadlock on them).
  Result<void> rollup(soci::session& s, const std::string& org,
                      const std::vector<UsageEvent>& events, const std::vector<std::size_t>& idx,
                      const std::vector<RecordOutcome>& out) {
    std::map<std::pair<std::string, std::string>, long long> sums;
    for (std::size_t i : idx)
      if (!out[i].duplicate)
        sums[{events[i].meter, format_date(events[i].occurred_at)}] += events[i].quantity;
    if (sums.empty()) return ok();
    if (db_.pg()) {
      std::string meters = "{", days = "{", qty = "{";
      for (const auto& [k, v] : sums) {
        append_pg_array_elem(meters, k.first);
        append_pg_array_elem(days, k.second);
        append_pg_array_elem(qty, std::to_string(v));
      }
      for (auto* a : {&meters, &days, &qty}) a->push_back('}');
      Query(s,
            "INSERT INTO usage_daily (org_id, meter, day, quantity) SELECT :o, u.m, u.d, u.q FROM "
            "unnest(CAST(:m AS text[]), CAST(:d AS date[]), CAST(:q AS bigint[])) AS u(m, d, q) "
            "ON CONFLICT (org_id, meter, day) DO UPDATE SET quantity = usage_daily.quantity + "
            "excluded.quantity")
          .in(org)
          .in(meters)
          .in(days)
          .in(qty)
          .exec();
      return ok();
    }
    for (const auto& [k, v] : sums)
      Query(s,
            "INSERT INTO usage_daily (org_id, meter, day, quantity) VALUES (:o, :m, :d, :q) "
            "ON CONFLICT (org_id, meter, day) DO UPDATE SET quantity = usage_daily.quantity + "
            "excluded.quantity")
          .in(org)
          .in(k.first)
          .in(k.second)
          .in(v)
          .exec();
    return ok();
  }

  Db& db_;
};

// ----------------------------------------------------------------------------------------------
// Filters bound in the order they appear in the WHERE clause.
struct AuditFilter {
  std::string where;
  std::string action, actor_id, target_type;
  long long from = 0, to = 0;

  AuditFilter(const std::string& org_clause, const AuditQuery& q) : where(org_clause) {
    if (!q.action.empty()) {
      where += " AND action = :a";
      action = q.action;
    }
    if (!q.actor_id.empty()) {
      where += " AND actor_id = :ac";
      actor_id = q.actor_id;
    }
    if (!q.target_type.empty()) {
      where += " AND target_type = :tt";
      target_type = q.target_type;
    }
    if (q.from) {
      where += " AND at >= tk_ts(:f)";
      from = us(*q.from);
    }
    if (q.to) {
      where += " AND at < tk_ts(:t)";
      to = us(*q.to);
    }
    query = q;
  }
  void bind(Query& qq) const {
    if (!query.action.empty()) qq.in(action);
    if (!query.actor_id.empty()) qq.in(actor_id);
    if (!query.target_type.empty()) qq.in(target_type);
    if (query.from) qq.in(from);
    if (query.to) qq.in(to);
  }
  AuditQuery query;
};

// scan()'s chunk and read_chain()'s limit are clamped to 1..kMaxAuditChunk (as in every backend).
constexpr int kMaxAuditChunk = 1000;

class SqlAuditStore final : public AuditStore {
 public:
  explicit SqlAuditStore(Db& db) : db_(db) {}

  Result<AuditEvent> append(const OrgId& org, const AuditEvent& event) override {
    if (event.action.empty()) return Error{Errc::validation_failed, "action is required"};
    boost::system::error_code ec;
    auto meta = boost::json::parse(event.metadata_json, ec);
    if (ec || !meta.is_object())
      return Error{Errc::validation_failed, "metadata must be a JSON object"};
    return db_.run<AuditEvent>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<AuditEvent> {
          if (!lock_org(db_, s, org.str(), OrgLock::key_share)) return not_found("org");
          // The chain head row is the per-org lock: concurrent appends queue on it, so seq and
          // prev_hash are always read and advanced together.
          Query(s,
                "INSERT INTO audit_heads (org_id, seq, hash) VALUES (:o, 0, '') "
                "ON CONFLICT (org_id) DO NOTHING")
              .in(org.str())
              .exec();
          long long seq = 0;
          std::string prev;
          Query(s, "SELECT seq, hash FROM audit_heads WHERE org_id = :o" +
                       std::string(db_.for_update()))
              .in(org.str())
              .out(seq)
              .out(prev)
              .one();
          AuditEvent e = event;
          e.org = org;
          e.seq = seq + 1;
          e.prev_hash = prev;
          e.hash = audit::chain_hash(prev, e);
          const long long at = us(e.at);
          Query(s, db_.q("INSERT INTO audit_events (org_id, seq, id, actor_type, actor_id, "
                         "action, target_type, target_id, ip, user_agent, request_id, "
                         "metadata_json, at, prev_hash, hash) VALUES (:o, :s, :i, :aty, :aid, "
                         ":act, :tty, :tid, :ip, :ua, :rid, :md, tk_ts(:at), :ph, :h)"))
              .in(org.str())
              .in(static_cast<long long>(e.seq))
              .in(e.id.str())
              .in(e.actor_type)
              .in(e.actor_id)
              .in(e.action)
              .in(e.target_type)
              .in(e.target_id)
              .in(e.ip)
              .in(e.user_agent)
              .in(e.request_id)
              .in(e.metadata_json)
              .in(at)
              .in(e.prev_hash)
              .in(e.hash)
              .exec();
          Query(s, "UPDATE audit_heads SET seq = :s, hash = :h WHERE org_id = :o")
              .in(static_cast<long long>(e.seq))
              .in(e.hash)
              .in(org.str())
              .exec();
          return e;
        });
  }

  Result<Page<AuditEvent>> list(const OrgId& org, const AuditQuery& query,
                                const PageRequest& page) override {
    auto key = cursor_key(page);
    if (!key) return key.error();
    long long below = 0;
    if (!key->empty()) {
      try {
        std::size_t pos = 0;
        below = std::stoll(*key, &pos);
        if (pos != key->size() || below < 0) throw std::invalid_argument("cursor");
      } catch (const std::exception&) {
        return Error{Errc::bad_request, "malformed cursor"};
      }
    }
    const std::string clause =
        key->empty() ? "WHERE org_id = :o" : "WHERE org_id = :o AND seq < :c";
    AuditFilter f(clause, query);
    return db_.run<Page<AuditEvent>>(
        Access::read, Scope::tenant(org.str()), [&](soci::session& s) -> Result<Page<AuditEvent>> {
          const int limit = page.clamped_limit();
          std::vector<AuditEvent> out;
          AuditRow r;
          Query q(s, select(db_, AuditRow::kCols, "audit_events",
                            f.where + " ORDER BY seq DESC LIMIT :l"));
          q.in(org.str());
          if (!key->empty()) q.in(below);
          f.bind(q);
          const int lim = limit + 1;
          q.in(lim).row(r).each([&] { out.push_back(r.get()); });
          return make_page(std::move(out), limit,
                           [](const AuditEvent& e) { return std::to_string(e.seq); });
        });
  }

  Result<void> scan(const OrgId& org, const AuditQuery& query, int chunk,
                    const std::function<bool(const AuditEvent&)>& sink) override {
    const int n = std::clamp(chunk, 1, kMaxAuditChunk);
    AuditFilter f("WHERE org_id = :o AND seq > :after", query);
    long long after = 0;
    // Keyset chunks, each its own short read: memory stays bounded by `chunk` entries.
    for (;;) {
      auto rows = db_.run<std::vector<AuditEvent>>(
          Access::read, Scope::tenant(org.str()),
          [&](soci::session& s) -> Result<std::vector<AuditEvent>> {
            std::vector<AuditEvent> out;
            AuditRow r;
            Query q(s, select(db_, AuditRow::kCols, "audit_events",
                              f.where + " ORDER BY seq LIMIT :l"));
            q.in(org.str()).in(after);
            f.bind(q);
            q.in(n).row(r).each([&] { out.push_back(r.get()); });
            return out;
          });
      if (!rows) return rows.error();
      for (const auto& e : *rows)
        if (!sink(e)) return ok();
      if (static_cast<int>(rows->size()) < n) return ok();
      after = rows->back().seq;
    }
  }

  Result<std::vector<AuditEvent>> read_chain(const OrgId& org, std::int64_t after_seq,
                                             int limit) override {
    const long long after = after_seq;
    const int lim = std::clamp(limit, 1, kMaxAuditChunk);
    return db_.run<std::vector<AuditEvent>>(
        Access::read, Scope::tenant(org.str()),
        [&](soci::session& s) -> Result<std::vector<AuditEvent>> {
          std::vector<AuditEvent> out;
          AuditRow r;
          Query(s, select(db_, AuditRow::kCols, "audit_events",
                          "WHERE org_id = :o AND seq > :a ORDER BY seq LIMIT :l"))
              .in(org.str())
              .in(after)
              .in(lim)
              .row(r)
              .each([&] { out.push_back(r.get()); });
          return out;
        });
  }

  Result<std::int64_t> delete_before(const OrgId& org, Timestamp before) override {
    return db_.run<std::int64_t>(
        Access::write, Scope::tenant(org.str()), [&](soci::session& s) -> Result<std::int64_t> {
          return static_cast<std::int64_t>(
              Query(s, db_.q("DELETE FROM audit_events WHERE org_id = :o AND at < tk_ts(:b)"))
                  .in(org.str())
                  .in(us(before))
                  .exec());
        });
  }

 private:
  Db& db_;
};

}  // namespace

std::unique_ptr<ApiKeyStore> make_api_key_store(Db& db) {
  return std::make_unique<SqlApiKeyStore>(db);
}
std::unique_ptr<UsageStore> make_usage_store(Db& db) {
  return std::make_unique<SqlUsageStore>(db);
}
std::unique_ptr<AuditStore> make_audit_store(Db& db) {
  return std::make_unique<SqlAuditStore>(db);
}

}  // namespace tenantkit::storage::sql
