/* SPDX-License-Identifier: Apache-2.0 */
/* tenantkit's stable C ABI (target tenantkit::c, libtenantkit_c.so): RBAC checks and custom
 * roles, API keys, quotas (in-process and Redis), usage events, plan entitlements, webhook
 * signatures and JWT verification, for C and for language bindings (bindings/python).
 *
 * Conventions (read once; every declaration below follows them):
 * - Names start with `tk_`. Objects are opaque handles made by `tk_<x>_create`/`tk_<x>_open_*`
 *   and released by `tk_<x>_destroy` (NULL is accepted and ignored by every destroy/free).
 * - Every fallible function returns a `tk_status`: TK_OK (0) or the tenantkit::Errc code of the
 *   failure. Its last parameter `tk_error** error` may be NULL; when it is not and the call
 *   fails, `*error` receives a new error object (any error already there is freed first) that
 *   the caller releases with tk_error_free(). On success `*error` is left unchanged.
 * - Out-parameters are written only on success. A NULL out-parameter marked "optional" is
 *   skipped; a NULL required argument fails with TK_BAD_REQUEST.
 * - Strings passed in are NUL-terminated UTF-8 unless a length follows them (`const char* s,
 *   size_t len`: binary-safe, need not be NUL-terminated). Strings handed out (`char**`) are
 *   NUL-terminated, owned by the caller and released with tk_string_free(), which wipes them
 *   (they may hold secrets). Lists of strings come as `tk_strings*` handles.
 * - Times are Unix seconds (int64_t). Limits use TK_UNLIMITED (-1) for "no limit".
 * - No C++ exception crosses this boundary: an unexpected one becomes TK_INTERNAL.
 * - Thread safety: every handle may be used from several threads at once unless its section
 *   says otherwise; destroy a handle only when no other thread uses it. A handle that takes
 *   another (a storage, a clock) keeps a reference to it: the referenced handle must outlive it.
 * - ABI: structs in this header (tk_outcome) only change with a new SOVERSION.
 */
#ifndef TENANTKIT_C_TENANTKIT_H
#define TENANTKIT_C_TENANTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(TENANTKIT_C_BUILDING)
#define TK_API __attribute__((visibility("default")))
#else
#define TK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Version                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** The version of this header; tk_version() reports the library's. */
#define TK_VERSION_MAJOR 0
#define TK_VERSION_MINOR 1
#define TK_VERSION_PATCH 0

/** The library's version as "MAJOR.MINOR.PATCH" (static storage; do not free). */
TK_API const char* tk_version(void);
/** The library's version as MAJOR * 10000 + MINOR * 100 + PATCH. */
TK_API int tk_version_number(void);
/** True when the library was built with an optional backend: "sqlite" (tk_storage_open_sqlite)
 *  or "redis" (tk_quota_open_redis). False for NULL or an unknown name. */
TK_API bool tk_built_with(const char* component);

/* ---------------------------------------------------------------------------------------- */
/* Status, errors, strings                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** Why a call failed: tenantkit::Errc (API.md problem codes) with TK_OK = 0. The set grows:
 *  switch statements over it need a default. */
typedef enum tk_status {
  TK_OK = 0,
  TK_BAD_REQUEST = 1,       /**< Malformed input (NULL argument, bad id syntax, bad JSON). */
  TK_VALIDATION_FAILED = 2, /**< Well-formed but breaks a rule; see tk_error_field_*. */
  TK_UNAUTHORIZED = 3,      /**< Bad credentials: API key or token refused. */
  TK_FORBIDDEN = 4,         /**< Authenticated but lacking a permission (key scopes). */
  TK_NOT_FOUND = 5,         /**< Absent, or owned by another tenant. */
  TK_CONFLICT = 6,          /**< Clashes with current state (name taken, built-in role). */
  TK_GONE = 7,              /**< Used up, expired or revoked (a settled reservation). */
  TK_PAYLOAD_TOO_LARGE = 8, /**< Input over a size limit. */
  TK_RATE_LIMITED = 9,      /**< A per-window rate limit (a deny code; see tk_outcome). */
  TK_QUOTA_EXCEEDED = 10,   /**< A period quota is spent (a deny code; see tk_outcome). */
  TK_SEAT_LIMIT_REACHED = 11,
  TK_FEATURE_NOT_IN_PLAN = 12,
  TK_PLAN_LIMIT_REACHED = 13,
  TK_INVALID_SIGNATURE = 14, /**< A webhook signature does not verify or is out of tolerance. */
  TK_UNAVAILABLE = 15,       /**< A backend failed, or the library lacks the component. */
  TK_INTERNAL = 16,          /**< A broken invariant or an unexpected exception. */
  /** Not a status: makes the enum int-sized and every non-negative int a valid value of it,
   *  so that codes added later stay representable for older callers. */
  TK_STATUS_MAX_ENUM_ = 0x7FFFFFFF
} tk_status;

/** The wire spelling of a status ("quota_exceeded"; "ok" for TK_OK; "internal" for values
 *  outside the enum). Static storage; do not free. */
TK_API const char* tk_status_name(tk_status status);

/** A failure's code, message and failing fields. Not thread-safe; owned by the caller. */
typedef struct tk_error tk_error;

/** The error's code; TK_INTERNAL for a NULL error. */
TK_API tk_status tk_error_code(const tk_error* error);
/** "<code>: <detail>" (or just "<code>"). Valid until tk_error_free(); "" for NULL. */
TK_API const char* tk_error_message(const tk_error* error);
/** The detail alone (may be ""). Valid until tk_error_free(). */
TK_API const char* tk_error_detail(const tk_error* error);
/** Number of failing fields of a TK_VALIDATION_FAILED error (0 otherwise). */
TK_API size_t tk_error_field_count(const tk_error* error);
/** Name / message of field `index`; NULL when index >= tk_error_field_count(). */
TK_API const char* tk_error_field_name(const tk_error* error, size_t index);
TK_API const char* tk_error_field_message(const tk_error* error, size_t index);
TK_API void tk_error_free(tk_error* error);

/** Wipes and frees a string the library handed out. */
TK_API void tk_string_free(char* s);

/** An immutable list of strings handed out by the library. */
typedef struct tk_strings tk_strings;
TK_API size_t tk_strings_count(const tk_strings* list);
/** Item `index` (NUL-terminated, valid until tk_strings_free); NULL when out of range. */
TK_API const char* tk_strings_get(const tk_strings* list, size_t index);
TK_API void tk_strings_free(tk_strings* list);

/* ---------------------------------------------------------------------------------------- */
/* Clock                                                                                     */
/* ---------------------------------------------------------------------------------------- */

/** A manual clock for deterministic expiry and windows (tests, simulations). Functions taking a
 *  `const tk_clock*` use the system clock when it is NULL. Thread-safe. */
typedef struct tk_clock tk_clock;

/** A clock standing at `unix_seconds` that moves only through tk_clock_set/advance. */
TK_API tk_status tk_clock_create_manual(int64_t unix_seconds, tk_clock** out, tk_error** error);
TK_API void tk_clock_destroy(tk_clock* clock);
TK_API void tk_clock_set(tk_clock* clock, int64_t unix_seconds);
/** Moves the clock by `seconds` (may be negative). */
TK_API void tk_clock_advance(tk_clock* clock, int64_t seconds);
/** The clock's time; the system time for NULL. */
TK_API int64_t tk_clock_now(const tk_clock* clock);

/* ---------------------------------------------------------------------------------------- */
/* RBAC (tenantkit::rbac::Engine)                                                            */
/* ---------------------------------------------------------------------------------------- */

/** The compiled RBAC index: permission catalogue, built-in roles (owner, admin, member,
 *  billing, readonly/viewer), per-tenant custom roles and user roles. Tenants and users are
 *  id strings (1..64 of [A-Za-z0-9_.:-]). Checks are lock-free; writes are serialized. */
typedef struct tk_rbac tk_rbac;

/** An engine with the default policy (API.md's built-in roles). */
TK_API tk_status tk_rbac_create(tk_rbac** out, tk_error** error);
TK_API void tk_rbac_destroy(tk_rbac* rbac);

/** Registers an application permission "resource:action" (an existing name is accepted).
 *  Errors: TK_VALIDATION_FAILED (syntax, catalogue full). */
TK_API tk_status tk_rbac_register_permission(tk_rbac* rbac, const char* name, tk_error** error);

/** Creates custom role `name` in `tenant`: it allows `allow` patterns ("members:*", "*:read"),
 *  denies `deny` patterns (deny wins) and inherits `inherits` roles. Arrays may be NULL when
 *  their count is 0. Errors: TK_CONFLICT (name taken or built-in), TK_VALIDATION_FAILED (bad
 *  name or pattern, unknown permission or parent, inheritance cycle). */
TK_API tk_status tk_rbac_create_role(tk_rbac* rbac, const char* tenant, const char* name,
                                     const char* const* allow, size_t allow_count,
                                     const char* const* deny, size_t deny_count,
                                     const char* const* inherits, size_t inherits_count,
                                     tk_error** error);
/** Replaces custom role `name`. Errors: TK_NOT_FOUND, TK_CONFLICT (built-in role), as create. */
TK_API tk_status tk_rbac_update_role(tk_rbac* rbac, const char* tenant, const char* name,
                                     const char* const* allow, size_t allow_count,
                                     const char* const* deny, size_t deny_count,
                                     const char* const* inherits, size_t inherits_count,
                                     tk_error** error);
/** Errors: TK_NOT_FOUND, TK_CONFLICT (built-in role, held by a user, inherited by a role). */
TK_API tk_status tk_rbac_delete_role(tk_rbac* rbac, const char* tenant, const char* name,
                                     tk_error** error);
/** Sets (replaces) the roles of `user` in `tenant`; count 0 keeps a membership without role.
 *  Errors: TK_VALIDATION_FAILED (bad user id, unknown role). */
TK_API tk_status tk_rbac_set_user_roles(tk_rbac* rbac, const char* tenant, const char* user,
                                        const char* const* roles, size_t count, tk_error** error);
/** Ends the membership of `user` in `tenant` (absent users are ignored). */
TK_API tk_status tk_rbac_remove_user(tk_rbac* rbac, const char* tenant, const char* user,
                                     tk_error** error);

/** May `user` use `permission` in `tenant`? A deny is TK_OK with *allowed false and
 *  *deny_reason one of "unknown_permission", "not_a_member", "not_granted", "explicit_deny",
 *  "outside_scope", "condition" ("none" when allowed; static storage, do not free).
 *  `deny_reason` is optional. Allocation-free. */
TK_API tk_status tk_rbac_check(const tk_rbac* rbac, const char* tenant, const char* user,
                               const char* permission, bool* allowed, const char** deny_reason,
                               tk_error** error);
/** The same for an API key acting for `user` with `scopes` (patterns): also denied
 *  "outside_scope" when the scopes do not cover the permission. Errors: TK_VALIDATION_FAILED
 *  (a scope matches no permission). */
TK_API tk_status tk_rbac_check_scoped(const tk_rbac* rbac, const char* tenant, const char* user,
                                      const char* permission, const char* const* scopes,
                                      size_t scope_count, bool* allowed, const char** deny_reason,
                                      tk_error** error);
/** The effective permissions of `user` in `tenant` (empty when not a member), in id order. */
TK_API tk_status tk_rbac_user_permissions(const tk_rbac* rbac, const char* tenant, const char* user,
                                          tk_strings** out, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* Storage and usage events (tenantkit::storage)                                             */
/* ---------------------------------------------------------------------------------------- */

/** A storage backend: API key records, orgs, users, usage events. */
typedef struct tk_storage tk_storage;

/** A thread-safe in-memory storage; its data lives as long as the handle. */
TK_API tk_status tk_storage_open_memory(tk_storage** out, tk_error** error);
/** A SQLite database file at `path` (created with its folder; migrations applied).
 *  Errors: TK_UNAVAILABLE (cannot open; or built without sqlite, see tk_built_with),
 *  TK_VALIDATION_FAILED. */
TK_API tk_status tk_storage_open_sqlite(const char* path, tk_storage** out, tk_error** error);
TK_API void tk_storage_destroy(tk_storage* storage);

/** Creates a user (email unique) and returns its new id. Errors: TK_CONFLICT (email taken),
 *  TK_VALIDATION_FAILED, TK_UNAVAILABLE. */
TK_API tk_status tk_storage_create_user(tk_storage* storage, const char* email, const char* name,
                                        char** user_id, tk_error** error);
/** Creates an org (tenant) with `owner_user_id` as its owner and returns the org's new id.
 *  `slug`: 1..63 of [a-z0-9-], unique. Errors: TK_CONFLICT (slug taken), TK_BAD_REQUEST
 *  (bad user id), TK_VALIDATION_FAILED, TK_UNAVAILABLE. */
TK_API tk_status tk_storage_create_org(tk_storage* storage, const char* name, const char* slug,
                                       const char* owner_user_id, char** org_id, tk_error** error);

/** Records a usage event of `quantity` units of `meter` for `org`, counted once per
 *  (org, idempotency_key): a repeated key sets *duplicate and counts nothing. `occurred_at`
 *  is Unix seconds (0: now). Errors: TK_VALIDATION_FAILED (quantity < 0, empty meter or key),
 *  TK_NOT_FOUND (no such org), TK_BAD_REQUEST (bad org id), TK_UNAVAILABLE. */
TK_API tk_status tk_usage_record(tk_storage* storage, const char* org, const char* meter,
                                 int64_t quantity, const char* idempotency_key, int64_t occurred_at,
                                 bool* duplicate, tk_error** error);
/** Sum of `meter` for `org` over events with from <= occurred_at < to (Unix seconds). */
TK_API tk_status tk_usage_total(tk_storage* storage, const char* org, const char* meter,
                                int64_t from, int64_t to, int64_t* total, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* API keys (tenantkit::apikey::KeyManager + Verifier)                                       */
/* ---------------------------------------------------------------------------------------- */

/** Issues, verifies, revokes and rotates API keys stored (as keyed hashes) in a tk_storage.
 *  Verification is cached per handle; revoke/rotate on this handle take effect at once. */
typedef struct tk_apikeys tk_apikeys;

/** `pepper`: the server-side hashing secret, at least 32 bytes (keep it stable: keys hashed
 *  with another pepper no longer verify). `clock` is optional (NULL: system clock).
 *  Errors: TK_VALIDATION_FAILED (pepper shorter than 32 bytes). */
TK_API tk_status tk_apikeys_create(tk_storage* storage, const char* pepper, size_t pepper_len,
                                   const tk_clock* clock, tk_apikeys** out, tk_error** error);
TK_API void tk_apikeys_destroy(tk_apikeys* keys);

/** Issues a key for `org` named `name` with `scopes` (count 0: data:read and usage:write),
 *  recorded as created by `created_by` (optional user id; the key acts with that user's roles,
 *  see tk_rbac_check_scoped). Each scope must be covered by one of `creator_permissions` (the
 *  creator's effective permissions, tk_rbac_user_permissions). `expires_at`: Unix seconds,
 *  0 = never.
 *  Out (all optional): the secret (shown once), the key id and its public prefix.
 *  Errors: TK_VALIDATION_FAILED (name, scope syntax, expiry in the past), TK_FORBIDDEN (a scope
 *  the creator lacks), TK_NOT_FOUND (no such org), TK_BAD_REQUEST (bad org id). */
TK_API tk_status tk_apikeys_issue(tk_apikeys* keys, const char* org, const char* name,
                                  const char* created_by, const char* const* scopes,
                                  size_t scope_count, const char* const* creator_permissions,
                                  size_t creator_permission_count, int64_t expires_at,
                                  char** secret, char** key_id, char** prefix, tk_error** error);
/** Verifies a presented key. Out (all optional): the org it belongs to, its id, the user it
 *  was created by ("" when none) and its scopes.
 *  Errors: TK_UNAUTHORIZED for every bad key (malformed, bad checksum, unknown, wrong secret,
 *  revoked, expired; the detail says which), TK_UNAVAILABLE (storage failed). */
TK_API tk_status tk_apikeys_verify(tk_apikeys* keys, const char* presented, size_t len, char** org,
                                   char** key_id, char** created_by, tk_strings** scopes,
                                   tk_error** error);
/** Revokes a key (idempotent). Errors: TK_NOT_FOUND (absent or another org's). */
TK_API tk_status tk_apikeys_revoke(tk_apikeys* keys, const char* org, const char* key_id,
                                   tk_error** error);
/** Issues a new secret for the key; the old one keeps working `grace_seconds` (negative: the
 *  default 24 h; 0: ends now). Out as tk_apikeys_issue. Errors: TK_NOT_FOUND, TK_GONE (revoked,
 *  expired or already rotated). */
TK_API tk_status tk_apikeys_rotate(tk_apikeys* keys, const char* org, const char* key_id,
                                   int64_t grace_seconds, char** secret, char** new_key_id,
                                   char** prefix, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* Quota (tenantkit::quota)                                                                  */
/* ---------------------------------------------------------------------------------------- */

/** A quota engine with its own limits table: in-process, or shared through Redis. */
typedef struct tk_quota tk_quota;
/** A pending reservation (tk_quota_reserve); not thread-safe. */
typedef struct tk_reservation tk_reservation;

#define TK_UNLIMITED (-INT64_C(1))

/** How a meter counts. */
typedef enum tk_meter_kind {
  TK_METER_COUNTER = 0,      /**< Units per period (window); denies TK_QUOTA_EXCEEDED. */
  TK_METER_GAUGE = 1,        /**< A level (seats); denies TK_PLAN_LIMIT_REACHED. */
  TK_METER_FIXED_WINDOW = 2, /**< Requests per fixed window; denies TK_RATE_LIMITED. */
  TK_METER_TOKEN_BUCKET = 3, /**< GCRA: limit per window, bursts up to limit; TK_RATE_LIMITED. */
  TK_METER_KIND_MAX_ENUM_ = 0x7FFFFFFF /**< Not a kind: keeps the enum int-sized. */
} tk_meter_kind;

/** The answer of a decision. A deny is TK_OK with allowed false. */
typedef struct tk_outcome {
  bool allowed;                /**< The cost was granted (and counted). */
  bool warning;                /**< Usage at or above 80 % of the limit. */
  bool overage;                /**< A soft limit is exceeded (allowed past the limit). */
  tk_meter_kind kind;          /**< The meter's kind. */
  tk_status deny_code;         /**< The code to answer a deny with. */
  int64_t limit;               /**< The limit in force (TK_UNLIMITED: none). */
  int64_t used;                /**< Usage in the current window after this decision. */
  int64_t remaining;           /**< max(0, limit - used). */
  int64_t window_seconds;      /**< Window length; 0 for gauges. */
  int64_t reset_at;            /**< Unix seconds (rounded up) when the window ends; 0: none. */
  int64_t retry_after_seconds; /**< When denied: wait this long before retrying. */
} tk_outcome;

/** The in-process engine (lock-free decisions). `clock` optional (NULL: system clock). */
TK_API tk_status tk_quota_create(const tk_clock* clock, tk_quota** out, tk_error** error);
/** The Redis engine at `url` ("redis://HOST:PORT[/DB]"), fail closed, shared by every process
 *  using the same Redis. Errors: TK_VALIDATION_FAILED (bad URL), TK_UNAVAILABLE (cannot connect;
 *  or built without redis, see tk_built_with). */
TK_API tk_status tk_quota_open_redis(const char* url, const tk_clock* clock, tk_quota** out,
                                     tk_error** error);
TK_API void tk_quota_destroy(tk_quota* quota);

/** Sets the limit of `meter` for every tenant (`tenant` NULL) or for one tenant (an override
 *  that wins). `limit`: >= 0 or TK_UNLIMITED; `window_seconds` >= 1 (ignored for gauges);
 *  `soft`: allow past the limit and flag overage. Errors: TK_VALIDATION_FAILED. */
TK_API tk_status tk_quota_set_limit(tk_quota* quota, const char* tenant, const char* meter,
                                    tk_meter_kind kind, int64_t limit, int64_t window_seconds,
                                    bool soft, tk_error** error);

/** Decides whether `tenant` may spend `cost` units of `meter` now and counts them when it may.
 *  Cost 0 reads the state. Errors: TK_VALIDATION_FAILED (cost < 0), TK_NOT_FOUND (no limit
 *  set for the meter), TK_UNAVAILABLE (Redis down). */
TK_API tk_status tk_quota_decide(tk_quota* quota, const char* tenant, const char* meter,
                                 int64_t cost, tk_outcome* outcome, tk_error** error);
/** Sets a gauge's level. Errors: TK_VALIDATION_FAILED (value < 0, not a gauge), TK_NOT_FOUND. */
TK_API tk_status tk_quota_set_gauge(tk_quota* quota, const char* tenant, const char* meter,
                                    int64_t value, tk_error** error);
/** Decides on `amount` units and holds them until commit/release or `ttl_seconds`.
 *  *reservation is always set on success; a denied one (outcome->allowed false) has id 0 and
 *  holds nothing. Free it with tk_reservation_destroy. `outcome` optional.
 *  Errors: TK_VALIDATION_FAILED (amount < 1, ttl < 1), TK_NOT_FOUND, TK_UNAVAILABLE. */
TK_API tk_status tk_quota_reserve(tk_quota* quota, const char* tenant, const char* meter,
                                  int64_t amount, int64_t ttl_seconds, tk_reservation** reservation,
                                  tk_outcome* outcome, tk_error** error);
/** Settles with the `actual` usage (the rest returns). `outcome` optional.
 *  Errors: TK_GONE (already settled or expired), TK_NOT_FOUND (denied or foreign
 *  reservation), TK_VALIDATION_FAILED (actual < 0). */
TK_API tk_status tk_quota_commit(tk_quota* quota, const tk_reservation* reservation, int64_t actual,
                                 tk_outcome* outcome, tk_error** error);
/** Returns all units of the reservation. Errors: as tk_quota_commit. */
TK_API tk_status tk_quota_release(tk_quota* quota, const tk_reservation* reservation,
                                  tk_error** error);
/** The reservation's id (0 when denied). */
TK_API uint64_t tk_reservation_id(const tk_reservation* reservation);
TK_API void tk_reservation_destroy(tk_reservation* reservation);

/** Formats `outcome` of `meter` as API.md's headers at `now` (Unix seconds): RateLimit-Policy,
 *  RateLimit and Retry-After values. An empty string means "do not send" (Retry-After when
 *  allowed; all three for unlimited meters and gauges). Outs optional. */
TK_API tk_status tk_quota_format_headers(const char* meter, const tk_outcome* outcome, int64_t now,
                                         char** ratelimit_policy, char** ratelimit,
                                         char** retry_after, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* Plan entitlements (tenantkit::billing::PlanCatalogue)                                     */
/* ---------------------------------------------------------------------------------------- */

/** An immutable plan catalogue. Features: "audit_log", "api_key_scopes", "custom_roles",
 *  "scim", "audit_export". Meters: "api_calls", "seats", "workspaces", "ai_tokens". */
typedef struct tk_plans tk_plans;

/** The built-in catalogue of API.md: free, pro, enterprise. */
TK_API tk_status tk_plans_builtin(tk_plans** out, tk_error** error);
/** A catalogue from JSON text (the TK_PLANS_FILE format, docs/billing.md).
 *  Errors: TK_BAD_REQUEST (not JSON), TK_VALIDATION_FAILED (fields name the JSON paths). */
TK_API tk_status tk_plans_parse(const char* json, size_t len, tk_plans** out, tk_error** error);
TK_API void tk_plans_destroy(tk_plans* plans);
/** The plan ids, in catalogue order. */
TK_API tk_status tk_plans_ids(const tk_plans* plans, tk_strings** out, tk_error** error);
/** Does `plan` grant `feature`? Errors: TK_NOT_FOUND (unknown plan), TK_VALIDATION_FAILED
 *  (unknown feature). */
TK_API tk_status tk_plans_has_feature(const tk_plans* plans, const char* plan, const char* feature,
                                      bool* has, tk_error** error);
/** The limit of `meter` in `plan` (TK_UNLIMITED: none). Errors: TK_NOT_FOUND (unknown plan),
 *  TK_VALIDATION_FAILED (unknown meter). */
TK_API tk_status tk_plans_limit(const tk_plans* plans, const char* plan, const char* meter,
                                int64_t* limit, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* Webhook signatures (Stripe scheme; tenantkit::billing::WebhookVerifier)                   */
/* ---------------------------------------------------------------------------------------- */

/** Verifies a `Stripe-Signature` header value (`t=<ts>,v1=<hex>...`) for the raw request body
 *  against any of `secrets` (several during rotation), at `now` (Unix seconds; 0: system time)
 *  with `tolerance_seconds` (0: 300) both ways. Constant-time. `signed_at` optional.
 *  Errors: TK_INVALID_SIGNATURE (missing/malformed header, no matching signature, timestamp out
 *  of tolerance; the detail says which), TK_VALIDATION_FAILED (no or empty secret, tolerance
 *  out of 1 s..1 day). */
TK_API tk_status tk_webhook_verify(const char* const* secrets, size_t secret_count,
                                   const char* header, size_t header_len, const char* body,
                                   size_t body_len, int64_t now, int64_t tolerance_seconds,
                                   int64_t* signed_at, tk_error** error);
/** A header value "t=<at>,v1=<hex>" signing `body` with `secret` (offline provider, tests). */
TK_API tk_status tk_webhook_sign(const char* secret, int64_t at, const char* body, size_t body_len,
                                 char** header, tk_error** error);

/* ---------------------------------------------------------------------------------------- */
/* JWT access tokens (tenantkit::auth::JwtCodec)                                             */
/* ---------------------------------------------------------------------------------------- */

/** Verifies (and signs) access tokens of one algorithm: HS256 or EdDSA (Ed25519). */
typedef struct tk_jwt tk_jwt;

/** An HS256 codec with a shared secret (>= 32 bytes). `issuer`/`audience` NULL: "tenantkit";
 *  `ttl_seconds` 0: 900. `clock` optional. Errors: TK_VALIDATION_FAILED. */
TK_API tk_status tk_jwt_create_hs256(const char* secret, size_t secret_len, const char* issuer,
                                     const char* audience, int64_t ttl_seconds,
                                     const tk_clock* clock, tk_jwt** out, tk_error** error);
/** An EdDSA codec from a private key set JSON (the server's TK_JWT_KEY_FILE format,
 *  tk_jwt_generate_key_set). Errors: TK_BAD_REQUEST (not a key set), TK_VALIDATION_FAILED. */
TK_API tk_status tk_jwt_create_eddsa(const char* key_set_json, size_t len, const char* issuer,
                                     const char* audience, int64_t ttl_seconds,
                                     const tk_clock* clock, tk_jwt** out, tk_error** error);
TK_API void tk_jwt_destroy(tk_jwt* jwt);
/** A fresh Ed25519 key set in its private JSON form (keep it secret). `clock` optional. */
TK_API tk_status tk_jwt_generate_key_set(const tk_clock* clock, char** key_set_json,
                                         tk_error** error);
/** Verifies signature, algorithm, issuer, audience and times. On success *claims_json holds
 *  {"iss","aud","sub","org","sid","iat","exp","jti"} (times in Unix seconds; "org"/"sid" ""
 *  when absent). Errors: TK_UNAUTHORIZED with detail "token_expired", "token_bad_signature",
 *  "token_alg_none", ... (the TokenError spelling). */
TK_API tk_status tk_jwt_verify(const tk_jwt* jwt, const char* token, size_t len, char** claims_json,
                               tk_error** error);
/** A token for `user` (required), `org` and `session` (optional, NULL or ""), valid for the
 *  codec's ttl. Errors: TK_BAD_REQUEST (bad id syntax). */
TK_API tk_status tk_jwt_sign(const tk_jwt* jwt, const char* user, const char* org,
                             const char* session, char** token, tk_error** error);
/** The public JWKS document ({"keys":[]} for HS256). */
TK_API tk_status tk_jwt_jwks(const tk_jwt* jwt, char** jwks_json, tk_error** error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TENANTKIT_C_TENANTKIT_H */
