// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations for both dialects, recorded in schema_migrations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db.hpp"

namespace tenantkit::storage::sql {

struct Migration {
  int version;
  std::string name;
  std::vector<std::string> statements;  ///< Executed in order, in one transaction.
};

/// One function per migration after the first two, each in its own file under migrations/
/// (never edited once released; a schema change is a new file and a new line in migrations()).
Migration migration_v3(Dialect dialect);  // subscriptions.past_due_since
Migration migration_v6(Dialect dialect);  // RLS policies read an empty setting as NULL
Migration migration_v7(Dialect dialect);  // sessions.active_org

/// Every migration of `dialect`, in version order.
std::vector<Migration> migrations(Dialect dialect);

/// Applies pending migrations in one transaction (PostgreSQL: under an advisory lock, so
/// concurrent starters wait rather than race). Returns how many were applied; 0 when up to date.
/// Throws soci::soci_error on failure (the caller maps it).
int apply_migrations(soci::session& s, Dialect dialect);

/// PostgreSQL: lets `role` (the application's non-owner role) use the schema's tables, and
/// nothing more (no DDL, no ownership, so FORCE ROW LEVEL SECURITY applies to it).
void grant_app_role(soci::session& s, const std::string& role);

/// The tenant-owned tables (row-level security on PostgreSQL; distributed tables under Citus).
const std::vector<std::string>& tenant_tables();

}  // namespace tenantkit::storage::sql
