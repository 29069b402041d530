// SPDX-License-Identifier: Apache-2.0
// Test backends for the SQL stores: a fresh SQLite file per test, and a fresh PostgreSQL database
// per test cloned from one migrated template (CREATE DATABASE ... TEMPLATE, so each test starts
// empty in a few tens of milliseconds). PostgreSQL needs TK_TEST_DATABASE_URL (a superuser URL).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <soci/soci.h>

#include <tenantkit/storage/storage.hpp>

namespace tenantkit::testing::sql {

/// A path for a new SQLite database under the temp folder (unique per call).
std::string fresh_sqlite_path();

/// TK_TEST_DATABASE_URL, or nullopt when unset.
std::optional<std::string> pg_superuser_url();

/// The non-owner application role the tests connect as (created once per server).
inline constexpr const char* kAppRole = "tenantkit_test_app";

/// An empty, migrated database held for one test. Databases are pooled across tests and test
/// processes (CREATE DATABASE is slow on a busy machine): claiming one takes a session-level
/// advisory lock (released even if the process dies) and truncates every table.
class PgDatabase {
 public:
  PgDatabase(std::string name, std::unique_ptr<soci::session> lock)
      : name_(std::move(name)), lock_(std::move(lock)) {}
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  std::unique_ptr<soci::session> lock_;
};

/// Claims an empty, migrated database. Throws when PostgreSQL is unreachable.
std::unique_ptr<PgDatabase> claim_pg_database();
/// `url` with its database (and optionally its user) replaced.
std::string pg_url(const std::string& db, const std::string& user = {});
/// DROP DATABASE ... WITH (FORCE); errors are ignored.
void drop_pg_database(const std::string& db);
/// Creates the login role kAppRole on the test server unless it exists (once per process; safe
/// against parallel test processes).
void ensure_pg_app_role();
/// A raw SOCI session (tests that bypass the stores: tampering, unfiltered queries).
std::unique_ptr<soci::session> pg_session(const std::string& db, const std::string& user = {});

/// open_postgres() on a fresh database as the application role; the database is dropped when the
/// Storage is destroyed.
std::unique_ptr<storage::Storage> make_pg_storage(int pool_size = 4,
                                                  std::string* db_name = nullptr);
std::unique_ptr<storage::Storage> make_sqlite_storage(std::string* path = nullptr);

}  // namespace tenantkit::testing::sql
