// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/key_format.hpp>
#include <tenantkit/apikey/manager.hpp>

namespace tenantkit::apikey {
namespace {

bool creator_covers(std::span<const std::string> perms, std::string_view scope) {
  // A wildcard scope needs an equally wide (or wider) permission: "data:*" is covered by
  // "data:*" or "*", never by "data:read" alone.
  return std::any_of(perms.begin(), perms.end(), [&](const std::string& p) {
    if (p == "*") return true;
    if (scope == "*") return false;
    const auto pc = p.find(':');
    const auto sc = scope.find(':');
    if (pc == std::string::npos || sc == std::string_view::npos) return false;
    const auto part = [](std::string_view have, std::string_view want) {
      return have == "*" || have == want;
    };
    return part(std::string_view(p).substr(0, pc), scope.substr(0, sc)) &&
           part(std::string_view(p).substr(pc + 1), scope.substr(sc + 1));
  });
}

}  // namespace

KeyManager::KeyManager(KeyStore& store, const KeyHasher& hasher, RevocationFeed& feed,
                       Random& random, const Clock& clock, ManagerOptions options)
    : store_(store),
      hasher_(hasher),
      feed_(feed),
      random_(random),
      clock_(clock),
      options_(std::move(options)) {}

Result<IssuedKey> KeyManager::create(const TenantId& tenant, const NewKey& key,
                                     std::span<const std::string> creator_permissions) {
  const Timestamp now = clock_.now();
  std::vector<FieldError> bad;
  if (key.name.empty() || key.name.size() > 100)
    bad.push_back({"name", "must be 1 to 100 characters"});
  if (!valid_env(key.env)) bad.push_back({"env", "must be 1 to 16 of [a-z0-9]"});
  for (const std::string& s : key.scopes)
    if (!valid_scope(s)) bad.push_back({"scopes", "not a resource:action permission: " + s});
  if (key.expires_at && *key.expires_at <= now)
    bad.push_back({"expires_at", "must be in the future"});
  if (!bad.empty())
    return Error{Errc::validation_failed, "invalid API key request", std::move(bad)};

  Record base;
  base.tenant = tenant;
  base.name = key.name;
  base.scopes = key.scopes.empty() ? options_.default_scopes : key.scopes;
  for (const std::string& s : base.scopes)
    if (!creator_covers(creator_permissions, s))
      return Error{Errc::forbidden, "scope exceeds the creator's permissions: " + s};
  base.created_by = key.created_by;
  base.expires_at = key.expires_at;
  return issue(std::move(base), key.env);
}

Result<IssuedKey> KeyManager::issue(Record base, std::string_view env) {
  for (int attempt = 0;; ++attempt) {
    Secret secret = generate_key(random_, env);
    auto parsed = parse_key(secret.reveal());  // to cut the prefix out of the new secret
    if (!parsed) return Error{Errc::internal, "generated API key does not parse"};
    Record rec = base;
    rec.id = ApiKeyId::generate(random_, clock_);
    rec.prefix = std::string(parsed->prefix);
    rec.pepper_version = hasher_.current_version();
    rec.hash = hasher_.hash(secret.reveal());
    rec.created_at = clock_.now();
    auto stored = store_.create(rec);
    if (stored) return IssuedKey{std::move(rec), std::move(secret)};
    // 47 bits of prefix make collisions rare; retry a few times before reporting one.
    if (stored.error().code != Errc::conflict || attempt == 2) return stored.error();
  }
}

Result<std::vector<Record>> KeyManager::list(const TenantId& tenant) {
  return store_.list(tenant);
}

Result<Record> KeyManager::revoke(const TenantId& tenant, const ApiKeyId& id) {
  auto rec = store_.get(tenant, id);
  if (!rec) return rec.error();
  if (rec->revoked_at) return rec;
  rec->revoked_at = clock_.now();
  if (auto u = store_.update(*rec); !u) return u.error();
  if (auto p = feed_.publish(); !p) return p.error();
  return rec;
}

Result<IssuedKey> KeyManager::rotate(const TenantId& tenant, const ApiKeyId& id,
                                     std::optional<std::chrono::seconds> grace) {
  const std::chrono::seconds g = grace.value_or(options_.rotation_grace);
  if (g.count() < 0)
    return Error{Errc::validation_failed, "grace must not be negative", {{"grace", ">= 0"}}};
  auto old = store_.get(tenant, id);
  if (!old) return old.error();
  const Timestamp now = clock_.now();
  if (!old->is_active(now)) return Error{Errc::gone, "API key is revoked or expired"};

  Record base;
  base.tenant = tenant;
  base.name = old->name;
  base.scopes = old->scopes;
  base.created_by = old->created_by;
  base.expires_at = old->expires_at;
  const std::string env(old->prefix.substr(
      kKeyScheme.size(), old->prefix.size() - kKeyScheme.size() - 1 - kPrefixRandomChars));
  auto issued = issue(std::move(base), env);
  if (!issued) return issued.error();

  const Timestamp end_of_grace = now + g;
  old->expires_at = old->expires_at ? std::min(*old->expires_at, end_of_grace) : end_of_grace;
  old->replaced_by = issued->record.id;
  if (auto u = store_.update(*old); !u) return u.error();
  // Cached entries carry the old expiry: make every cache reload the record.
  if (auto p = feed_.publish(); !p) return p.error();
  return issued;
}

}  // namespace tenantkit::apikey
