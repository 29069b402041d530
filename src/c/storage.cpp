// SPDX-License-Identifier: Apache-2.0
// C ABI over storage::Storage: opening a backend, the org and user records API keys and usage
// events need, and usage events themselves.
#include <algorithm>
#include <cctype>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/storage/storage.hpp>
#ifdef TENANTKIT_C_WITH_SQLITE
#include <tenantkit/storage/sqlite.hpp>
#endif

#include "c/common.hpp"

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

// UserStore::create expects a normalised email (user_store.hpp); the server's handlers trim
// and lower-case it, and so must this entry point or lookups by email would miss.
Result<std::string> normalise_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  const auto at = email.find('@');
  if (email.empty() || email.size() > 254 || at == 0 || at == std::string_view::npos ||
      at + 1 == email.size())
    return Error{Errc::validation_failed, "invalid email", {{"email", "not an email address"}}};
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

// Org slugs are [a-z0-9-], 1..63 characters (records.hpp); the stores trust their callers.
bool valid_slug(std::string_view slug) noexcept {
  if (slug.empty() || slug.size() > 63) return false;
  return std::all_of(slug.begin(), slug.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

}  // namespace

extern "C" {

tk_status tk_storage_open_memory(tk_storage** out, tk_error** error) {
  return guard(error, [&] {
    if (out == nullptr) return null_argument(error, "out");
    auto s = std::make_unique<tk_storage>();
    s->storage = storage::open_memory();
    *out = s.release();
    return TK_OK;
  });
}

tk_status tk_storage_open_sqlite(const char* path, tk_storage** out, tk_error** error) {
  return guard(error, [&] {
    if (path == nullptr) return null_argument(error, "path");
    if (out == nullptr) return null_argument(error, "out");
#ifdef TENANTKIT_C_WITH_SQLITE
    auto opened = storage::open_sqlite({.path = path});
    if (!opened) return fail(error, opened.error());
    auto s = std::make_unique<tk_storage>();
    s->storage = std::move(*opened);
    *out = s.release();
    return TK_OK;
#else
    return fail(error, Error{Errc::unavailable, "built without tenantkit::sqlite"});
#endif
  });
}

void tk_storage_destroy(tk_storage* storage) {
  delete storage;
}

tk_status tk_storage_create_user(tk_storage* storage, const char* email, const char* name,
                                 char** user_id, tk_error** error) {
  return guard(error, [&] {
    if (storage == nullptr) return null_argument(error, "storage");
    if (email == nullptr) return null_argument(error, "email");
    auto normalised = normalise_email(email);
    if (!normalised) return fail(error, normalised.error());
    const Timestamp now = system_clock().now();
    storage::User user{.id = UserId::generate(system_random(), system_clock()),
                       .email = std::move(*normalised),
                       .name = name != nullptr ? name : "",
                       .password_hash = {},
                       .active = true,
                       .created_at = now,
                       .updated_at = now};
    auto id = string_out(user.id.str());
    auto created = storage->storage->users().create(user);
    if (!created) return fail(error, created.error());
    give(user_id, id);
    return TK_OK;
  });
}

tk_status tk_storage_create_org(tk_storage* storage, const char* name, const char* slug,
                                const char* owner_user_id, char** org_id, tk_error** error) {
  return guard(error, [&] {
    if (storage == nullptr) return null_argument(error, "storage");
    if (name == nullptr) return null_argument(error, "name");
    if (slug == nullptr) return null_argument(error, "slug");
    if (owner_user_id == nullptr) return null_argument(error, "owner_user_id");
    if (std::string_view(name).empty() || std::string_view(name).size() > 200)
      return fail(error, Error{Errc::validation_failed, "invalid name", {{"name", "1..200"}}});
    if (!valid_slug(slug))
      return fail(error,
                  Error{Errc::validation_failed, "invalid slug", {{"slug", "1..63 of [a-z0-9-]"}}});
    auto owner = UserId::parse(owner_user_id);
    if (!owner) return fail(error, owner.error());
    const Timestamp now = system_clock().now();
    storage::Org org{.id = OrgId::generate(system_random(), system_clock()),
                     .name = name,
                     .slug = slug,
                     .created_at = now,
                     .updated_at = now};
    storage::Membership membership{.org = org.id,
                                   .user = *owner,
                                   .roles = {"owner"},
                                   .active = true,
                                   .external_id = {},
                                   .joined_at = now,
                                   .scim_profile = {}};
    auto id = string_out(org.id.str());
    auto created = storage->storage->orgs().create(org, membership);
    if (!created) return fail(error, created.error());
    give(org_id, id);
    return TK_OK;
  });
}

tk_status tk_usage_record(tk_storage* storage, const char* org, const char* meter, int64_t quantity,
                          const char* idempotency_key, int64_t occurred_at, bool* duplicate,
                          tk_error** error) {
  return guard(error, [&] {
    if (storage == nullptr) return null_argument(error, "storage");
    if (org == nullptr) return null_argument(error, "org");
    if (meter == nullptr) return null_argument(error, "meter");
    if (idempotency_key == nullptr) return null_argument(error, "idempotency_key");
    auto org_id = OrgId::parse(org);
    if (!org_id) return fail(error, org_id.error());
    const Timestamp now = system_clock().now();
    storage::UsageEvent event{.id = UsageEventId::generate(system_random(), system_clock()),
                              .org = *org_id,
                              .meter = meter,
                              .quantity = quantity,
                              .idempotency_key = idempotency_key,
                              .occurred_at = occurred_at == 0 ? now : from_unix(occurred_at),
                              .recorded_at = now};
    auto r = storage->storage->usage().record(*org_id, event);
    if (!r) return fail(error, r.error());
    if (duplicate != nullptr) *duplicate = r->duplicate;
    return TK_OK;
  });
}

tk_status tk_usage_total(tk_storage* storage, const char* org, const char* meter, int64_t from,
                         int64_t to, int64_t* total, tk_error** error) {
  return guard(error, [&] {
    if (storage == nullptr) return null_argument(error, "storage");
    if (org == nullptr) return null_argument(error, "org");
    if (meter == nullptr) return null_argument(error, "meter");
    if (total == nullptr) return null_argument(error, "total");
    auto org_id = OrgId::parse(org);
    if (!org_id) return fail(error, org_id.error());
    auto r = storage->storage->usage().total(*org_id, meter, from_unix(from), from_unix(to));
    if (!r) return fail(error, r.error());
    *total = *r;
    return TK_OK;
  });
}

}  // extern "C"
