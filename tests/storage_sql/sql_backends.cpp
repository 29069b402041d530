// SPDX-License-Identifier: Apache-2.0
#include "sql_backends.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <soci/postgresql/soci-postgresql.h>

#include <tenantkit/storage/postgres.hpp>
#include <tenantkit/storage/sqlite.hpp>

#include <unistd.h>

namespace tenantkit::testing::sql {
namespace {

std::atomic<int> g_counter{0};

// Forwards to the real storage and gives its database back to the pool afterwards.
class LeasedStorage final : public storage::Storage {
 public:
  LeasedStorage(std::unique_ptr<storage::Storage> inner, std::unique_ptr<PgDatabase> db)
      : inner_(std::move(inner)), db_(std::move(db)) {}
  ~LeasedStorage() override {
    inner_.reset();  // close the pool before the database goes back
    db_.reset();
  }
  storage::OrgStore& orgs() override { return inner_->orgs(); }
  storage::UserStore& users() override { return inner_->users(); }
  storage::MembershipStore& memberships() override { return inner_->memberships(); }
  storage::InvitationStore& invitations() override { return inner_->invitations(); }
  storage::SessionStore& sessions() override { return inner_->sessions(); }
  storage::ApiKeyStore& api_keys() override { return inner_->api_keys(); }
  storage::RoleStore& roles() override { return inner_->roles(); }
  storage::UsageStore& usage() override { return inner_->usage(); }
  storage::SubscriptionStore& subscriptions() override { return inner_->subscriptions(); }
  storage::WebhookEventStore& webhook_events() override { return inner_->webhook_events(); }
  storage::AuditStore& audit() override { return inner_->audit(); }
  storage::WorkspaceStore& workspaces() override { return inner_->workspaces(); }
  storage::ScimTokenStore& scim_tokens() override { return inner_->scim_tokens(); }
  storage::ScimGroupStore& scim_groups() override { return inner_->scim_groups(); }
  storage::IdempotencyStore& idempotency() override { return inner_->idempotency(); }
  Result<void> ping() override { return inner_->ping(); }
  std::string_view backend_name() const noexcept override { return inner_->backend_name(); }

 private:
  std::unique_ptr<storage::Storage> inner_;
  std::unique_ptr<PgDatabase> db_;
};

const char* kTemplate = "tenantkit_test_template_v5";

}  // namespace

void ensure_pg_app_role() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto s = pg_session("postgres");
    *s << "SELECT pg_advisory_lock(424243)";
    int n = 0;
    *s << "SELECT COUNT(*) FROM pg_roles WHERE rolname = '" + std::string(kAppRole) + "'",
        soci::into(n);
    if (n == 0) *s << "CREATE ROLE " + std::string(kAppRole) + " LOGIN";
    *s << "SELECT pg_advisory_unlock(424243)";
  });
}

namespace {

void ensure_template() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto s = pg_session("postgres");
    // Parallel test processes share the server: one of them builds the template, the others
    // wait on the lock and then find it.
    ensure_pg_app_role();
    *s << "SELECT pg_advisory_lock(424242)";
    int n = 0;
    *s << "SELECT COUNT(*) FROM pg_database WHERE datname = '" + std::string(kTemplate) + "'",
        soci::into(n);
    if (n == 0) {
      const std::string building = std::string(kTemplate) + "_building";
      *s << "DROP DATABASE IF EXISTS " + building + " WITH (FORCE)";
      *s << "CREATE DATABASE " + building;
      auto m = storage::migrate_postgres(pg_url(building), kAppRole);
      if (!m) {
        *s << "SELECT pg_advisory_unlock(424242)";
        throw std::runtime_error("migrating the template database failed");
      }
      *s << "ALTER DATABASE " + building + " RENAME TO " + kTemplate;
    }
    *s << "SELECT pg_advisory_unlock(424242)";
  });
}

}  // namespace

std::string fresh_sqlite_path() {
  const auto dir = std::filesystem::temp_directory_path() / "tenantkit-sqlite-tests";
  std::filesystem::create_directories(dir);
  const auto path =
      dir / ("t" + std::to_string(::getpid()) + "_" + std::to_string(g_counter++) + ".db");
  // A process id comes back in a later run (every ctest test is its own process): remove what an
  // earlier process left under this name, or the "fresh" database would hold its rows.
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path.string();
}

std::optional<std::string> pg_superuser_url() {
  const char* v = std::getenv("TK_TEST_DATABASE_URL");
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string pg_url(const std::string& db, const std::string& user) {
  std::string url = pg_superuser_url().value_or("");
  if (url.empty()) throw std::runtime_error("TK_TEST_DATABASE_URL is not set");
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme + 3);
  const auto query = url.find('?', scheme + 3);
  std::string head = url.substr(0, slash);
  // A query parameter keeps SOCI 4.0 from rewriting the URI (see src/storage/postgres).
  const std::string tail =
      query == std::string::npos ? "?application_name=tenantkit_test" : url.substr(query);
  if (!user.empty()) {
    const auto at = head.find('@');
    head = head.substr(0, scheme + 3) + user + "@" + head.substr(at + 1);
  }
  return head + "/" + db + tail;
}

std::unique_ptr<soci::session> pg_session(const std::string& db, const std::string& user) {
  return std::make_unique<soci::session>(soci::postgresql, pg_url(db, user));
}

std::unique_ptr<PgDatabase> claim_pg_database() {
  ensure_template();
  auto lock = pg_session("postgres");
  for (int n = 0;; ++n) {
    int got = 0;
    *lock << "SELECT CAST(pg_try_advisory_lock(" + std::to_string(770000 + n) + ") AS integer)",
        soci::into(got);
    if (got == 0) continue;
    const std::string name = std::string(kTemplate) + "_pool_" + std::to_string(n);
    int exists = 0;
    *lock << "SELECT COUNT(*) FROM pg_database WHERE datname = '" + name + "'", soci::into(exists);
    if (exists == 0) {
      *lock << "CREATE DATABASE " + name + " TEMPLATE " + kTemplate;
    } else {
      auto db = pg_session(name);
      std::string tables;
      *db << "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = "
             "'public' AND tablename <> 'schema_migrations'",
          soci::into(tables);
      *db << "TRUNCATE " + tables;
    }
    return std::make_unique<PgDatabase>(name, std::move(lock));
  }
}

void drop_pg_database(const std::string& db) {
  try {
    auto s = pg_session("postgres");
    *s << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
  } catch (const std::exception&) {
  }
}

std::unique_ptr<storage::Storage> make_pg_storage(int pool_size, std::string* db_name) {
  auto db = claim_pg_database();
  if (db_name) *db_name = db->name();
  auto st = storage::open_postgres({.url = pg_url(db->name(), kAppRole), .pool_size = pool_size});
  if (!st) throw std::runtime_error("open_postgres failed: " + st.error().detail);
  return std::make_unique<LeasedStorage>(std::move(*st), std::move(db));
}

std::unique_ptr<storage::Storage> make_sqlite_storage(std::string* path) {
  const std::string p = fresh_sqlite_path();
  if (path) *path = p;
  auto st = storage::open_sqlite({.path = p});
  if (!st) throw std::runtime_error("open_sqlite failed: " + st.error().detail);
  return std::move(*st);
}

}  // namespace tenantkit::testing::sql
