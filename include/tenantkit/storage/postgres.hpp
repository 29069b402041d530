// SPDX-License-Identifier: Apache-2.0
// open_postgres(): the PostgreSQL backend (target tenantkit::postgres). Tenant isolation is
// enforced twice: every query filters by org in code, and row-level security (FORCE, policies on
// the transaction-local setting tenantkit.tenant_id) filters again, because the application
// connects as a non-owner role without BYPASSRLS. See docs/sql-storage.md for the role model.
// The returned Storage is safe for concurrent use; calls block.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/storage.hpp>

namespace tenantkit::storage {

/// Options for open_postgres(); set fields with designated initializers.
struct PostgresOptions {
  /// libpq URI of the application role (TK_DATABASE_URL, "postgresql://app@host/db"). The role
  /// must not own the tables, be a superuser or have BYPASSRLS. Required.
  std::string url;
  /// Connections in the pool (TK_DATABASE_POOL_SIZE). Default 8. Valid: 1..256.
  int pool_size = 8;
  /// Server-side statement timeout; a timeout fails the call with unavailable. Default 5 s.
  std::chrono::milliseconds statement_timeout{5000};
  /// How long a call waits for a free connection before failing with unavailable. Default 5 s.
  std::chrono::milliseconds acquire_timeout{5000};
  /// libpq URI of the schema owner, used only to run migrations and grant the role of `url` access
  /// to the tables. Default empty: migrations are not run at open (run migrate_postgres() as the
  /// owner first, e.g. from a deploy step); open still checks the schema is up to date.
  std::string migration_url = {};
};

/// Validates `options`, applies pending migrations (when migration_url is set), connects the
/// pool and checks that the application role is subject to row-level security.
/// Errors: validation_failed (detail names the option: bad URL, pool size, or an application
/// role that would bypass RLS), unavailable (cannot connect, migrate, or schema out of date).
Result<std::unique_ptr<Storage>> open_postgres(const PostgresOptions& options);

/// Applies pending migrations as the owner (`owner_url`) and grants `app_role` (if not empty)
/// the table privileges it needs. Returns how many migrations were applied (0 when up to date).
/// Errors: validation_failed (bad role name), unavailable.
Result<int> migrate_postgres(const std::string& owner_url, const std::string& app_role);

}  // namespace tenantkit::storage
