// SPDX-License-Identifier: Apache-2.0
// docs/sql-storage.md: open the storage that TK_DATABASE_URL names (PostgreSQL or SQLite) and
// check it is ready. Run without arguments it uses an SQLite file in a temporary folder.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <tenantkit/core/config.hpp>
#include <tenantkit/storage/postgres.hpp>  // link tenantkit::postgres
#include <tenantkit/storage/sqlite.hpp>    // link tenantkit::sqlite
#include <tenantkit/storage/storage.hpp>

using namespace tenantkit;

// [snippet open]
Result<std::unique_ptr<storage::Storage>> open_storage(const Config& cfg,
                                                       const std::string& owner_url) {
  if (cfg.database_url.starts_with("postgres")) {
    return storage::open_postgres({.url = cfg.database_url,  // the application role
                                   .pool_size = cfg.database_pool_size,
                                   .migration_url = owner_url});  // optional: migrate first
  }
  auto opts = storage::sqlite_options_from_url(cfg.database_url, cfg.database_pool_size);
  if (!opts) return opts.error();
  return storage::open_sqlite(*opts);
}
// [end open]

int main(int argc, char** argv) {
  Config cfg;
  const auto dir = std::filesystem::temp_directory_path() / "tenantkit-sql-storage-example";
  cfg.database_url = argc > 1 ? argv[1] : "sqlite:" + (dir / "tenantkit.db").string();
  auto storage = open_storage(cfg, argc > 2 ? argv[2] : "");
  if (!storage) {
    std::fprintf(stderr, "open failed: %s\n", storage.error().detail.c_str());
    return 1;
  }
  auto ping = (*storage)->ping();
  std::printf("%s storage ready: %s\n", std::string((*storage)->backend_name()).c_str(),
              ping ? "yes" : ping.error().detail.c_str());
  storage->reset();
  if (argc <= 1) std::filesystem::remove_all(dir);
  return ping ? 0 : 1;
}
