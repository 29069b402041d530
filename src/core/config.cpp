// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <charconv>
#include <sstream>

#include <tenantkit/core/config.hpp>

namespace tenantkit {
namespace {

Result<void> invalid(std::string message) {
  return Error{Errc::validation_failed, std::move(message)};
}

template <class Int>
Result<void> parse_int(std::string_view text, Int lo, Int hi, Int& out) {
  Int v{};
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || text.empty())
    return invalid("expected a whole number, got \"" + std::string(text) + "\"");
  if (v < lo || v > hi)
    return invalid("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  out = v;
  return ok();
}

Result<void> parse_seconds(std::string_view text, long long lo, long long hi,
                           std::chrono::seconds& out) {
  long long v = 0;
  if (auto r = parse_int<long long>(text, lo, hi, v); !r) return r;
  out = std::chrono::seconds{v};
  return ok();
}

Result<void> parse_bool(std::string_view text, bool& out) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") {
    out = true;
  } else if (text == "0" || text == "false" || text == "no" || text == "off") {
    out = false;
  } else {
    return invalid("expected true or false");
  }
  return ok();
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

Result<void> one_of(std::string_view text, std::initializer_list<std::string_view> allowed,
                    std::string& out) {
  for (auto a : allowed) {
    if (a == text) {
      out = std::string(text);
      return ok();
    }
  }
  std::string msg = "must be one of";
  for (auto a : allowed) msg += " " + std::string(a);
  return invalid(msg);
}

Result<void> host_port(std::string_view text, std::string& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return invalid("expected host:port, e.g. 127.0.0.1:8080");
  int port = 0;
  if (auto r = parse_int<int>(text.substr(colon + 1), 0, 65535, port); !r)
    return invalid("expected host:port with a port from 0 to 65535");
  out = std::string(text);
  return ok();
}

Result<void> database_url(std::string_view text, std::string& out) {
  if (text.starts_with("sqlite:") && text.size() > 7) {
    out = std::string(text);
    return ok();
  }
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    out = std::string(text);
    return ok();
  }
  return invalid("expected sqlite:PATH or postgresql://user:pass@host:port/db");
}

Result<void> min_secret(std::string_view text, std::size_t min, Secret& out) {
  if (!text.empty() && text.size() < min)
    return invalid("must be at least " + std::to_string(min) + " bytes");
  out = Secret(std::string(text));
  return ok();
}

using C = Config;
// clang-format off
constexpr std::array kSettings = {
  Setting{"TK_LISTEN", "--listen", "127.0.0.1:8080", "Address and port the server binds (port 0 picks a free one).", false,
    [](C& c, std::string_view v) { return host_port(v, c.listen); }},
  Setting{"TK_PUBLIC_URL", "--public-url", "", "Base URL for links in mail and offline checkout; default http://<TK_LISTEN>.", false,
    [](C& c, std::string_view v) -> Result<void> {
      if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://")) return invalid("expected an http(s) URL");
      c.public_url = std::string(v); return ok(); }},
  Setting{"TK_ENV", "--env", "dev", "dev or prod: prod sets Secure cookies and HSTS.", false,
    [](C& c, std::string_view v) { return one_of(v, {"dev", "prod"}, c.env); }},
  Setting{"TK_IO_THREADS", "--io-threads", "2", "Threads running network I/O (1-64).", false,
    [](C& c, std::string_view v) { return parse_int(v, 1, 64, c.io_threads); }},
  Setting{"TK_WORKER_THREADS", "--worker-threads", "4", "Threads for blocking work: SQL, Argon2id (1-256).", false,
    [](C& c, std::string_view v) { return parse_int(v, 1, 256, c.worker_threads); }},
  Setting{"TK_MAX_BODY_BYTES", "--max-body-bytes", "1048576", "Largest request body; larger gets 413 payload_too_large.", false,
    [](C& c, std::string_view v) { return parse_int<std::size_t>(v, 1, std::size_t{1} << 30, c.max_body_bytes); }},
  Setting{"TK_MAX_HEADER_BYTES", "--max-header-bytes", "16384", "Largest request head (request line and headers); larger gets 431.", false,
    [](C& c, std::string_view v) { return parse_int<std::size_t>(v, 1024, std::size_t{1} << 20, c.max_header_bytes); }},
  Setting{"TK_READ_TIMEOUT_SECONDS", "--read-timeout-seconds", "15", "Time allowed to read one whole request; slower clients are cut off.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 1, 3600, c.read_timeout); }},
  Setting{"TK_IDLE_TIMEOUT_SECONDS", "--idle-timeout-seconds", "60", "Time a keep-alive connection may sit idle.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 1, 86400, c.idle_timeout); }},
  Setting{"TK_SHUTDOWN_GRACE_SECONDS", "--shutdown-grace-seconds", "20", "On SIGINT/SIGTERM, time in-flight requests get to finish.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 0, 3600, c.shutdown_grace); }},
  Setting{"TK_MAX_CONNECTIONS", "--max-connections", "10000", "Concurrent connections; more are closed on accept.", false,
    [](C& c, std::string_view v) { return parse_int(v, 1, 1000000, c.max_connections); }},
  Setting{"TK_CORS_ORIGINS", "--cors-origins", "", "Comma-separated origins allowed by CORS; empty allows none.", false,
    [](C& c, std::string_view v) -> Result<void> { c.cors_origins = split_list(v); return ok(); }},
  Setting{"TK_METRICS_PUBLIC", "--metrics-public", "true", "false: /metrics needs the admin token.", false,
    [](C& c, std::string_view v) { return parse_bool(v, c.metrics_public); }},
  Setting{"TK_LOG_LEVEL", "--log-level", "info", "debug, info, warn or error.", false,
    [](C& c, std::string_view v) { return one_of(v, {"debug", "info", "warn", "error"}, c.log_level); }},
  Setting{"TK_DATABASE_URL", "--database-url", "sqlite:./var/tenantkit.db", "sqlite:PATH or postgresql://user:pass@host:port/db.", true,
    [](C& c, std::string_view v) { return database_url(v, c.database_url); }},
  Setting{"TK_DATABASE_POOL_SIZE", "--database-pool-size", "8", "Database connections in the pool (1-256).", false,
    [](C& c, std::string_view v) { return parse_int(v, 1, 256, c.database_pool_size); }},
  Setting{"TK_DATABASE_MIGRATION_URL", "--database-migration-url", "", "PostgreSQL URL of the schema owner: migrations run at start and grant TK_DATABASE_URL's role access; empty expects a migrated schema.", true,
    [](C& c, std::string_view v) -> Result<void> {
      if (!v.empty() && !v.starts_with("postgresql://") && !v.starts_with("postgres://")) return invalid("expected postgresql://owner:pass@host:port/db");
      c.database_migration_url = std::string(v); return ok(); }},
  Setting{"TK_REDIS_URL", "--redis-url", "", "redis://host:port/db for shared quotas and revocations; empty keeps them in-process.", true,
    [](C& c, std::string_view v) -> Result<void> {
      if (!v.empty() && !v.starts_with("redis://")) return invalid("expected redis://host:port[/db]");
      c.redis_url = std::string(v); return ok(); }},
  Setting{"TK_JWT_ALG", "--jwt-alg", "EdDSA", "Access-token algorithm: EdDSA (Ed25519) or HS256.", false,
    [](C& c, std::string_view v) { return one_of(v, {"EdDSA", "HS256"}, c.jwt_alg); }},
  Setting{"TK_JWT_SECRET", "--jwt-secret", "", "HS256 key, at least 32 bytes (required with TK_JWT_ALG=HS256).", true,
    [](C& c, std::string_view v) { return min_secret(v, 32, c.jwt_secret); }},
  Setting{"TK_JWT_KEY_FILE", "--jwt-key-file", "", "Ed25519 signing keys (JSON); default var/jwt-keys.json, created on first start.", false,
    [](C& c, std::string_view v) -> Result<void> { c.jwt_key_file = std::string(v); return ok(); }},
  Setting{"TK_JWT_ISSUER", "--jwt-issuer", "tenantkit", "The `iss` claim of access tokens.", false,
    [](C& c, std::string_view v) -> Result<void> { if (v.empty()) return invalid("must not be empty"); c.jwt_issuer = std::string(v); return ok(); }},
  Setting{"TK_JWT_AUDIENCE", "--jwt-audience", "tenantkit", "The `aud` claim of access tokens.", false,
    [](C& c, std::string_view v) -> Result<void> { if (v.empty()) return invalid("must not be empty"); c.jwt_audience = std::string(v); return ok(); }},
  Setting{"TK_ACCESS_TOKEN_TTL_SECONDS", "--access-token-ttl-seconds", "900", "Access-token lifetime (60-86400).", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 60, 86400, c.access_token_ttl); }},
  Setting{"TK_REFRESH_TOKEN_TTL_SECONDS", "--refresh-token-ttl-seconds", "2592000", "Refresh-token lifetime (300 s to 365 days).", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 300, 365LL * 86400, c.refresh_token_ttl); }},
  Setting{"TK_API_KEY_PEPPER", "--api-key-pepper", "", "Key of the keyed hash of API keys and tokens (at least 32 bytes); default var/pepper, created on first start.", true,
    [](C& c, std::string_view v) { return min_secret(v, 32, c.api_key_pepper); }},
  Setting{"TK_API_KEY_ROTATION_GRACE_SECONDS", "--api-key-rotation-grace-seconds", "86400", "How long a rotated API key's old secret keeps working.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 0, 30LL * 86400, c.api_key_grace); }},
  Setting{"TK_ADMIN_TOKEN", "--admin-token", "", "Bearer token for /admin; empty disables /admin (404).", true,
    [](C& c, std::string_view v) { return min_secret(v, 16, c.admin_token); }},
  Setting{"TK_LOGIN_MAX_ATTEMPTS", "--login-max-attempts", "10", "Failed logins per IP and per email within the window before 429.", false,
    [](C& c, std::string_view v) { return parse_int(v, 1, 100000, c.login_max_attempts); }},
  Setting{"TK_LOGIN_WINDOW_SECONDS", "--login-window-seconds", "900", "Sliding window of the login throttle.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 1, 86400, c.login_window); }},
  Setting{"TK_STRIPE_SECRET_KEY", "--stripe-secret-key", "", "Stripe API key; empty selects the offline billing provider.", true,
    [](C& c, std::string_view v) -> Result<void> { c.stripe_secret_key = Secret(std::string(v)); return ok(); }},
  Setting{"TK_STRIPE_WEBHOOK_SECRET", "--stripe-webhook-secret", "", "Webhook signing secrets, comma-separated during rotation.", true,
    [](C& c, std::string_view v) -> Result<void> {
      c.stripe_webhook_secrets.clear();
      for (auto& s : split_list(v)) c.stripe_webhook_secrets.emplace_back(std::move(s));
      return ok(); }},
  Setting{"TK_STRIPE_PRICE_PRO", "--stripe-price-pro", "", "Stripe price id of the pro plan.", false,
    [](C& c, std::string_view v) -> Result<void> { c.stripe_price_pro = std::string(v); return ok(); }},
  Setting{"TK_STRIPE_PRICE_ENTERPRISE", "--stripe-price-enterprise", "", "Stripe price id of the enterprise plan.", false,
    [](C& c, std::string_view v) -> Result<void> { c.stripe_price_enterprise = std::string(v); return ok(); }},
  Setting{"TK_STRIPE_API_BASE", "--stripe-api-base", "https://api.stripe.com", "Stripe API base URL (a local fake in tests).", false,
    [](C& c, std::string_view v) -> Result<void> {
      if (!v.starts_with("http://") && !v.starts_with("https://")) return invalid("expected an http(s) URL");
      c.stripe_api_base = std::string(v); return ok(); }},
  Setting{"TK_PLANS_FILE", "--plans-file", "", "JSON plan catalogue; empty uses the built-in free/pro/enterprise.", false,
    [](C& c, std::string_view v) -> Result<void> { c.plans_file = std::string(v); return ok(); }},
  Setting{"TK_DOWNGRADE_POLICY", "--downgrade-policy", "refuse", "A checkout to a plan the org's usage exceeds: refuse (402) or grace (allow; the org is over its limits until it cleans up).", false,
    [](C& c, std::string_view v) { return one_of(v, {"refuse", "grace"}, c.downgrade_policy); }},
  Setting{"TK_AUDIT_RETENTION_INTERVAL_SECONDS", "--audit-retention-interval-seconds", "3600", "How often audit entries older than the org's plan keeps them (audit_retention_days) are deleted; 0 turns it off.", false,
    [](C& c, std::string_view v) { return parse_seconds(v, 0, 7 * 86400, c.audit_retention_interval); }},
  Setting{"TK_OUTBOX_DIR", "--outbox-dir", "./var/outbox", "Folder where the outbox mailer writes one JSON file per message.", false,
    [](C& c, std::string_view v) -> Result<void> { if (v.empty()) return invalid("must not be empty"); c.outbox_dir = std::string(v); return ok(); }},
};
// clang-format on

const Setting* find_flag(std::string_view name) {
  for (const auto& s : kSettings)
    if (s.flag == name) return &s;
  return nullptr;
}

}  // namespace

std::string Config::effective_public_url() const {
  if (!public_url.empty()) return public_url;
  return "http://" + listen;
}

std::span<const Setting> settings() noexcept {
  return kSettings;
}

Result<Config> load_config(const EnvLookup& env, std::span<const std::string_view> args) {
  Config config;
  std::vector<FieldError> errors;
  auto apply = [&](const Setting& s, std::string_view value, std::string_view where) {
    if (auto r = s.apply(config, value); !r)
      errors.push_back({std::string(where), r.error().detail});
  };
  for (const auto& s : kSettings) {
    if (const char* v = env ? env(std::string(s.env).c_str()) : nullptr) apply(s, v, s.env);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view name = arg, value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const Setting* s = find_flag(name);
    if (!s) {
      errors.push_back({std::string(name), "unknown option (see --help)"});
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        errors.push_back({std::string(name), "needs a value"});
        continue;
      }
      value = args[++i];
    }
    apply(*s, value, s->flag);
  }
  if (config.jwt_alg == "HS256" && config.jwt_secret.empty())
    errors.push_back({"TK_JWT_SECRET", "required when TK_JWT_ALG is HS256"});
  if (!errors.empty()) {
    std::string detail = "invalid configuration:";
    for (const auto& e : errors) detail += " " + e.field + " " + e.message + ";";
    detail.pop_back();
    return Error{Errc::validation_failed, std::move(detail), std::move(errors)};
  }
  return config;
}

std::string config_help() {
  std::ostringstream out;
  out << "Settings (environment variable, or the same --flag; a flag wins):\n";
  for (const auto& s : kSettings) {
    out << "  " << s.flag << " / " << s.env;
    if (!s.fallback.empty()) out << " (default " << s.fallback << ")";
    out << "\n      " << s.help << "\n";
  }
  return out.str();
}

}  // namespace tenantkit
