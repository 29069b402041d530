/* SPDX-License-Identifier: Apache-2.0 */
/* The C ABI (include/tenantkit/c/tenantkit.h) used from C11: every function, its results and
 * its error paths. `c_api_test` runs the offline part; `c_api_test redis` the Redis part, which
 * exits 77 (skipped) when TK_TEST_REDIS_URL is unset. ASan's leak checker verifies that every
 * handle, string and error below is released. */
#include <tenantkit/c/tenantkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static tk_error* err = NULL;

/* Runs `st` (the status of a call made with &err) and checks it is TK_OK. */
static void expect_ok(tk_status st, const char* what, int line) {
  ++checks;
  if (st != TK_OK) {
    fprintf(stderr, "line %d: %s failed: %s (%s)\n", line, what, tk_status_name(st),
            tk_error_message(err));
    exit(1);
  }
}
#define EXPECT_OK(call) expect_ok((call), #call, __LINE__)

/* Checks that the call failed with `code`, that the error object agrees, then frees it. */
static void expect_status(tk_status st, tk_status code, const char* what, int line) {
  ++checks;
  if (st != code || err == NULL || tk_error_code(err) != code) {
    fprintf(stderr, "line %d: %s: expected %s, got %s (%s)\n", line, what, tk_status_name(code),
            tk_status_name(st), err ? tk_error_message(err) : "no error object");
    exit(1);
  }
  tk_error_free(err);
  err = NULL;
}
#define EXPECT_STATUS(call, code) expect_status((call), (code), #call, __LINE__)

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* --------------------------------------------------------------------------------------- */

static void test_version_and_errors(void) {
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", TK_VERSION_MAJOR, TK_VERSION_MINOR,
           TK_VERSION_PATCH);
  CHECK(strcmp(tk_version(), expected) == 0);
  CHECK(tk_version_number() ==
        TK_VERSION_MAJOR * 10000 + TK_VERSION_MINOR * 100 + TK_VERSION_PATCH);
  CHECK(!tk_built_with(NULL));
  CHECK(!tk_built_with("cobol"));

  /* Every status spelled as API.md's problem codes. */
  static const char* const names[] = {"ok",
                                      "bad_request",
                                      "validation_failed",
                                      "unauthorized",
                                      "forbidden",
                                      "not_found",
                                      "conflict",
                                      "gone",
                                      "payload_too_large",
                                      "rate_limited",
                                      "quota_exceeded",
                                      "seat_limit_reached",
                                      "feature_not_in_plan",
                                      "plan_limit_reached",
                                      "invalid_signature",
                                      "unavailable",
                                      "internal"};
  for (int i = 0; i <= (int)TK_INTERNAL; ++i)
    CHECK(strcmp(tk_status_name((tk_status)i), names[i]) == 0);
  CHECK(strcmp(tk_status_name((tk_status)99), "internal") == 0);

  /* NULL arguments are TK_BAD_REQUEST with a message naming them; errors may be ignored. */
  EXPECT_STATUS(tk_rbac_create(NULL, &err), TK_BAD_REQUEST);
  CHECK(tk_rbac_create(NULL, NULL) == TK_BAD_REQUEST);
  tk_status st = tk_rbac_create(NULL, &err);
  CHECK(st == TK_BAD_REQUEST);
  CHECK(contains(tk_error_message(err), "bad_request: out must not be NULL"));
  CHECK(strcmp(tk_error_detail(err), "out must not be NULL") == 0);
  CHECK(tk_error_field_count(err) == 0);
  CHECK(tk_error_field_name(err, 0) == NULL);
  /* A second failure replaces the first error object (no leak). */
  st = tk_plans_builtin(NULL, &err);
  CHECK(st == TK_BAD_REQUEST && tk_error_code(err) == TK_BAD_REQUEST);
  tk_error_free(err);
  err = NULL;

  /* NULL is accepted by every destroy and free. */
  CHECK(tk_error_code(NULL) == TK_INTERNAL);
  CHECK(strcmp(tk_error_message(NULL), "") == 0);
  tk_error_free(NULL);
  tk_string_free(NULL);
  tk_strings_free(NULL);
  CHECK(tk_strings_count(NULL) == 0 && tk_strings_get(NULL, 0) == NULL);
  tk_rbac_destroy(NULL);
  tk_storage_destroy(NULL);
  tk_apikeys_destroy(NULL);
  tk_quota_destroy(NULL);
  tk_reservation_destroy(NULL);
  tk_plans_destroy(NULL);
  tk_jwt_destroy(NULL);
  tk_clock_destroy(NULL);

  tk_clock* clock = NULL;
  EXPECT_OK(tk_clock_create_manual(1767225600, &clock, &err));
  CHECK(tk_clock_now(clock) == 1767225600);
  tk_clock_advance(clock, 90);
  CHECK(tk_clock_now(clock) == 1767225690);
  tk_clock_set(clock, 42);
  CHECK(tk_clock_now(clock) == 42);
  CHECK(tk_clock_now(NULL) > 1700000000); /* the system clock */
  tk_clock_destroy(clock);
}

/* --------------------------------------------------------------------------------------- */

static void test_rbac(void) {
  tk_rbac* rbac = NULL;
  bool allowed = true;
  const char* reason = NULL;
  EXPECT_OK(tk_rbac_create(&rbac, &err));

  EXPECT_OK(tk_rbac_register_permission(rbac, "reports:export", &err));
  EXPECT_OK(tk_rbac_register_permission(rbac, "reports:export", &err)); /* idempotent */
  EXPECT_STATUS(tk_rbac_register_permission(rbac, "Reports", &err), TK_VALIDATION_FAILED);

  const char* member[] = {"member"};
  EXPECT_OK(tk_rbac_set_user_roles(rbac, "org_a", "user_m", member, 1, &err));
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_m", "data:read", &allowed, &reason, &err));
  CHECK(allowed && strcmp(reason, "none") == 0);
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_m", "members:write", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "not_granted") == 0);
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_m", "nope:nope", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "unknown_permission") == 0);
  /* Tenant isolation: the same user in another org is not a member. */
  EXPECT_OK(tk_rbac_check(rbac, "org_b", "user_m", "data:read", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "not_a_member") == 0);
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_m", "data:read", &allowed, NULL, &err));
  CHECK(allowed);
  EXPECT_STATUS(tk_rbac_check(rbac, "org_a", "user_m", NULL, &allowed, &reason, &err),
                TK_BAD_REQUEST);

  /* A custom role: allow patterns, a deny that wins. */
  const char* allow[] = {"reports:export", "*:read"};
  const char* deny[] = {"audit:read"};
  EXPECT_OK(tk_rbac_create_role(rbac, "org_a", "analyst", allow, 2, deny, 1, NULL, 0, &err));
  const char* analyst[] = {"analyst"};
  EXPECT_OK(tk_rbac_set_user_roles(rbac, "org_a", "user_x", analyst, 1, &err));
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_x", "reports:export", &allowed, &reason, &err));
  CHECK(allowed);
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_x", "audit:read", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "explicit_deny") == 0);
  /* Custom roles are per tenant. */
  EXPECT_STATUS(tk_rbac_set_user_roles(rbac, "org_b", "user_x", analyst, 1, &err),
                TK_VALIDATION_FAILED);

  EXPECT_STATUS(tk_rbac_create_role(rbac, "org_a", "analyst", allow, 1, NULL, 0, NULL, 0, &err),
                TK_CONFLICT);
  EXPECT_STATUS(tk_rbac_create_role(rbac, "org_a", "admin", allow, 1, NULL, 0, NULL, 0, &err),
                TK_CONFLICT);
  const char* typo[] = {"reprots:export"};
  tk_status st = tk_rbac_create_role(rbac, "org_a", "typo", typo, 1, NULL, 0, NULL, 0, &err);
  CHECK(st == TK_VALIDATION_FAILED && tk_error_field_count(err) >= 1);
  CHECK(tk_error_field_name(err, 0) != NULL && tk_error_field_message(err, 0) != NULL);
  tk_error_free(err);
  err = NULL;
  const char* parent[] = {"ghost"};
  EXPECT_STATUS(tk_rbac_create_role(rbac, "org_a", "child", NULL, 0, NULL, 0, parent, 1, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_rbac_create_role(rbac, "org_a", "x", NULL, 1, NULL, 0, NULL, 0, &err),
                TK_BAD_REQUEST);
  const char* with_null[] = {NULL};
  EXPECT_STATUS(tk_rbac_create_role(rbac, "org_a", "x", with_null, 1, NULL, 0, NULL, 0, &err),
                TK_BAD_REQUEST);

  /* Inheritance, then update: the child follows its parent. */
  const char* inherits[] = {"analyst"};
  EXPECT_OK(tk_rbac_create_role(rbac, "org_a", "lead", NULL, 0, NULL, 0, inherits, 1, &err));
  const char* lead[] = {"lead"};
  EXPECT_OK(tk_rbac_set_user_roles(rbac, "org_a", "user_l", lead, 1, &err));
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_l", "reports:export", &allowed, &reason, &err));
  CHECK(allowed);
  const char* reads_only[] = {"*:read"};
  EXPECT_OK(tk_rbac_update_role(rbac, "org_a", "analyst", reads_only, 1, NULL, 0, NULL, 0, &err));
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_l", "reports:export", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "not_granted") == 0);
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_x", "audit:read", &allowed, &reason, &err));
  CHECK(allowed); /* the deny went with the update */
  EXPECT_STATUS(tk_rbac_update_role(rbac, "org_a", "ghost", allow, 1, NULL, 0, NULL, 0, &err),
                TK_NOT_FOUND);
  EXPECT_STATUS(tk_rbac_update_role(rbac, "org_a", "owner", allow, 1, NULL, 0, NULL, 0, &err),
                TK_CONFLICT);

  /* Deleting: not while held or inherited; built-ins never. */
  EXPECT_STATUS(tk_rbac_delete_role(rbac, "org_a", "analyst", &err), TK_CONFLICT);
  EXPECT_STATUS(tk_rbac_delete_role(rbac, "org_a", "owner", &err), TK_CONFLICT);
  EXPECT_STATUS(tk_rbac_delete_role(rbac, "org_a", "ghost", &err), TK_NOT_FOUND);
  EXPECT_OK(tk_rbac_remove_user(rbac, "org_a", "user_l", &err));
  EXPECT_OK(tk_rbac_delete_role(rbac, "org_a", "lead", &err));
  EXPECT_OK(tk_rbac_check(rbac, "org_a", "user_l", "data:read", &allowed, &reason, &err));
  CHECK(!allowed && strcmp(reason, "not_a_member") == 0);

  const char* unknown_role[] = {"wizard"};
  EXPECT_STATUS(tk_rbac_set_user_roles(rbac, "org_a", "user_w", unknown_role, 1, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_rbac_set_user_roles(rbac, "org_a", "bad user!", member, 1, &err),
                TK_VALIDATION_FAILED);

  /* An API key acting for a member, limited by its scopes. */
  const char* scopes[] = {"data:read"};
  EXPECT_OK(tk_rbac_check_scoped(rbac, "org_a", "user_m", "data:read", scopes, 1, &allowed, &reason,
                                 &err));
  CHECK(allowed);
  EXPECT_OK(tk_rbac_check_scoped(rbac, "org_a", "user_m", "usage:write", scopes, 1, &allowed,
                                 &reason, &err));
  CHECK(!allowed && strcmp(reason, "outside_scope") == 0);
  const char* bad_scope[] = {"nothing:matches"};
  EXPECT_STATUS(tk_rbac_check_scoped(rbac, "org_a", "user_m", "data:read", bad_scope, 1, &allowed,
                                     &reason, &err),
                TK_VALIDATION_FAILED);

  tk_strings* perms = NULL;
  EXPECT_OK(tk_rbac_user_permissions(rbac, "org_a", "user_m", &perms, &err));
  CHECK(tk_strings_count(perms) == 6); /* API.md: member's six permissions */
  int has_data_read = 0;
  for (size_t i = 0; i < tk_strings_count(perms); ++i)
    if (strcmp(tk_strings_get(perms, i), "data:read") == 0) has_data_read = 1;
  CHECK(has_data_read);
  CHECK(tk_strings_get(perms, 6) == NULL);
  tk_strings_free(perms);
  EXPECT_OK(tk_rbac_user_permissions(rbac, "org_a", "stranger", &perms, &err));
  CHECK(tk_strings_count(perms) == 0);
  tk_strings_free(perms);

  tk_rbac_destroy(rbac);
}

/* --------------------------------------------------------------------------------------- */

static const char kPepper[] = "0123456789abcdef0123456789abcdef-pepper";

/* Creates a user and an org owned by it; returns the org id (caller frees). */
static char* make_org(tk_storage* storage, const char* email, const char* slug) {
  char* user = NULL;
  char* org = NULL;
  EXPECT_OK(tk_storage_create_user(storage, email, "Ada", &user, &err));
  EXPECT_OK(tk_storage_create_org(storage, "Acme", slug, user, &org, &err));
  tk_string_free(user);
  return org;
}

/* `checks_org`: the backend refuses records for an org it does not hold. The in-memory store
 * does; the SQL stores currently rely on the caller (reported to the storage owners). */
static void test_api_keys_on(tk_storage* storage, const char* slug, const char* email,
                             bool checks_org) {
  tk_clock* clock = NULL;
  EXPECT_OK(tk_clock_create_manual(1767225600, &clock, &err));
  char* org = make_org(storage, email, slug);

  tk_apikeys* keys = NULL;
  EXPECT_STATUS(tk_apikeys_create(storage, "short", 5, clock, &keys, &err), TK_VALIDATION_FAILED);
  CHECK(keys == NULL);
  EXPECT_OK(tk_apikeys_create(storage, kPepper, sizeof kPepper - 1, clock, &keys, &err));

  const char* scopes[] = {"data:read"};
  const char* creator[] = {"data:read", "usage:write", "members:read"};
  char *secret = NULL, *id = NULL, *prefix = NULL;
  EXPECT_OK(tk_apikeys_issue(keys, org, "ci", "user_1", scopes, 1, creator, 3, 0, &secret, &id,
                             &prefix, &err));
  CHECK(secret != NULL && id != NULL && prefix != NULL);
  CHECK(strncmp(secret, prefix, strlen(prefix)) == 0); /* the prefix is the key's public head */

  char *v_org = NULL, *v_id = NULL, *v_by = NULL;
  tk_strings* v_scopes = NULL;
  EXPECT_OK(tk_apikeys_verify(keys, secret, strlen(secret), &v_org, &v_id, &v_by, &v_scopes, &err));
  CHECK(strcmp(v_org, org) == 0 && strcmp(v_id, id) == 0 && strcmp(v_by, "user_1") == 0);
  CHECK(tk_strings_count(v_scopes) == 1 && strcmp(tk_strings_get(v_scopes, 0), "data:read") == 0);
  tk_string_free(v_org);
  tk_string_free(v_id);
  tk_string_free(v_by);
  tk_strings_free(v_scopes);
  /* Outs are optional; the cached path answers the same. */
  EXPECT_OK(tk_apikeys_verify(keys, secret, strlen(secret), NULL, NULL, NULL, NULL, &err));

  /* Attacks: a flipped character (checksum), a forged key with a good shape, junk, empty,
   * the secret with trailing bytes (lengths are honoured, not NUL). */
  size_t n = strlen(secret);
  char* forged = malloc(n + 8);
  CHECK(forged != NULL);
  memcpy(forged, secret, n + 1);
  forged[n - 1] = forged[n - 1] == 'a' ? 'b' : 'a';
  EXPECT_STATUS(tk_apikeys_verify(keys, forged, n, NULL, NULL, NULL, NULL, &err), TK_UNAUTHORIZED);
  memcpy(forged, secret, n + 1);
  memcpy(forged + n, "zz", 3);
  EXPECT_STATUS(tk_apikeys_verify(keys, forged, n + 2, NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  EXPECT_STATUS(tk_apikeys_verify(keys, secret, n - 1, NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  free(forged);
  EXPECT_STATUS(tk_apikeys_verify(keys, "tk_live_garbage", 15, NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  EXPECT_STATUS(tk_apikeys_verify(keys, NULL, 0, NULL, NULL, NULL, NULL, &err), TK_UNAUTHORIZED);

  /* Another pepper cannot verify our keys (a stolen table is useless without it). */
  tk_apikeys* other = NULL;
  static const char other_pepper[] = "ffffffffffffffffffffffffffffffff-other";
  EXPECT_OK(tk_apikeys_create(storage, other_pepper, sizeof other_pepper - 1, clock, &other, &err));
  EXPECT_STATUS(tk_apikeys_verify(other, secret, n, NULL, NULL, NULL, NULL, &err), TK_UNAUTHORIZED);
  tk_apikeys_destroy(other);

  /* No escalation through a key; unknown orgs; default scopes. */
  const char* admin_scope[] = {"members:write"};
  EXPECT_STATUS(
      tk_apikeys_issue(keys, org, "x", NULL, admin_scope, 1, creator, 3, 0, NULL, NULL, NULL, &err),
      TK_FORBIDDEN);
  if (checks_org)
    EXPECT_STATUS(tk_apikeys_issue(keys, "org_missing", "x", NULL, scopes, 1, creator, 3, 0, NULL,
                                   NULL, NULL, &err),
                  TK_NOT_FOUND);
  EXPECT_STATUS(tk_apikeys_issue(keys, "bad org!", "x", NULL, scopes, 1, creator, 3, 0, NULL, NULL,
                                 NULL, &err),
                TK_BAD_REQUEST);
  EXPECT_STATUS(
      tk_apikeys_issue(keys, org, "", NULL, scopes, 1, creator, 3, 0, NULL, NULL, NULL, &err),
      TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_apikeys_issue(keys, org, "past", NULL, scopes, 1, creator, 3, 1000, NULL, NULL,
                                 NULL, &err),
                TK_VALIDATION_FAILED);
  char* defaults = NULL;
  EXPECT_OK(tk_apikeys_issue(keys, org, "default", NULL, NULL, 0, creator, 3, 0, &defaults, NULL,
                             NULL, &err));
  EXPECT_OK(tk_apikeys_verify(keys, defaults, strlen(defaults), NULL, NULL, NULL, &v_scopes, &err));
  CHECK(tk_strings_count(v_scopes) == 2); /* data:read, usage:write */
  tk_strings_free(v_scopes);
  tk_string_free(defaults);

  /* Expiry follows the injected clock. */
  char *expiring = NULL, *expiring_id = NULL;
  EXPECT_OK(tk_apikeys_issue(keys, org, "temp", NULL, scopes, 1, creator, 3,
                             tk_clock_now(clock) + 60, &expiring, &expiring_id, NULL, &err));
  EXPECT_OK(tk_apikeys_verify(keys, expiring, strlen(expiring), NULL, NULL, NULL, NULL, &err));
  tk_clock_advance(clock, 61);
  EXPECT_STATUS(tk_apikeys_verify(keys, expiring, strlen(expiring), NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  EXPECT_STATUS(tk_apikeys_rotate(keys, org, expiring_id, -1, NULL, NULL, NULL, &err), TK_GONE);
  tk_string_free(expiring);
  tk_string_free(expiring_id);

  /* Rotation without grace: the old secret stops at once, the new one works; rotating the old
   * key again is gone. */
  char *new_secret = NULL, *new_id = NULL, *new_prefix = NULL;
  EXPECT_OK(tk_apikeys_rotate(keys, org, id, 0, &new_secret, &new_id, &new_prefix, &err));
  CHECK(strcmp(new_id, id) != 0 && strcmp(new_secret, secret) != 0);
  EXPECT_STATUS(tk_apikeys_verify(keys, secret, strlen(secret), NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  EXPECT_OK(tk_apikeys_verify(keys, new_secret, strlen(new_secret), NULL, NULL, NULL, NULL, &err));
  EXPECT_STATUS(tk_apikeys_rotate(keys, org, id, 0, NULL, NULL, NULL, &err), TK_GONE);

  /* Rotation with grace: both work until the grace ends. */
  char *third = NULL, *third_id = NULL;
  EXPECT_OK(tk_apikeys_rotate(keys, org, new_id, 3600, &third, &third_id, NULL, &err));
  EXPECT_OK(tk_apikeys_verify(keys, new_secret, strlen(new_secret), NULL, NULL, NULL, NULL, &err));
  EXPECT_OK(tk_apikeys_verify(keys, third, strlen(third), NULL, NULL, NULL, NULL, &err));
  tk_clock_advance(clock, 3601);
  EXPECT_STATUS(
      tk_apikeys_verify(keys, new_secret, strlen(new_secret), NULL, NULL, NULL, NULL, &err),
      TK_UNAUTHORIZED);

  /* Revocation is immediate on this handle, idempotent, and scoped to the org. */
  EXPECT_STATUS(tk_apikeys_revoke(keys, "org_other", third_id, &err), TK_NOT_FOUND);
  EXPECT_OK(tk_apikeys_revoke(keys, org, third_id, &err));
  EXPECT_OK(tk_apikeys_revoke(keys, org, third_id, &err));
  EXPECT_STATUS(tk_apikeys_verify(keys, third, strlen(third), NULL, NULL, NULL, NULL, &err),
                TK_UNAUTHORIZED);
  EXPECT_STATUS(tk_apikeys_revoke(keys, org, "key_missing", &err), TK_NOT_FOUND);
  EXPECT_STATUS(tk_apikeys_revoke(keys, org, "bad id!", &err), TK_BAD_REQUEST);

  tk_string_free(third);
  tk_string_free(third_id);
  tk_string_free(new_secret);
  tk_string_free(new_id);
  tk_string_free(new_prefix);
  tk_string_free(secret);
  tk_string_free(id);
  tk_string_free(prefix);
  tk_apikeys_destroy(keys);

  /* Usage events: once per idempotency key. */
  bool duplicate = true;
  EXPECT_OK(tk_usage_record(storage, org, "ai_tokens", 120, "req-1", 0, &duplicate, &err));
  CHECK(!duplicate);
  EXPECT_OK(tk_usage_record(storage, org, "ai_tokens", 120, "req-1", 0, &duplicate, &err));
  CHECK(duplicate);
  EXPECT_OK(tk_usage_record(storage, org, "ai_tokens", 30, "req-2", 0, &duplicate, &err));
  CHECK(!duplicate);
  int64_t total = 0;
  const int64_t now = tk_clock_now(NULL);
  EXPECT_OK(tk_usage_total(storage, org, "ai_tokens", now - 3600, now + 3600, &total, &err));
  CHECK(total == 150);
  EXPECT_OK(tk_usage_total(storage, org, "api_calls", now - 3600, now + 3600, &total, &err));
  CHECK(total == 0);
  EXPECT_STATUS(tk_usage_record(storage, org, "ai_tokens", -1, "req-3", 0, NULL, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_usage_record(storage, org, "ai_tokens", 1, "", 0, NULL, &err),
                TK_VALIDATION_FAILED);
  if (checks_org)
    EXPECT_STATUS(tk_usage_record(storage, "org_missing", "ai_tokens", 1, "k", 0, NULL, &err),
                  TK_NOT_FOUND);
  EXPECT_STATUS(tk_usage_record(storage, "bad org!", "ai_tokens", 1, "k", 0, NULL, &err),
                TK_BAD_REQUEST);

  tk_string_free(org);
  tk_clock_destroy(clock);
}

static void test_storage_and_api_keys(void) {
  tk_storage* storage = NULL;
  EXPECT_OK(tk_storage_open_memory(&storage, &err));

  char* user = NULL;
  char* org = NULL;
  EXPECT_OK(tk_storage_create_user(storage, "  Grace@Example.COM ", "Grace", &user, &err));
  EXPECT_STATUS(tk_storage_create_user(storage, "grace@example.com", "Again", NULL, &err),
                TK_CONFLICT); /* normalised, so the same email */
  EXPECT_STATUS(tk_storage_create_user(storage, "not an email", "X", NULL, &err),
                TK_VALIDATION_FAILED);
  EXPECT_OK(tk_storage_create_org(storage, "Grace Inc", "grace", user, &org, &err));
  EXPECT_STATUS(tk_storage_create_org(storage, "Copy", "grace", user, NULL, &err), TK_CONFLICT);
  EXPECT_STATUS(tk_storage_create_org(storage, "Bad", "Bad Slug", user, NULL, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_storage_create_org(storage, "Bad", "bad", "bad id!", NULL, &err),
                TK_BAD_REQUEST);
  tk_string_free(user);
  tk_string_free(org);

  test_api_keys_on(storage, "acme", "ada@example.com", true);
  tk_storage_destroy(storage);

  if (tk_built_with("sqlite")) {
    const char* path = "c_api_test.sqlite3";
    remove(path);
    EXPECT_OK(tk_storage_open_sqlite(path, &storage, &err));
    test_api_keys_on(storage, "acme-sql", "sql@example.com", false);
    tk_storage_destroy(storage);
    remove(path);
    EXPECT_STATUS(tk_storage_open_sqlite("", &storage, &err), TK_VALIDATION_FAILED);
  } else {
    EXPECT_STATUS(tk_storage_open_sqlite("x.db", &storage, &err), TK_UNAVAILABLE);
  }
}

/* --------------------------------------------------------------------------------------- */

/* The shared quota script: the same calls on the in-process and the Redis engine. */
static void exercise_quota(tk_quota* quota, tk_clock* clock, const char* tenant) {
  tk_outcome o;
  memset(&o, 0, sizeof o);
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "api_calls", TK_METER_COUNTER, 10, 3600, false, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "api_calls", 4, &o, &err));
  CHECK(o.allowed && o.used == 4 && o.remaining == 6 && o.limit == 10);
  CHECK(o.kind == TK_METER_COUNTER && o.window_seconds == 3600 && o.reset_at > 0);
  EXPECT_OK(tk_quota_decide(quota, tenant, "api_calls", 7, &o, &err));
  CHECK(!o.allowed && o.deny_code == TK_QUOTA_EXCEEDED && o.used == 4 && o.retry_after_seconds > 0);
  EXPECT_OK(tk_quota_decide(quota, tenant, "api_calls", 0, &o, &err)); /* a read */
  CHECK(o.used == 4);

  EXPECT_STATUS(tk_quota_decide(quota, tenant, "api_calls", -1, &o, &err), TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_quota_decide(quota, tenant, "no_such_meter", 1, &o, &err), TK_NOT_FOUND);

  /* Reservations: commit less than reserved, settle twice -> gone. */
  tk_reservation* r = NULL;
  EXPECT_OK(tk_quota_reserve(quota, tenant, "api_calls", 5, 60, &r, &o, &err));
  CHECK(o.allowed && tk_reservation_id(r) != 0 && o.used == 9);
  EXPECT_OK(tk_quota_commit(quota, r, 2, &o, &err));
  CHECK(o.used == 6);
  EXPECT_STATUS(tk_quota_commit(quota, r, 2, NULL, &err), TK_GONE);
  EXPECT_STATUS(tk_quota_release(quota, r, &err), TK_GONE);
  tk_reservation_destroy(r);
  EXPECT_OK(tk_quota_reserve(quota, tenant, "api_calls", 3, 60, &r, NULL, &err));
  EXPECT_OK(tk_quota_release(quota, r, &err));
  tk_reservation_destroy(r);
  EXPECT_OK(tk_quota_reserve(quota, tenant, "api_calls", 100, 60, &r, &o, &err));
  CHECK(!o.allowed && tk_reservation_id(r) == 0);
  EXPECT_STATUS(tk_quota_commit(quota, r, 1, NULL, &err), TK_NOT_FOUND);
  tk_reservation_destroy(r);
  EXPECT_STATUS(tk_quota_reserve(quota, tenant, "api_calls", 0, 60, &r, NULL, &err),
                TK_VALIDATION_FAILED);

  /* A tenant override wins over the default. */
  EXPECT_OK(
      tk_quota_set_limit(quota, tenant, "api_calls", TK_METER_COUNTER, 1000, 3600, false, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "api_calls", 100, &o, &err));
  CHECK(o.allowed && o.limit == 1000);

  /* A rate limit and its window, following the injected clock. */
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "rps", TK_METER_FIXED_WINDOW, 2, 1, false, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "rps", 1, &o, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "rps", 1, &o, &err));
  CHECK(o.allowed);
  EXPECT_OK(tk_quota_decide(quota, tenant, "rps", 1, &o, &err));
  CHECK(!o.allowed && o.deny_code == TK_RATE_LIMITED && o.retry_after_seconds >= 1);
  tk_clock_advance(clock, 2);
  EXPECT_OK(tk_quota_decide(quota, tenant, "rps", 1, &o, &err));
  CHECK(o.allowed);

  /* Gauges, soft limits and unlimited meters. */
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "seats", TK_METER_GAUGE, 3, 0, false, &err));
  EXPECT_OK(tk_quota_set_gauge(quota, tenant, "seats", 3, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "seats", 1, &o, &err));
  CHECK(!o.allowed && o.deny_code == TK_PLAN_LIMIT_REACHED && o.kind == TK_METER_GAUGE);
  EXPECT_STATUS(tk_quota_set_gauge(quota, tenant, "api_calls", 1, &err), TK_VALIDATION_FAILED);
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "tokens", TK_METER_COUNTER, 5, 3600, true, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "tokens", 8, &o, &err));
  CHECK(o.allowed && o.overage && o.used == 8);
  EXPECT_OK(
      tk_quota_set_limit(quota, NULL, "free", TK_METER_COUNTER, TK_UNLIMITED, 3600, false, &err));
  EXPECT_OK(tk_quota_decide(quota, tenant, "free", 1000000, &o, &err));
  CHECK(o.allowed && o.limit == TK_UNLIMITED && o.remaining == TK_UNLIMITED);

  EXPECT_STATUS(tk_quota_set_limit(quota, NULL, "m", TK_METER_COUNTER, -5, 3600, false, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_quota_set_limit(quota, NULL, "m", TK_METER_COUNTER, 5, 0, false, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_quota_set_limit(quota, NULL, "m", (tk_meter_kind)9, 5, 10, false, &err),
                TK_VALIDATION_FAILED);
}

static void test_quota(void) {
  tk_clock* clock = NULL;
  EXPECT_OK(tk_clock_create_manual(1767225600, &clock, &err));
  tk_quota* quota = NULL;
  EXPECT_OK(tk_quota_create(clock, &quota, &err));
  exercise_quota(quota, clock, "org_q");

  /* Headers of API.md. */
  tk_outcome o;
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "calls", TK_METER_COUNTER, 1000, 2592000, false, &err));
  EXPECT_OK(tk_quota_decide(quota, "org_h", "calls", 1, &o, &err));
  char *policy = NULL, *rate = NULL, *retry = NULL;
  EXPECT_OK(
      tk_quota_format_headers("calls", &o, tk_clock_now(clock), &policy, &rate, &retry, &err));
  CHECK(strcmp(policy, "\"calls\";q=1000;w=2592000") == 0);
  CHECK(strcmp(rate, "\"calls\";r=999;t=2592000") == 0);
  CHECK(strcmp(retry, "") == 0);
  tk_string_free(policy);
  tk_string_free(rate);
  tk_string_free(retry);
  EXPECT_OK(tk_quota_decide(quota, "org_h", "calls", 5000, &o, &err));
  CHECK(!o.allowed);
  EXPECT_OK(tk_quota_format_headers("calls", &o, tk_clock_now(clock), NULL, NULL, &retry, &err));
  CHECK(strcmp(retry, "2592000") == 0);
  tk_string_free(retry);
  o.kind = (tk_meter_kind)42;
  EXPECT_STATUS(tk_quota_format_headers("calls", &o, 0, NULL, NULL, NULL, &err), TK_BAD_REQUEST);

  tk_quota_destroy(quota);
  tk_clock_destroy(clock);

  if (!tk_built_with("redis")) {
    EXPECT_STATUS(tk_quota_open_redis("redis://127.0.0.1:6379/0", NULL, &quota, &err),
                  TK_UNAVAILABLE);
  } else {
    EXPECT_STATUS(tk_quota_open_redis("http://example.com", NULL, &quota, &err),
                  TK_VALIDATION_FAILED);
  }
}

/* --------------------------------------------------------------------------------------- */

static void test_plans(void) {
  tk_plans* plans = NULL;
  bool has = false;
  int64_t limit = 0;
  EXPECT_OK(tk_plans_builtin(&plans, &err));
  tk_strings* ids = NULL;
  EXPECT_OK(tk_plans_ids(plans, &ids, &err));
  CHECK(tk_strings_count(ids) == 3 && strcmp(tk_strings_get(ids, 0), "free") == 0 &&
        strcmp(tk_strings_get(ids, 2), "enterprise") == 0);
  tk_strings_free(ids);
  EXPECT_OK(tk_plans_has_feature(plans, "pro", "audit_log", &has, &err));
  CHECK(has);
  EXPECT_OK(tk_plans_has_feature(plans, "free", "audit_log", &has, &err));
  CHECK(!has);
  EXPECT_OK(tk_plans_has_feature(plans, "pro", "scim", &has, &err));
  CHECK(!has);
  EXPECT_OK(tk_plans_limit(plans, "pro", "api_calls", &limit, &err));
  CHECK(limit == 100000);
  EXPECT_OK(tk_plans_limit(plans, "free", "seats", &limit, &err));
  CHECK(limit == 3);
  EXPECT_OK(tk_plans_limit(plans, "enterprise", "seats", &limit, &err));
  CHECK(limit == TK_UNLIMITED);
  EXPECT_STATUS(tk_plans_limit(plans, "platinum", "seats", &limit, &err), TK_NOT_FOUND);
  EXPECT_STATUS(tk_plans_limit(plans, "pro", "cpu", &limit, &err), TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_plans_has_feature(plans, "pro", "teleport", &has, &err), TK_VALIDATION_FAILED);
  tk_plans_destroy(plans);

  static const char json[] =
      "{\"plans\": [{\"id\": \"free\", \"name\": \"Free\", \"limits\": {\"api_calls\": 50}},"
      " {\"id\": \"team\", \"name\": \"Team\", \"limits\": {\"seats\": null, \"api_calls\": 9000},"
      "  \"features\": [\"custom_roles\"]}]}";
  EXPECT_OK(tk_plans_parse(json, sizeof json - 1, &plans, &err));
  EXPECT_OK(tk_plans_has_feature(plans, "team", "custom_roles", &has, &err));
  CHECK(has);
  EXPECT_OK(tk_plans_limit(plans, "team", "seats", &limit, &err));
  CHECK(limit == TK_UNLIMITED);
  EXPECT_OK(tk_plans_limit(plans, "team", "workspaces", &limit, &err));
  CHECK(limit == 0); /* a meter left out is 0 */
  EXPECT_OK(tk_plans_limit(plans, "free", "api_calls", &limit, &err));
  CHECK(limit == 50);
  tk_plans_destroy(plans);

  tk_plans* none = NULL;
  EXPECT_STATUS(tk_plans_parse("{not json", 9, &none, &err), TK_BAD_REQUEST);
  static const char no_free[] = "{\"plans\": [{\"id\": \"pro\", \"name\": \"Pro\"}]}";
  EXPECT_STATUS(tk_plans_parse(no_free, sizeof no_free - 1, &none, &err), TK_VALIDATION_FAILED);
  static const char bad_limit[] =
      "{\"plans\": [{\"id\": \"free\", \"name\": \"F\", \"limits\": {\"seats\": -3}}]}";
  tk_status st = tk_plans_parse(bad_limit, sizeof bad_limit - 1, &none, &err);
  CHECK(st == TK_VALIDATION_FAILED && tk_error_field_count(err) >= 1);
  CHECK(contains(tk_error_field_name(err, 0), "plans[0].limits.seats"));
  tk_error_free(err);
  err = NULL;
  CHECK(none == NULL);
}

/* --------------------------------------------------------------------------------------- */

static void test_webhooks(void) {
  const int64_t t = 1767225600;
  /* A raw body with a NUL byte inside: lengths, not terminators. */
  static const char body[] = "{\"id\":\"evt_1\"}\0tail";
  const size_t body_len = sizeof body - 1;
  const char* secrets[] = {"whsec_old", "whsec_new"};
  char* header = NULL;
  EXPECT_OK(tk_webhook_sign("whsec_new", t, body, body_len, &header, &err));
  CHECK(strncmp(header, "t=1767225600,v1=", 16) == 0);
  const size_t hl = strlen(header);

  int64_t signed_at = 0;
  EXPECT_OK(tk_webhook_verify(secrets, 2, header, hl, body, body_len, t + 10, 0, &signed_at, &err));
  CHECK(signed_at == t);
  /* Wrong secret, tampered body (also: the part after the NUL counts), replay too late or too
   * early, missing or malformed header. */
  EXPECT_STATUS(tk_webhook_verify(secrets, 1, header, hl, body, body_len, t, 0, NULL, &err),
                TK_INVALID_SIGNATURE);
  EXPECT_STATUS(tk_webhook_verify(secrets, 2, header, hl, body, body_len - 1, t, 0, NULL, &err),
                TK_INVALID_SIGNATURE);
  tk_status st = tk_webhook_verify(secrets, 2, header, hl, body, body_len, t + 301, 0, NULL, &err);
  CHECK(st == TK_INVALID_SIGNATURE && contains(tk_error_detail(err), "too old"));
  tk_error_free(err);
  err = NULL;
  st = tk_webhook_verify(secrets, 2, header, hl, body, body_len, t - 301, 0, NULL, &err);
  CHECK(st == TK_INVALID_SIGNATURE && contains(tk_error_detail(err), "future"));
  tk_error_free(err);
  err = NULL;
  EXPECT_OK(tk_webhook_verify(secrets, 2, header, hl, body, body_len, t + 3000, 3600, NULL, &err));
  EXPECT_STATUS(tk_webhook_verify(secrets, 2, "", 0, body, body_len, t, 0, NULL, &err),
                TK_INVALID_SIGNATURE);
  EXPECT_STATUS(tk_webhook_verify(secrets, 2, "t=abc", 5, body, body_len, t, 0, NULL, &err),
                TK_INVALID_SIGNATURE);
  EXPECT_STATUS(tk_webhook_verify(NULL, 0, header, hl, body, body_len, t, 0, NULL, &err),
                TK_VALIDATION_FAILED);
  const char* empty[] = {""};
  EXPECT_STATUS(tk_webhook_verify(empty, 1, header, hl, body, body_len, t, 0, NULL, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_webhook_verify(secrets, 2, header, hl, body, body_len, t, 999999, NULL, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_webhook_sign("", t, body, body_len, &header, &err), TK_VALIDATION_FAILED);
  tk_string_free(header);
}

/* --------------------------------------------------------------------------------------- */

static void test_jwt(void) {
  tk_clock* clock = NULL;
  EXPECT_OK(tk_clock_create_manual(1767225600, &clock, &err));
  static const char secret[] = "an-hs256-secret-of-at-least-32-bytes!";
  tk_jwt* hs = NULL;
  EXPECT_OK(tk_jwt_create_hs256(secret, sizeof secret - 1, NULL, NULL, 600, clock, &hs, &err));

  char* token = NULL;
  EXPECT_OK(tk_jwt_sign(hs, "user_1", "org_1", NULL, &token, &err));
  char* claims = NULL;
  EXPECT_OK(tk_jwt_verify(hs, token, strlen(token), &claims, &err));
  CHECK(contains(claims, "\"sub\":\"user_1\"") && contains(claims, "\"org\":\"org_1\""));
  CHECK(contains(claims, "\"sid\":\"\"") && contains(claims, "\"iss\":\"tenantkit\""));
  CHECK(contains(claims, "\"iat\":1767225600") && contains(claims, "\"exp\":1767226200"));
  tk_string_free(claims);

  /* Tampering, truncation and expiry, each with its reason. */
  size_t n = strlen(token);
  char* bad = malloc(n + 1);
  CHECK(bad != NULL);
  memcpy(bad, token, n + 1);
  bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
  tk_status st = tk_jwt_verify(hs, bad, n, &claims, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_bad_signature") == 0);
  tk_error_free(err);
  err = NULL;
  free(bad);
  st = tk_jwt_verify(hs, token, n / 2, NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_malformed") == 0);
  tk_error_free(err);
  err = NULL;
  /* alg "none": {"alg":"none","typ":"JWT"} . {"sub":"user_1"} . (no signature) */
  static const char none[] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyXzEifQ.";
  st = tk_jwt_verify(hs, none, sizeof none - 1, NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_alg_none") == 0);
  tk_error_free(err);
  err = NULL;
  tk_clock_advance(clock, 600 + 31);
  st = tk_jwt_verify(hs, token, n, NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_expired") == 0);
  tk_error_free(err);
  err = NULL;

  /* A codec with another audience refuses the token. */
  tk_jwt* other = NULL;
  tk_clock_set(clock, 1767225600);
  EXPECT_OK(
      tk_jwt_create_hs256(secret, sizeof secret - 1, NULL, "billing", 0, clock, &other, &err));
  st = tk_jwt_verify(other, token, n, NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_wrong_audience") == 0);
  tk_error_free(err);
  err = NULL;
  tk_jwt_destroy(other);

  EXPECT_STATUS(tk_jwt_create_hs256("short", 5, NULL, NULL, 0, clock, &other, &err),
                TK_VALIDATION_FAILED);
  EXPECT_STATUS(tk_jwt_sign(hs, "bad user!", NULL, NULL, &claims, &err), TK_BAD_REQUEST);
  char* jwks = NULL;
  EXPECT_OK(tk_jwt_jwks(hs, &jwks, &err));
  CHECK(strcmp(jwks, "{\"keys\":[]}") == 0);
  tk_string_free(jwks);

  /* EdDSA from a generated private key set. */
  char* key_set = NULL;
  EXPECT_OK(tk_jwt_generate_key_set(clock, &key_set, &err));
  tk_jwt* ed = NULL;
  EXPECT_OK(tk_jwt_create_eddsa(key_set, strlen(key_set), "me", "you", 0, clock, &ed, &err));
  char* ed_token = NULL;
  EXPECT_OK(tk_jwt_sign(ed, "user_2", NULL, "sess_1", &ed_token, &err));
  EXPECT_OK(tk_jwt_verify(ed, ed_token, strlen(ed_token), &claims, &err));
  CHECK(contains(claims, "\"sub\":\"user_2\"") && contains(claims, "\"sid\":\"sess_1\""));
  CHECK(contains(claims, "\"iss\":\"me\"") && contains(claims, "\"aud\":\"you\""));
  tk_string_free(claims);
  EXPECT_OK(tk_jwt_jwks(ed, &jwks, &err));
  CHECK(contains(jwks, "\"crv\":\"Ed25519\"") && !contains(jwks, "\"d\""));
  tk_string_free(jwks);
  /* Algorithm confusion: an HS256 token on an EdDSA codec, and the reverse. */
  st = tk_jwt_verify(ed, token, n, NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_alg_not_allowed") == 0);
  tk_error_free(err);
  err = NULL;
  st = tk_jwt_verify(hs, ed_token, strlen(ed_token), NULL, &err);
  CHECK(st == TK_UNAUTHORIZED && strcmp(tk_error_detail(err), "token_alg_not_allowed") == 0);
  tk_error_free(err);
  err = NULL;
  EXPECT_STATUS(tk_jwt_create_eddsa("{}", 2, NULL, NULL, 0, clock, &other, &err), TK_BAD_REQUEST);

  tk_string_free(ed_token);
  tk_string_free(key_set);
  tk_string_free(token);
  tk_jwt_destroy(ed);
  tk_jwt_destroy(hs);
  tk_clock_destroy(clock);
}

/* --------------------------------------------------------------------------------------- */

static int run_redis(void) {
  const char* url = getenv("TK_TEST_REDIS_URL");
  if (url == NULL || *url == '\0') {
    printf("TK_TEST_REDIS_URL is unset: skipping the Redis part\n");
    return 77;
  }
  CHECK(tk_built_with("redis"));
  tk_clock* clock = NULL;
  EXPECT_OK(tk_clock_create_manual((int64_t)time(NULL), &clock, &err));
  tk_quota* quota = NULL;
  EXPECT_OK(tk_quota_open_redis(url, clock, &quota, &err));
  /* A fresh tenant per run: Redis keeps state between runs. */
  char tenant[64];
  snprintf(tenant, sizeof tenant, "c_api_%lld_%d", (long long)time(NULL), rand());
  exercise_quota(quota, clock, tenant);

  /* Two handles on one Redis share the counters (unlike two in-process engines). */
  tk_quota* second = NULL;
  EXPECT_OK(tk_quota_open_redis(url, clock, &second, &err));
  EXPECT_OK(tk_quota_set_limit(second, NULL, "shared", TK_METER_COUNTER, 5, 3600, false, &err));
  EXPECT_OK(tk_quota_set_limit(quota, NULL, "shared", TK_METER_COUNTER, 5, 3600, false, &err));
  tk_outcome o;
  EXPECT_OK(tk_quota_decide(quota, tenant, "shared", 3, &o, &err));
  EXPECT_OK(tk_quota_decide(second, tenant, "shared", 3, &o, &err));
  CHECK(!o.allowed && o.used == 3);
  tk_quota_destroy(second);
  tk_quota_destroy(quota);
  tk_clock_destroy(clock);

  EXPECT_STATUS(tk_quota_open_redis("redis://127.0.0.1:1/0", NULL, &quota, &err), TK_UNAVAILABLE);
  printf("c_api_test redis: %d checks passed\n", checks);
  return 0;
}

int main(int argc, char** argv) {
  srand((unsigned)time(NULL));
  if (argc > 1 && strcmp(argv[1], "redis") == 0) return run_redis();
  test_version_and_errors();
  test_rbac();
  test_storage_and_api_keys();
  test_quota();
  test_plans();
  test_webhooks();
  test_jwt();
  CHECK(err == NULL);
  printf("c_api_test: %d checks passed\n", checks);
  return 0;
}
