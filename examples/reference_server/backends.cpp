// SPDX-License-Identifier: Apache-2.0
#include "backends.hpp"

#include <tenantkit/quota/redis/backend.hpp>  // complete type for ~Backends
#include <tenantkit/storage/postgres.hpp>
#include <tenantkit/storage/sqlite.hpp>

#include "app.hpp"

namespace tenantkit::server {

Backends::Backends() = default;
Backends::~Backends() = default;
Backends::Backends(Backends&&) noexcept = default;
Backends& Backends::operator=(Backends&&) noexcept = default;

namespace {

Result<std::unique_ptr<storage::Storage>> open_storage(const Config& config) {
  const std::string& url = config.database_url;
  if (url.starts_with("sqlite:")) {
    auto options = storage::sqlite_options_from_url(url, config.database_pool_size);
    if (!options) return options.error();
    return storage::open_sqlite(*options);
  }
  return storage::open_postgres({.url = url,
                                 .pool_size = config.database_pool_size,
                                 .migration_url = config.database_migration_url});
}

}  // namespace

Result<Backends> open_backends(App& app) {
  const Config& config = app.config();
  Backends b;
  auto storage = open_storage(config);
  if (!storage) return storage.error();
  b.storage = std::move(*storage);
  storage::Storage* db = b.storage.get();
  app.add_readiness_check({"database", [db] { return db->ping(); }});

  return b;
}

}  // namespace tenantkit::server
