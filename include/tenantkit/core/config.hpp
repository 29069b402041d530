// SPDX-License-Identifier: Apache-2.0
// Config: every setting of a tenantkit service (the reference server's TK_* variables of API.md),
// built from the environment and equivalent --flags (a flag wins over its variable).
// settings() is the one table of names, defaults and help; docs/configuration.md lists it and a
// test checks that the two agree.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit {

/// Every setting, with its default. Build one with load_config(); a default-constructed Config is
/// the embedded default (SQLite file, in-process quotas, offline billing).
struct Config {
  // --- Network and HTTP
  std::string listen = "127.0.0.1:8080";  ///< TK_LISTEN: host:port to bind.
  std::string public_url;                ///< TK_PUBLIC_URL: base of links; default http://<listen>.
  std::string env = "dev";               ///< TK_ENV: dev | prod (Secure cookies, HSTS in prod).
  int io_threads = 2;                    ///< TK_IO_THREADS: 1..64.
  int worker_threads = 4;                ///< TK_WORKER_THREADS: blocking pool, 1..256.
  std::size_t max_body_bytes = 1 << 20;  ///< TK_MAX_BODY_BYTES: larger bodies get 413.
  std::size_t max_header_bytes = 16 << 10;  ///< TK_MAX_HEADER_BYTES: larger headers get 431.
  std::chrono::seconds read_timeout{15};    ///< TK_READ_TIMEOUT_SECONDS: whole request read.
  std::chrono::seconds idle_timeout{60};    ///< TK_IDLE_TIMEOUT_SECONDS: keep-alive idle.
  std::chrono::seconds shutdown_grace{20};  ///< TK_SHUTDOWN_GRACE_SECONDS: drain on SIGTERM.
  int max_connections = 10000;              ///< TK_MAX_CONNECTIONS: concurrent sockets.
  std::vector<std::string> cors_origins;    ///< TK_CORS_ORIGINS: comma-separated allowlist.
  bool metrics_public = true;               ///< TK_METRICS_PUBLIC: false → /metrics needs admin.
  std::string log_level = "info";           ///< TK_LOG_LEVEL: debug | info | warn | error.

  // --- Storage and shared state
  std::string database_url = "sqlite:./var/tenantkit.db";  ///< TK_DATABASE_URL.
  int database_pool_size = 8;                              ///< TK_DATABASE_POOL_SIZE: 1..256.
  std::string database_migration_url;  ///< TK_DATABASE_MIGRATION_URL: schema owner (PostgreSQL).
  std::string redis_url;               ///< TK_REDIS_URL: empty → in-process quotas.

  // --- Tokens and keys
  std::string jwt_alg = "EdDSA";               ///< TK_JWT_ALG: EdDSA | HS256.
  Secret jwt_secret;                           ///< TK_JWT_SECRET: HS256 key (≥ 32 bytes).
  std::string jwt_key_file;                    ///< TK_JWT_KEY_FILE: Ed25519 keys; default var/.
  std::string jwt_issuer = "tenantkit";        ///< TK_JWT_ISSUER: `iss` claim.
  std::string jwt_audience = "tenantkit";      ///< TK_JWT_AUDIENCE: `aud` claim.
  std::chrono::seconds access_token_ttl{900};  ///< TK_ACCESS_TOKEN_TTL_SECONDS.
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};  ///< TK_REFRESH_TOKEN_TTL_SECONDS.
  Secret api_key_pepper;  ///< TK_API_KEY_PEPPER: keyed-hash key (≥ 32 bytes).
  std::chrono::seconds api_key_grace{24 * 3600};  ///< TK_API_KEY_ROTATION_GRACE_SECONDS.
  Secret admin_token;                             ///< TK_ADMIN_TOKEN: empty → /admin disabled.

  // --- Login throttling
  int login_max_attempts = 10;             ///< TK_LOGIN_MAX_ATTEMPTS per IP and per email.
  std::chrono::seconds login_window{900};  ///< TK_LOGIN_WINDOW_SECONDS: sliding window.

  // --- Billing
  Secret stripe_secret_key;                    ///< TK_STRIPE_SECRET_KEY: empty → offline billing.
  std::vector<Secret> stripe_webhook_secrets;  ///< TK_STRIPE_WEBHOOK_SECRET: comma-separated.
  std::string stripe_price_pro;                ///< TK_STRIPE_PRICE_PRO: price id of `pro`.
  std::string stripe_price_enterprise;         ///< TK_STRIPE_PRICE_ENTERPRISE.
  std::string stripe_api_base = "https://api.stripe.com";  ///< TK_STRIPE_API_BASE.
  std::string plans_file;                   ///< TK_PLANS_FILE: JSON catalogue; empty → built-in.
  std::string downgrade_policy = "refuse";  ///< TK_DOWNGRADE_POLICY: refuse | grace.
  std::chrono::seconds audit_retention_interval{
      3600};  ///< TK_AUDIT_RETENTION_INTERVAL_SECONDS; 0 = off.

  // --- Mail
  std::string outbox_dir = "./var/outbox";  ///< TK_OUTBOX_DIR: one JSON file per message.

  /// True when billing runs against Stripe (a secret key is set), false for the offline provider.
  bool stripe_enabled() const noexcept { return !stripe_secret_key.empty(); }
  /// public_url, or http://<listen> when unset.
  std::string effective_public_url() const;
};

/// One row of the settings table.
struct Setting {
  std::string_view env;       ///< Environment variable, e.g. "TK_LISTEN".
  std::string_view flag;      ///< Command-line flag, e.g. "--listen".
  std::string_view fallback;  ///< Default, as text ("" when unset by default).
  std::string_view help;      ///< One sentence.
  bool secret;                ///< Never printed.
  /// Parses and stores a value. Errors: validation_failed (the detail says what is expected).
  Result<void> (*apply)(Config&, std::string_view);
};

/// All settings, in documentation order.
std::span<const Setting> settings() noexcept;

/// A lookup of environment variables (std::getenv in production, a map in tests).
using EnvLookup = std::function<const char*(const char*)>;

/// Builds a Config from `env` and then `args` (argv without the program name): `--flag=value`
/// or `--flag value`. Errors: validation_failed, with one FieldError per bad setting (all are
/// reported, not just the first), naming the variable or flag.
Result<Config> load_config(const EnvLookup& env, std::span<const std::string_view> args);

/// `--help` text: every setting with its variable, flag, default and help.
std::string config_help();

}  // namespace tenantkit
