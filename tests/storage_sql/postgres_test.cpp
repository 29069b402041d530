// SPDX-License-Identifier: Apache-2.0
// open_postgres(): migrations, the role model, row-level security as the application role, and
// the SQL scenarios. Needs TK_TEST_DATABASE_URL (a superuser URL); skipped only when it is unset.
#include <atomic>

#include <soci/postgresql/soci-postgresql.h>

#include <tenantkit/storage/postgres.hpp>

#include "sql_backends.hpp"
#include "sql_scenarios.hpp"
#include <unistd.h>

namespace tenantkit::testing::sql {
namespace {

class Postgres : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg_superuser_url()) GTEST_SKIP() << "TK_TEST_DATABASE_URL is not set";
  }
};

RawExec raw_pg(const std::string& db) {
  return [db](const std::string& stmt) { *pg_session(db) << stmt; };
}

long long count(soci::session& s, const std::string& sql) {
  long long n = -1;
  s << sql, soci::into(n);
  return n;
}

TEST_F(Postgres, RejectsBadOptions) {
  EXPECT_THAT(storage::open_postgres({.url = "mysql://x"}), HasError(Errc::validation_failed));
  EXPECT_THAT(storage::open_postgres({.url = pg_url("postgres"), .pool_size = 0}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(storage::open_postgres({.url = "postgresql://nobody@127.0.0.1:1/none"}),
              HasError(Errc::unavailable));
}

TEST_F(Postgres, RefusesAnApplicationRoleThatBypassesRls) {
  auto lease = claim_pg_database();
  const std::string db = lease->name();
  // The superuser would bypass every policy: refused even though the schema is fine.
  EXPECT_THAT(storage::open_postgres({.url = pg_url(db)}), HasError(Errc::validation_failed));
}

TEST_F(Postgres, MigratesAnEmptyDatabaseAndRerunsAsNoOp) {
  ensure_pg_app_role();  // on a fresh server, this test may run before any other made it
  const std::string db = "tk_test_empty_" + std::to_string(::getpid());
  *pg_session("postgres") << "CREATE DATABASE " + db;
  // Not migrated yet: the app cannot open it.
  EXPECT_THAT(storage::open_postgres({.url = pg_url(db, kAppRole)}), HasError(Errc::unavailable));
  EXPECT_THAT(storage::migrate_postgres(pg_url(db), kAppRole), IsOkAndHolds(7));
  EXPECT_THAT(storage::migrate_postgres(pg_url(db), kAppRole), IsOkAndHolds(0));
  {
    // open_postgres with a migration URL migrates (no-op here) and grants.
    auto st = storage::open_postgres({.url = pg_url(db, kAppRole), .migration_url = pg_url(db)});
    ASSERT_THAT(st, IsOk());
    EXPECT_EQ((*st)->backend_name(), "postgres");
    EXPECT_THAT((*st)->ping(), IsOk());
  }
  auto s = pg_session(db);
  EXPECT_EQ(count(*s, "SELECT COUNT(*) FROM schema_migrations"), 7);
  // Every tenant table has RLS enabled and forced.
  EXPECT_EQ(count(*s,
                  "SELECT COUNT(*) FROM pg_class WHERE relname IN ('orgs', 'memberships', "
                  "'invitations', 'api_keys', 'roles', 'usage_events', 'usage_daily', "
                  "'subscriptions', 'audit_heads', 'audit_events', 'workspaces', "
                  "'scim_tokens', 'scim_groups') AND relrowsecurity AND relforcerowsecurity"),
            13);
  s.reset();
  drop_pg_database(db);
}

// See Sqlite.ThreadsStartingAtOnceOnAFreshPoolGetAConnectionEach.
TEST_F(Postgres, ThreadsStartingAtOnceOnAFreshPoolGetAConnectionEach) {
  for (int round = 0; round < 5; ++round) {
    auto st = make_pg_storage(8);
    std::atomic<int> ok{0};
    run_concurrently(8, [&](int) { ok += st->ping() ? 1 : 0; });
    EXPECT_EQ(ok.load(), 8);
  }
}

// Every tenant table (sql::tenant_tables()); the RLS proofs below cover each of them.
const char* const kTenantTables[] = {"orgs",        "memberships",  "invitations", "api_keys",
                                     "roles",       "usage_events", "usage_daily", "subscriptions",
                                     "audit_heads", "audit_events", "workspaces",  "scim_tokens",
                                     "scim_groups"};

// Two orgs with rows in every tenant table, made through the stores. B's subscription has no
// customer id (an org that never reached the payment provider).
struct TwoTenants {
  storage::Org a, b;
};

TwoTenants seed(storage::Storage& st) {
  Samples s;
  TwoTenants t{make_org(st, s), make_org(st, s)};
  for (const auto* org : {&t.a, &t.b}) {
    storage::Workspace w;
    w.id = s.id<WorkspaceId>();
    w.org = org->id;
    w.name = "ws";
    w.created_at = w.updated_at = s.now();
    must(st.workspaces().create(org->id, w, std::nullopt));
    must(st.audit().append(org->id, audit_event(s, org->id, "seed")));
    must(st.usage().record(org->id, usage_event(s, org->id, "seed", 1)));
    const auto owner = must(st.memberships().list(org->id, {})).items.at(0).user;
    must(st.invitations().create(org->id, s.invitation(org->id, owner), std::nullopt, s.now()));
    must(st.api_keys().create(org->id, s.api_key(org->id, owner), std::nullopt));
    must(st.roles().create(org->id, s.role(org->id)));
    storage::Subscription sub;
    sub.org = org->id;
    sub.plan = "pro";
    sub.status = "active";
    sub.customer_id = org == &t.a ? s.unique("cus") : std::string();
    sub.updated_at = s.now();
    must(st.subscriptions().put_if_newer(org->id, sub));
    must(st.scim_tokens().replace(org->id, s.scim_token(org->id)));
    must(st.scim_groups().create(org->id, s.scim_group(org->id)));
  }
  return t;
}

TEST_F(Postgres, UnfilteredQueriesAsTheAppRoleSeeOnlyTheCurrentTenant) {
  std::string db;
  auto st = make_pg_storage(2, &db);
  auto t = seed(*st);
  auto app = pg_session(db, kAppRole);
  const auto& tables = kTenantTables;

  // No tenant set: nothing at all.
  *app << "BEGIN";
  for (const char* table : tables)
    EXPECT_EQ(count(*app, std::string("SELECT COUNT(*) FROM ") + table), 0) << table;
  *app << "COMMIT";

  // Tenant A: a deliberately unfiltered SELECT returns only A's rows.
  for (const auto* org : {&t.a, &t.b}) {
    *app << "BEGIN";
    std::string ignored;
    *app << "SELECT set_config('tenantkit.tenant_id', :t, true)", soci::use(org->id.str()),
        soci::into(ignored);
    for (const char* table : tables) {
      const std::string col = std::string(table) == "orgs" ? "id" : "org_id";
      EXPECT_GE(count(*app, std::string("SELECT COUNT(*) FROM ") + table), 1) << table;
      EXPECT_EQ(count(*app, std::string("SELECT COUNT(*) FROM ") + table + " WHERE " + col +
                                " <> '" + org->id.str() + "'"),
                0)
          << table << " leaks another tenant";
    }
    // Writing a row for another tenant is refused by the policy's WITH CHECK.
    const auto* other = org == &t.a ? &t.b : &t.a;
    EXPECT_ANY_THROW(*app << "INSERT INTO workspaces (org_id, id, name, description, created_at, "
                             "updated_at) VALUES ('" +
                                 other->id.str() + "', 'x', 'x', '', now(), now())");
    *app << "ROLLBACK";
  }

  // The same connection, reused after a tenant's transaction: the SET LOCAL did not survive.
  *app << "BEGIN";
  EXPECT_EQ(count(*app, "SELECT COUNT(*) FROM workspaces"), 0);
  *app << "COMMIT";
}

TEST_F(Postgres, PooledConnectionsDoNotLeakTheTenant) {
  // One connection serves both tenants in turn; each sees only its own data.
  auto st = make_pg_storage(1);
  auto t = seed(*st);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(st->workspaces().count(t.a.id), IsOkAndHolds(1));
    EXPECT_THAT(st->workspaces().count(t.b.id), IsOkAndHolds(1));
    auto page = st->workspaces().list(t.b.id, {});
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items[0].org, t.b.id);
  }
  EXPECT_THAT(st->orgs().count(), IsOkAndHolds(2));
}

TEST_F(Postgres, UnscopedLookupsSeeOnlyTheLookedUpRows) {
  std::string db;
  auto st = make_pg_storage(2, &db);
  auto t = seed(*st);
  auto app = pg_session(db, kAppRole);
  *app << "BEGIN";
  std::string ignored;
  const std::string slug = t.a.slug;
  *app << "SELECT set_config('tenantkit.lookup_slug', :s, true)", soci::use(slug),
      soci::into(ignored);
  EXPECT_EQ(count(*app, "SELECT COUNT(*) FROM orgs"), 1);
  EXPECT_EQ(count(*app, "SELECT COUNT(*) FROM workspaces"), 0);
  EXPECT_EQ(count(*app, "SELECT COUNT(*) FROM memberships"), 0);
  *app << "ROLLBACK";
  auto found = st->orgs().find_by_slug(t.b.slug);
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, t.b.id);
}

// A setting a connection once set with set_config(..., true) reads '' (not NULL) in every later
// transaction of that session. The policies must treat '' as unset (migration 6): before, a pooled
// connection that had served find_by_customer showed every subscription without a customer id to
// any later tenant, or to no tenant at all.
TEST_F(Postgres, SettingsLeftEmptyByEarlierTransactionsMatchNoRow) {
  std::string db;
  auto st = make_pg_storage(2, &db);
  auto t = seed(*st);  // B's subscription has customer_id ''
  {
    // Rows of B (and a third org) whose lookup column is '', written past RLS as the owner.
    auto owner = pg_session(db);
    const std::string b = t.b.id.str();
    *owner << "INSERT INTO orgs (id, name, slug, created_at, updated_at) VALUES "
              "('org_empty_slug', 'x', '', now(), now())";
    *owner << "INSERT INTO memberships (org_id, user_id, roles, active, external_id, joined_at) "
              "VALUES ('" +
                  b + "', '', '[]', true, '', now())";
    *owner << "INSERT INTO invitations (org_id, id, email, role, token_hash, invited_by, "
              "created_at, expires_at) VALUES ('" +
                  b +
                  "', 'inv_empty', 'e@example.com', "
                  "'member', '', 'x', now(), now() + interval '1 day')";
    *owner << "INSERT INTO api_keys (org_id, id, name, prefix, hash, pepper_version, scopes, "
              "created_by, created_at) VALUES ('" +
                  b +
                  "', 'key_empty', 'x', '', 'h', 1, '[]', "
                  "'x', now())";
    *owner << "INSERT INTO scim_tokens (org_id, id, token_hash, created_at) VALUES ('" + b +
                  "', 'scim_empty', '', now())";
  }
  auto app = pg_session(db, kAppRole);
  std::string ignored;
  // The lookups as the stores run them, each in its own transaction on this one connection
  // (find_by_customer first), then a tenant's transaction.
  const std::pair<const char*, const char*> lookups[] = {
      {"tenantkit.lookup_customer", "SELECT COUNT(*) FROM subscriptions WHERE customer_id = 'c'"},
      {"tenantkit.lookup_slug", "SELECT COUNT(*) FROM orgs WHERE slug = 'c'"},
      {"tenantkit.admin", "SELECT COUNT(*) FROM orgs"},
      {"tenantkit.lookup_user", "SELECT COUNT(*) FROM memberships WHERE user_id = 'c'"},
      {"tenantkit.lookup_token", "SELECT COUNT(*) FROM invitations WHERE token_hash = 'c'"},
      {"tenantkit.lookup_prefix", "SELECT COUNT(*) FROM api_keys WHERE prefix = 'c'"},
      {"tenantkit.lookup_key_ids", "SELECT COUNT(*) FROM api_keys WHERE id = 'c'"},
      {"tenantkit.tenant_id", "SELECT COUNT(*) FROM workspaces"}};
  for (const auto& [name, query] : lookups) {
    *app << "BEGIN";
    const std::string n = name;
    *app << "SELECT set_config(:n, 'c', true)", soci::use(n), soci::into(ignored);
    EXPECT_EQ(count(*app, query), 0) << name;
    *app << "COMMIT";
  }
  // Tenant A: an unfiltered SELECT returns no row of another org.
  *app << "BEGIN";
  *app << "SELECT set_config('tenantkit.tenant_id', :t, true)", soci::use(t.a.id.str()),
      soci::into(ignored);
  for (const char* table : kTenantTables) {
    const std::string col = std::string(table) == "orgs" ? "id" : "org_id";
    EXPECT_EQ(count(*app, std::string("SELECT COUNT(*) FROM ") + table + " WHERE " + col + " <> '" +
                              t.a.id.str() + "'"),
              0)
        << table << " leaks another tenant's rows";
  }
  *app << "COMMIT";
  // No tenant: nothing at all, and nothing can be written with the empty tenant either.
  *app << "BEGIN";
  for (const char* table : kTenantTables)
    EXPECT_EQ(count(*app, std::string("SELECT COUNT(*) FROM ") + table), 0) << table;
  EXPECT_ANY_THROW(*app << "INSERT INTO workspaces (org_id, id, name, description, created_at, "
                           "updated_at) VALUES ('', 'x', 'x', '', now(), now())");
  *app << "ROLLBACK";
}

TEST_F(Postgres, AuditTamperIsDetected) {
  std::string db;
  auto st = make_pg_storage(4, &db);
  audit_tamper_is_detected(*st, raw_pg(db));
}

TEST_F(Postgres, ConcurrentAuditAppendsFormOneChain) {
  auto st = make_pg_storage(4);
  audit_concurrent_appends_form_one_chain(*st);
}

TEST_F(Postgres, AuditScanStreamsInChunks) {
  auto st = make_pg_storage(2);
  audit_scan_streams_in_chunks(*st);
}

TEST_F(Postgres, UsageIsCountedExactlyOnce) {
  auto st = make_pg_storage(2);
  usage_is_counted_exactly_once(*st);
}

TEST_F(Postgres, ConcurrentDuplicateUsageCountsOnce) {
  auto st = make_pg_storage(4);
  usage_concurrent_duplicates_count_once(*st);
}

TEST_F(Postgres, StatementTimeoutIsUnavailable) {
  auto lease = claim_pg_database();
  const std::string db = lease->name();
  auto st = storage::open_postgres({.url = pg_url(db, kAppRole),
                                    .pool_size = 1,
                                    .statement_timeout = std::chrono::milliseconds(200)});
  ASSERT_THAT(st, IsOk());
  Samples s;
  auto org = make_org(**st, s);
  // Another session holds the org row lock; the store's FOR UPDATE waits past the timeout.
  auto blocker = pg_session(db);
  *blocker << "BEGIN";
  *blocker << "SELECT id FROM orgs WHERE id = '" + org.id.str() + "' FOR UPDATE";
  storage::Workspace w;
  w.id = s.id<WorkspaceId>();
  w.org = org.id;
  w.name = "blocked";
  w.created_at = w.updated_at = s.now();
  EXPECT_THAT((*st)->workspaces().create(org.id, w, 10), HasError(Errc::unavailable));
  *blocker << "ROLLBACK";
  EXPECT_THAT((*st)->workspaces().create(org.id, w, 10), IsOk()) << "the pool recovers";
  st->reset();
  blocker.reset();
}

}  // namespace
}  // namespace tenantkit::testing::sql
