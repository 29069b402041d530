// SPDX-License-Identifier: Apache-2.0
// The server's external state, chosen by configuration: storage from TK_DATABASE_URL (SQLite file
// or PostgreSQL), with a /ready check ("database"). The Redis quota backend needs the plan limits,
// so Services::create() opens it (TK_REDIS_URL) and registers its "redis" check; it is kept here
// with the other connections.
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
  std::unique_ptr<quota::redis::RedisBackend> redis;  ///< Null when TK_REDIS_URL is unset.
};

/// Opens storage (running migrations: always for SQLite, with TK_DATABASE_MIGRATION_URL for
/// PostgreSQL) and registers its readiness check on `app`.
/// Errors: validation_failed (bad URL or options), unavailable (cannot open, connect or migrate).
Result<Backends> open_backends(App& app);

}  // namespace tenantkit::server
