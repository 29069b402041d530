// SPDX-License-Identifier: Apache-2.0
#include <soci/postgresql/soci-postgresql.h>

#include <tenantkit/storage/postgres.hpp>

#include "../sql/db.hpp"
#include "../sql/migrations.hpp"
#include "../sql/stores.hpp"

namespace tenantkit::storage {
namespace {

Result<void> validate(const PostgresOptions& o) {
  auto is_pg_url = [](const std::string& u) {
    return u.starts_with("postgresql://") || u.starts_with("postgres://");
  };
  if (o.url.empty() || !is_pg_url(o.url))
    return Error{Errc::validation_failed, "url: expected postgresql://..."};
  if (!o.migration_url.empty() && !is_pg_url(o.migration_url))
    return Error{Errc::validation_failed, "migration_url: expected postgresql://..."};
  if (o.pool_size < 1 || o.pool_size > 256)
    return Error{Errc::validation_failed, "pool_size: must be 1..256"};
  if (o.statement_timeout.count() < 0 || o.acquire_timeout.count() < 0)
    return Error{Errc::validation_failed, "timeouts must not be negative"};
  return ok();
}

// SOCI 4.0 rewrites a connect string without any "key=value" (treating it as a database name),
// which mangles a bare URI; a URI with a query parameter reaches libpq unchanged.
std::string connect_string(const std::string& url) {
  if (url.find('=') != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=tenantkit";
}

std::unique_ptr<soci::session> connect(const std::string& url,
                                       std::chrono::milliseconds statement_timeout) {
  auto s = std::make_unique<soci::session>(soci::postgresql, connect_string(url));
  *s << "SET statement_timeout = " + std::to_string(statement_timeout.count());
  *s << "SET TIME ZONE 'UTC'";
  *s << "SET client_min_messages = warning";
  *s << "SET standard_conforming_strings = on";  // Db::begin() writes settings as literals
  return s;
}

int latest_version() {
  int v = 0;
  for (const auto& m : sql::migrations(sql::Dialect::postgres)) v = std::max(v, m.version);
  return v;
}

}  // namespace

Result<int> migrate_postgres(const std::string& owner_url, const std::string& app_role) {
  try {
    auto s = connect(owner_url, std::chrono::minutes(10));
    const int applied = sql::apply_migrations(*s, sql::Dialect::postgres);
    if (!app_role.empty()) sql::grant_app_role(*s, app_role);
    return applied;
  } catch (const std::invalid_argument&) {
    return Error{Errc::validation_failed, "app_role: unexpected characters"};
  } catch (const std::exception& e) {
    if (std::getenv("TK_SQL_DEBUG")) std::fprintf(stderr, "tenantkit migrate: %s\n", e.what());
    return Error{Errc::unavailable, "cannot migrate the PostgreSQL database"};
  }
}

Result<std::unique_ptr<Storage>> open_postgres(const PostgresOptions& options) {
  if (auto v = validate(options); !v) return v.error();
  const PostgresOptions o = options;
  std::unique_ptr<soci::session> first;
  try {
    first = connect(o.url, o.statement_timeout);
  } catch (const std::exception& e) {
    if (std::getenv("TK_SQL_DEBUG")) std::fprintf(stderr, "tenantkit connect: %s\n", e.what());
    return Error{Errc::unavailable, "cannot connect to PostgreSQL"};
  }
  try {
    std::string role;
    int super = 0, bypass = 0;
    *first << "SELECT current_user, CAST(rolsuper AS integer), CAST(rolbypassrls AS integer) "
              "FROM pg_roles WHERE rolname = current_user",
        soci::into(role), soci::into(super), soci::into(bypass);
    if (super != 0 || bypass != 0)
      return Error{Errc::validation_failed,
                   "url: the application role must not be a superuser or have BYPASSRLS"};
    if (!o.migration_url.empty()) {
      auto m = migrate_postgres(o.migration_url, role);
      if (!m) return m.error();
    }
    std::string owner;
    soci::indicator oind = soci::i_null;
    *first << "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND "
              "tablename = 'orgs'",
        soci::into(owner, oind);
    if (oind == soci::i_ok && owner == role)
      return Error{Errc::validation_failed,
                   "url: the application role owns the tables, so row-level security would not "
                   "bind it; use a separate owner role for migration_url"};
    int version = 0;
    soci::indicator vind = soci::i_null;
    *first << "SELECT MAX(version) FROM schema_migrations", soci::into(version, vind);
    if (vind != soci::i_ok || version < latest_version())
      return Error{Errc::unavailable, "database schema is out of date: run the migrations"};
  } catch (const std::exception& e) {
    if (std::getenv("TK_SQL_DEBUG")) std::fprintf(stderr, "tenantkit open: %s\n", e.what());
    return Error{Errc::unavailable, "database schema missing or unreadable: run the migrations"};
  }
  auto pool = std::make_unique<sql::Pool>(
      o.pool_size, o.acquire_timeout,
      [o]() -> std::unique_ptr<soci::session> { return connect(o.url, o.statement_timeout); },
      std::move(first));
  auto db = std::make_unique<sql::Db>(sql::Dialect::postgres, std::move(pool));
  return sql::make_storage(std::move(db), "postgres");
}

}  // namespace tenantkit::storage
