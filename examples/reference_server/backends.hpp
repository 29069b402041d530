// SPDX-License-Identifier: Apache-2.0
// The server's external state, chosen by configuration: storage from TK_DATABASE_URL (SQLite file
// or PostgreSQL) and, when TK_REDIS_URL is set, the Redis quota backend. Each one registers a
// /ready check ("database", "redis").
#pragma once

#include <memory>

#include <tenantkit/core/config.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/storage/storage.hpp>

namespace tenantkit::quota::redis {
class RedisBackend;
}  // namespace tenantkit::quota::redis

namespace tenantkit::server {

class App;

/// What open_backends() opened. Owns everything; outlives the routes that use it.
struct Backends {
  Backends();
  ~Backends();
  Backends(Backends&&) noexcept;
  Backends& operator=(Backends&&) noexcept;

  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<quota::InMemoryLimitSource> limits;
  std::unique_ptr<quota::redis::RedisBackend> redis;  ///< Null when TK_REDIS_URL is unset.
};

/// Opens storage (running migrations: always for SQLite, with TK_DATABASE_MIGRATION_URL for
/// PostgreSQL) and Redis, and registers their readiness checks on `app`.
/// Errors: validation_failed (bad URL or options), unavailable (cannot open, connect or migrate).
Result<Backends> open_backends(App& app);

}  // namespace tenantkit::server
