// SPDX-License-Identifier: Apache-2.0
// open_sqlite(): the embedded SQL backend (target tenantkit::sqlite). One database file in WAL
// mode with a busy timeout, a small connection pool, migrations applied at open. The returned
// Storage is safe for concurrent use; writers serialise on SQLite's single write lock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/storage.hpp>

namespace tenantkit::storage {

/// Options for open_sqlite(); set fields with designated initializers.
struct SqliteOptions {
  /// Database file; its folder is created. ":memory:" is a private in-memory database (the pool
  /// is then one connection, since each connection would see its own database). Required.
  std::string path;
  /// Connections (readers run in parallel in WAL mode). Default 4. Valid: 1..256.
  int pool_size = 4;
  /// How long a statement waits for SQLite's write lock before failing. Default 5 s.
  std::chrono::milliseconds busy_timeout{5000};
  /// How long a call waits for a free connection before failing with unavailable. Default 5 s.
  std::chrono::milliseconds acquire_timeout{5000};
};

/// Parses TK_DATABASE_URL's SQLite form "sqlite:PATH" (also "sqlite://PATH").
/// Errors: validation_failed (not a sqlite: URL, or an empty path).
Result<SqliteOptions> sqlite_options_from_url(std::string_view url, int pool_size = 4);

/// Validates `options`, opens (creating the file and its folder), enables WAL, applies pending
/// migrations. Errors: validation_failed (detail names the option), unavailable (cannot open or
/// migrate).
Result<std::unique_ptr<Storage>> open_sqlite(const SqliteOptions& options);

/// Applies pending migrations to the database at options.path without opening a Storage (the
/// server's `migrate` command). Returns how many were applied (0 when up to date).
/// Errors: validation_failed, unavailable.
Result<int> migrate_sqlite(const SqliteOptions& options);

}  // namespace tenantkit::storage
