// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include <soci/sqlite3/soci-sqlite3.h>

#include <tenantkit/storage/sqlite.hpp>

#include "../sql/db.hpp"
#include "../sql/migrations.hpp"
#include "../sql/stores.hpp"

namespace tenantkit::storage {
namespace {

Result<void> validate(const SqliteOptions& o) {
  if (o.path.empty()) return Error{Errc::validation_failed, "path: required"};
  if (o.pool_size < 1 || o.pool_size > 256)
    return Error{Errc::validation_failed, "pool_size: must be 1..256"};
  if (o.busy_timeout.count() < 0 || o.acquire_timeout.count() < 0)
    return Error{Errc::validation_failed, "timeouts must not be negative"};
  return ok();
}

std::unique_ptr<soci::session> connect(const SqliteOptions& o) {
  // SOCI's sqlite3 connect string: values with spaces are quoted.
  const auto secs = std::max<long long>(1, (o.busy_timeout.count() + 999) / 1000);
  auto s = std::make_unique<soci::session>(soci::sqlite3,
                                           "db=\"" + o.path + "\" timeout=" + std::to_string(secs));
  *s << "PRAGMA busy_timeout = " + std::to_string(o.busy_timeout.count());
  if (o.path != ":memory:") {
    std::string mode;
    *s << "PRAGMA journal_mode = WAL", soci::into(mode);
    // WAL + NORMAL is durable against application crashes, the SQLite-recommended pairing.
    *s << "PRAGMA synchronous = NORMAL";
  }
  *s << "PRAGMA foreign_keys = ON";
  return s;
}

}  // namespace

Result<SqliteOptions> sqlite_options_from_url(std::string_view url, int pool_size) {
  std::string_view path;
  if (url.starts_with("sqlite://"))
    path = url.substr(9);
  else if (url.starts_with("sqlite:"))
    path = url.substr(7);
  else
    return Error{Errc::validation_failed, "database_url: expected sqlite:PATH"};
  if (path.empty()) return Error{Errc::validation_failed, "database_url: empty sqlite path"};
  SqliteOptions o;
  o.path = std::string(path);
  o.pool_size = pool_size;
  return o;
}

Result<int> migrate_sqlite(const SqliteOptions& options) {
  if (auto v = validate(options); !v) return v.error();
  try {
    if (options.path != ":memory:") {
      const auto dir = std::filesystem::path(options.path).parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir);
    }
    auto s = connect(options);
    return sql::apply_migrations(*s, sql::Dialect::sqlite);
  } catch (const std::exception&) {
    return Error{Errc::unavailable, "cannot open or migrate the SQLite database"};
  }
}

Result<std::unique_ptr<Storage>> open_sqlite(const SqliteOptions& options) {
  if (auto v = validate(options); !v) return v.error();
  SqliteOptions o = options;
  const bool memory = o.path == ":memory:";
  if (memory) o.pool_size = 1;
  std::unique_ptr<soci::session> first;
  try {
    if (!memory) {
      const auto dir = std::filesystem::path(o.path).parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir);
    }
    first = connect(o);
    sql::apply_migrations(*first, sql::Dialect::sqlite);
  } catch (const std::exception&) {
    return Error{Errc::unavailable, "cannot open or migrate the SQLite database"};
  }
  // An in-memory database lives only as long as its one connection: hand that very connection
  // to the pool instead of opening a new (empty) one.
  auto pool = std::make_unique<sql::Pool>(
      o.pool_size, o.acquire_timeout,
      [o]() -> std::unique_ptr<soci::session> {
        if (o.path == ":memory:") throw std::runtime_error("in-memory SQLite connection lost");
        return connect(o);
      },
      std::move(first));
  auto db = std::make_unique<sql::Db>(sql::Dialect::sqlite, std::move(pool));
  return sql::make_storage(std::move(db), "sqlite");
}

}  // namespace tenantkit::storage
