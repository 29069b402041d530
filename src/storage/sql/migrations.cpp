// SPDX-License-Identifier: Apache-2.0
#include "migrations.hpp"

#include <cctype>
#include <stdexcept>

namespace tenantkit::storage::sql {
namespace {

// {TS}: timestamptz on PostgreSQL (UTC, microseconds), integer microseconds on SQLite.
// {BOOL}, {DAY}: boolean / date on PostgreSQL, INTEGER / TEXT (YYYY-MM-DD) on SQLite.
constexpr std::string_view kSchemaV1[] = {
    R"(CREATE TABLE orgs (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  created_at {TS} NOT NULL,
  updated_at {TS} NOT NULL))",
    R"(CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  active {BOOL} NOT NULL,
  created_at {TS} NOT NULL,
  updated_at {TS} NOT NULL))",
    R"(CREATE TABLE memberships (
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  roles TEXT NOT NULL,
  active {BOOL} NOT NULL,
  external_id TEXT NOT NULL,
  joined_at {TS} NOT NULL,
  PRIMARY KEY (org_id, user_id)))",
    "CREATE UNIQUE INDEX memberships_external_id ON memberships (org_id, external_id) "
    "WHERE external_id <> ''",
    // list_for_user (the user's own view) is the one cross-tenant read of this table.
    "CREATE INDEX memberships_user ON memberships (user_id, org_id)",
    R"(CREATE TABLE invitations (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  invited_by TEXT NOT NULL,
  created_at {TS} NOT NULL,
  expires_at {TS} NOT NULL,
  accepted_at {TS},
  revoked_at {TS},
  PRIMARY KEY (org_id, id)))",
    "CREATE INDEX invitations_email ON invitations (org_id, email)",
    R"(CREATE TABLE sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL,
  created_at {TS} NOT NULL,
  last_seen_at {TS} NOT NULL,
  expires_at {TS} NOT NULL,
  revoked_at {TS}))",
    "CREATE INDEX sessions_user ON sessions (user_id, created_at)",
    R"(CREATE TABLE refresh_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at {TS} NOT NULL,
  expires_at {TS} NOT NULL,
  used_at {TS},
  replaced_by TEXT))",
    R"(CREATE TABLE one_time_tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,
  purpose TEXT NOT NULL,
  user_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at {TS} NOT NULL,
  expires_at {TS} NOT NULL,
  used_at {TS}))",
    R"(CREATE TABLE api_keys (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  pepper_version INTEGER NOT NULL,
  scopes TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at {TS} NOT NULL,
  expires_at {TS},
  last_used_at {TS},
  revoked_at {TS},
  rotated_to TEXT,
  PRIMARY KEY (org_id, id)))",
    R"(CREATE TABLE roles (
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  permissions TEXT NOT NULL,
  deny TEXT NOT NULL,
  inherits TEXT NOT NULL,
  created_at {TS} NOT NULL,
  updated_at {TS} NOT NULL,
  PRIMARY KEY (org_id, name)))",
    R"(CREATE TABLE usage_events (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  meter TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  idempotency_key TEXT NOT NULL,
  occurred_at {TS} NOT NULL,
  recorded_at {TS} NOT NULL,
  PRIMARY KEY (org_id, idempotency_key)))",
    // Nothing reads usage events by id, so the idempotency key is the primary key: one unique
    // index fewer to maintain at ingest rates.
    "CREATE INDEX usage_events_meter ON usage_events (org_id, meter, occurred_at)",
    R"(CREATE TABLE usage_daily (
  org_id TEXT NOT NULL,
  meter TEXT NOT NULL,
  day {DAY} NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (org_id, meter, day)))",
    "CREATE INDEX usage_daily_day ON usage_daily (org_id, day)",
    R"(CREATE TABLE subscriptions (
  org_id TEXT NOT NULL PRIMARY KEY,
  plan TEXT NOT NULL,
  status TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  current_period_end {TS},
  trial_end {TS},
  cancel_at_period_end {BOOL} NOT NULL,
  last_event_at {TS},
  updated_at {TS} NOT NULL))",
    "CREATE INDEX subscriptions_customer ON subscriptions (customer_id) WHERE customer_id <> ''",
    R"(CREATE TABLE webhook_events (
  event_id TEXT NOT NULL PRIMARY KEY,
  type TEXT NOT NULL,
  received_at {TS} NOT NULL,
  org_id TEXT))",
    // One row per org: the chain head. append() locks it, so concurrent writers serialise per org.
    R"(CREATE TABLE audit_heads (
  org_id TEXT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL))",
    R"(CREATE TABLE audit_events (
  org_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  request_id TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  at {TS} NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (org_id, seq)))",
    "CREATE INDEX audit_events_at ON audit_events (org_id, at)",
    R"(CREATE TABLE workspaces (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at {TS} NOT NULL,
  updated_at {TS} NOT NULL,
  PRIMARY KEY (org_id, id)))",
    R"(CREATE TABLE scim_tokens (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at {TS} NOT NULL,
  revoked_at {TS},
  PRIMARY KEY (org_id, id)))",
    R"(CREATE TABLE idempotency_records (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  completed {BOOL} NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at {TS} NOT NULL,
  expires_at {TS} NOT NULL,
  PRIMARY KEY (scope, key)))",
    "CREATE INDEX idempotency_expiry ON idempotency_records (expires_at)",
};

// PostgreSQL helpers used by the portable query text (SQLite strips the `tk_` names). Integer
// microseconds cross the wire; the conversions below are exact up to 2^53 us (year 2255).
constexpr std::string_view kPgFunctions[] = {
    "CREATE FUNCTION tk_ts(v bigint) RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE "
    "AS $$ SELECT timestamptz 'epoch' + v * interval '1 microsecond' $$",
    "CREATE FUNCTION tk_us(t timestamptz) RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE "
    "AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$",
    "CREATE FUNCTION tk_int(b boolean) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT b::integer $$",
    "CREATE FUNCTION tk_bool(i integer) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT i <> 0 $$",
    "CREATE FUNCTION tk_day(d date) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$",
    "CREATE FUNCTION tk_date(t text) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT t::date $$",
    // The tenant of the current transaction. Migration 6 replaces this body with NULLIF(..., ''):
    // a setting a connection once set reads '' (not NULL) afterwards, and must match no row.
    "CREATE FUNCTION tk_tenant() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE "
    "AS $$ SELECT current_setting('tenantkit.tenant_id', true) $$",
};

std::string substitute(std::string_view text, Dialect d) {
  const bool pg = d == Dialect::postgres;
  std::string s(text);
  auto repl = [&](std::string_view from, std::string_view to) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
      s.replace(pos, from.size(), to);
  };
  repl("{TS}", pg ? "timestamptz" : "INTEGER");
  repl("{BOOL}", pg ? "boolean" : "INTEGER");
  repl("{DAY}", pg ? "date" : "TEXT");
  return s;
}

// Row-level security. Each tenant table is visible only for the transaction's tenant; the few
// unscoped lookups of the interfaces each get a narrow extra policy keyed on their own
// transaction-local setting, so even then an unfiltered query sees only the looked-up rows.
std::vector<std::string> rls_statements() {
  std::vector<std::string> out;
  auto tenant_policy = [&](const std::string& table, const std::string& col,
                           const std::string& extra) {
    out.push_back("ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY");
    out.push_back("ALTER TABLE " + table + " FORCE ROW LEVEL SECURITY");
    out.push_back("CREATE POLICY tenant_isolation ON " + table + " USING (" + col +
                  " = tk_tenant()) WITH CHECK (" + col + " = tk_tenant())");
    if (!extra.empty())
      out.push_back("CREATE POLICY unscoped_lookup ON " + table + " FOR SELECT USING (" + extra +
                    ")");
  };
  auto setting = [](const char* name) {
    return std::string("current_setting('tenantkit.") + name + "', true)";
  };
  tenant_policy("orgs", "id",
                "slug = " + setting("lookup_slug") + " OR " + setting("admin") + " = 'count'");
  tenant_policy("memberships", "org_id", "user_id = " + setting("lookup_user"));
  tenant_policy("invitations", "org_id", "token_hash = " + setting("lookup_token"));
  tenant_policy("api_keys", "org_id", "prefix = " + setting("lookup_prefix"));
  tenant_policy("roles", "org_id", "");
  tenant_policy("usage_events", "org_id", "");
  tenant_policy("usage_daily", "org_id", "");
  tenant_policy("subscriptions", "org_id", "customer_id = " + setting("lookup_customer"));
  tenant_policy("audit_heads", "org_id", "");
  tenant_policy("audit_events", "org_id", "");
  tenant_policy("workspaces", "org_id", "");
  tenant_policy("scim_tokens", "org_id", "token_hash = " + setting("lookup_token"));
  // The background last-used flush updates exactly the listed key ids, nothing else.
  out.push_back(
      "CREATE POLICY last_used_flush ON api_keys FOR UPDATE USING (id = ANY(string_to_array(" +
      setting("lookup_key_ids") + ", ','))) WITH CHECK (id = ANY(string_to_array(" +
      setting("lookup_key_ids") + ", ',')))");
  out.push_back(
      "CREATE POLICY last_used_flush_read ON api_keys FOR SELECT USING (id = "
      "ANY(string_to_array(" +
      setting("lookup_key_ids") + ", ',')))");
  return out;
}

}  // namespace

const std::vector<std::string>& tenant_tables() {
  static const std::vector<std::string> t = {
      "orgs",         "memberships", "invitations",   "api_keys",    "roles",
      "usage_events", "usage_daily", "subscriptions", "audit_heads", "audit_events",
      "workspaces",   "scim_tokens", "scim_groups"};
  return t;
}

std::vector<Migration> migrations(Dialect dialect) {
  std::vector<Migration> out;
  Migration v1{1, "initial schema", {}};
  if (dialect == Dialect::postgres)
    for (auto f : kPgFunctions) v1.statements.emplace_back(f);
  for (auto stmt : kSchemaV1) v1.statements.push_back(substitute(stmt, dialect));
  out.push_back(std::move(v1));
  // SQLite is embedded and single-tenant-per-process in practice: no roles, no RLS; the version
  // is still recorded so both dialects share one numbering.
  out.push_back(
      Migration{2, "row-level security",
                dialect == Dialect::postgres ? rls_statements() : std::vector<std::string>{}});
  out.push_back(migration_v3(dialect));
  // The SCIM directory's per-org view of a member (scim::ScimService), a JSON object or ''.
  out.push_back(
      Migration{4,
                "membership scim profile",
                {"ALTER TABLE memberships ADD COLUMN scim_profile TEXT NOT NULL DEFAULT ''"}});
  // SCIM groups (scim::ScimService): led by the tenant id like every tenant table, one
  // displayName per org (display_key is its lower-case form), members as a JSON array of user ids.
  Migration v5{5, "scim groups", {}};
  v5.statements.push_back(substitute(R"(CREATE TABLE scim_groups (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  display_key TEXT NOT NULL,
  external_id TEXT NOT NULL,
  members TEXT NOT NULL,
  version BIGINT NOT NULL,
  created_at {TS} NOT NULL,
  updated_at {TS} NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, display_key)))",
                                     dialect));
  if (dialect == Dialect::postgres)
    for (const char* stmt : {"ALTER TABLE scim_groups ENABLE ROW LEVEL SECURITY",
                             "ALTER TABLE scim_groups FORCE ROW LEVEL SECURITY",
                             "CREATE POLICY tenant_isolation ON scim_groups USING (org_id = "
                             "tk_tenant()) WITH CHECK (org_id = tk_tenant())"})
      v5.statements.emplace_back(stmt);
  out.push_back(std::move(v5));
  out.push_back(migration_v6(dialect));
  out.push_back(migration_v7(dialect));
  return out;
}

int apply_migrations(soci::session& s, Dialect dialect) {
  const bool pg = dialect == Dialect::postgres;
  int applied = 0;
  s << (pg ? "BEGIN" : "BEGIN IMMEDIATE");
  try {
    if (pg) s << "SELECT pg_advisory_xact_lock(7316827366)";  // "tenantkit migrate"
    s << (pg ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
               "name TEXT NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
             : "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
               "name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    int current = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT MAX(version) FROM schema_migrations", soci::into(current, ind);
    if (ind != soci::i_ok) current = 0;
    for (const Migration& m : migrations(dialect)) {
      if (m.version <= current) continue;
      for (const std::string& stmt : m.statements) s << stmt;
      s << "INSERT INTO schema_migrations (version, name) VALUES (:v, :n)", soci::use(m.version),
          soci::use(m.name);
      ++applied;
    }
    s << "COMMIT";
  } catch (...) {
    try {
      s << "ROLLBACK";
    } catch (...) {
    }
    throw;
  }
  return applied;
}

void grant_app_role(soci::session& s, const std::string& role) {
  for (char c : role)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      throw std::invalid_argument("unexpected character in role name");
  const std::string r = "\"" + role + "\"";
  s << "GRANT USAGE ON SCHEMA public TO " + r;
  s << "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + r;
  s << "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM " + r;
}

}  // namespace tenantkit::storage::sql
