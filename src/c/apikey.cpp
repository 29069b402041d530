// SPDX-License-Identifier: Apache-2.0
// C ABI over apikey::KeyManager and apikey::Verifier, sharing one hasher and one in-process
// revocation feed so that a revoke or rotate through a handle reaches its own cache at once.
#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/core/random.hpp>

#include "c/common.hpp"

struct tk_apikeys {
  tk_apikeys(tenantkit::storage::ApiKeyStore& store, tenantkit::apikey::KeyHasher h,
             const tenantkit::Clock& clock)
      : hasher(std::move(h)),
        manager(store, hasher, feed, tenantkit::system_random(), clock),
        verifier(store, hasher, feed, clock) {}

  tenantkit::apikey::KeyHasher hasher;
  tenantkit::apikey::InProcessRevocationFeed feed;
  tenantkit::apikey::KeyManager manager;
  tenantkit::apikey::Verifier verifier;
};

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

// Hands out an issued key's three strings, all or none.
tk_status give_issued(const apikey::IssuedKey& key, char** secret, char** key_id, char** prefix) {
  auto s = string_out(key.secret.reveal());
  auto i = string_out(key.record.id.str());
  auto p = string_out(key.record.prefix);
  give(secret, s);
  give(key_id, i);
  give(prefix, p);
  return TK_OK;
}

}  // namespace

extern "C" {

tk_status tk_apikeys_create(tk_storage* storage, const char* pepper, size_t pepper_len,
                            const tk_clock* clock, tk_apikeys** out, tk_error** error) {
  return guard(error, [&] {
    if (storage == nullptr) return null_argument(error, "storage");
    if (pepper == nullptr) return null_argument(error, "pepper");
    if (out == nullptr) return null_argument(error, "out");
    std::vector<apikey::Pepper> peppers;
    peppers.push_back({.version = 1, .key = Secret(std::string(pepper, pepper_len))});
    auto hasher = apikey::KeyHasher::create(std::move(peppers));
    if (!hasher) return fail(error, hasher.error());
    *out = new tk_apikeys(storage->storage->api_keys(), std::move(*hasher), clock_of(clock));
    return TK_OK;
  });
}

void tk_apikeys_destroy(tk_apikeys* keys) {
  delete keys;
}

tk_status tk_apikeys_issue(tk_apikeys* keys, const char* org, const char* name,
                           const char* created_by, const char* const* scopes, size_t scope_count,
                           const char* const* creator_permissions, size_t creator_permission_count,
                           int64_t expires_at, char** secret, char** key_id, char** prefix,
                           tk_error** error) {
  return guard(error, [&] {
    if (keys == nullptr) return null_argument(error, "keys");
    if (org == nullptr) return null_argument(error, "org");
    if (name == nullptr) return null_argument(error, "name");
    auto org_id = OrgId::parse(org);
    if (!org_id) return fail(error, org_id.error());
    auto scope_list = strings_in(scopes, scope_count, "scopes");
    if (!scope_list) return fail(error, scope_list.error());
    auto perms = strings_in(creator_permissions, creator_permission_count, "creator_permissions");
    if (!perms) return fail(error, perms.error());
    apikey::NewKey key{.name = name, .scopes = std::move(*scope_list)};
    if (expires_at != 0) key.expires_at = from_unix(expires_at);
    if (created_by != nullptr && *created_by != '\0') {
      auto user = UserId::parse(created_by);
      if (!user) return fail(error, user.error());
      key.created_by = std::move(*user);
    }
    auto issued = keys->manager.create(*org_id, key, *perms);
    if (!issued) return fail(error, issued.error());
    return give_issued(*issued, secret, key_id, prefix);
  });
}

tk_status tk_apikeys_verify(tk_apikeys* keys, const char* presented, size_t len, char** org,
                            char** key_id, char** created_by, tk_strings** scopes,
                            tk_error** error) {
  return guard(error, [&] {
    if (keys == nullptr) return null_argument(error, "keys");
    if (presented == nullptr && len != 0) return null_argument(error, "presented");
    auto verified = keys->verifier.verify(view(presented, len));
    if (!verified) return fail(error, verified.error());
    const apikey::VerifiedKey& k = **verified;
    auto o = string_out(k.tenant.str());
    auto i = string_out(k.id.str());
    auto c = string_out(k.created_by.str());
    auto s = strings_out(k.scopes);
    give(org, o);
    give(key_id, i);
    give(created_by, c);
    if (scopes != nullptr) *scopes = s.release();
    return TK_OK;
  });
}

tk_status tk_apikeys_revoke(tk_apikeys* keys, const char* org, const char* key_id,
                            tk_error** error) {
  return guard(error, [&] {
    if (keys == nullptr) return null_argument(error, "keys");
    if (org == nullptr) return null_argument(error, "org");
    if (key_id == nullptr) return null_argument(error, "key_id");
    auto org_id = OrgId::parse(org);
    if (!org_id) return fail(error, org_id.error());
    auto id = ApiKeyId::parse(key_id);
    if (!id) return fail(error, id.error());
    auto r = keys->manager.revoke(*org_id, *id);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_apikeys_rotate(tk_apikeys* keys, const char* org, const char* key_id,
                            int64_t grace_seconds, char** secret, char** new_key_id, char** prefix,
                            tk_error** error) {
  return guard(error, [&] {
    if (keys == nullptr) return null_argument(error, "keys");
    if (org == nullptr) return null_argument(error, "org");
    if (key_id == nullptr) return null_argument(error, "key_id");
    auto org_id = OrgId::parse(org);
    if (!org_id) return fail(error, org_id.error());
    auto id = ApiKeyId::parse(key_id);
    if (!id) return fail(error, id.error());
    std::optional<std::chrono::seconds> grace;
    if (grace_seconds >= 0) grace = std::chrono::seconds{grace_seconds};
    auto issued = keys->manager.rotate(*org_id, *id, grace);
    if (!issued) return fail(error, issued.error());
    return give_issued(*issued, secret, new_key_id, prefix);
  });
}

}  // extern "C"
