// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/key_format.hpp>
#include <tenantkit/apikey/manager.hpp>
#include <tenantkit/apikey/scopes.hpp>

namespace tenantkit::apikey {
namespace {

constexpr int kMintAttempts = 3;

std::string_view env_of_prefix(std::string_view prefix) {
  // "tk_<env>_<8 chars>"
  if (prefix.size() < kKeyScheme.size() + 2 + kPrefixRandomChars) return "live";
  return prefix.substr(kKeyScheme.size(),
                       prefix.size() - kKeyScheme.size() - 1 - kPrefixRandomChars);
}

}  // namespace

KeyManager::KeyManager(storage::ApiKeyStore& store, const KeyHasher& hasher, RevocationFeed& feed,
                       Random& random, const Clock& clock, ManagerOptions options)
    : store_(store),
      hasher_(hasher),
      feed_(feed),
      random_(random),
      clock_(clock),
      options_(std::move(options)) {}

Result<IssuedKey> KeyManager::mint(const storage::ApiKey& base, std::string_view env) {
  IssuedKey out{base, generate_key(random_, env)};
  auto parsed = parse_key(out.secret.reveal());  // cuts the prefix out of the new secret
  if (!parsed) return Error{Errc::internal, "generated API key does not parse"};
  out.record.id = ApiKeyId::generate(random_, clock_);
  out.record.prefix = std::string(parsed->prefix);
  out.record.pepper_version = static_cast<int>(hasher_.current_version());
  out.record.hash = hash_to_hex(hasher_.hash(out.secret.reveal()));
  out.record.created_at = clock_.now();
  out.record.last_used_at.reset();
  out.record.revoked_at.reset();
  out.record.rotated_to.reset();
  return out;
}

Result<IssuedKey> KeyManager::create(const OrgId& org, const NewKey& key,
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

  storage::ApiKey base;
  base.org = org;
  base.name = key.name;
  base.scopes = key.scopes.empty() ? options_.default_scopes : key.scopes;
  for (const std::string& s : base.scopes)
    if (!permissions_cover_scope(creator_permissions, s))
      return Error{Errc::forbidden, "scope exceeds the creator's permissions: " + s};
  base.created_by = key.created_by;
  base.expires_at = key.expires_at;

  for (int attempt = 1;; ++attempt) {
    auto issued = mint(base, key.env);
    if (!issued) return issued.error();
    auto stored = store_.create(org, issued->record, key.max_keys);
    if (stored) {
      issued->record = std::move(*stored);
      return issued;
    }
    // 47 bits of prefix make a collision rare; retry a few times before reporting one.
    if (stored.error().code != Errc::conflict || attempt == kMintAttempts) return stored.error();
  }
}

Result<Page<storage::ApiKey>> KeyManager::list(const OrgId& org, const PageRequest& page) {
  return store_.list(org, page);
}

Result<storage::ApiKey> KeyManager::revoke(const OrgId& org, const ApiKeyId& id) {
  auto rec = store_.revoke(org, id, clock_.now());
  if (!rec) return rec.error();
  if (auto p = feed_.publish(); !p) return p.error();
  return rec;
}

Result<IssuedKey> KeyManager::rotate(const OrgId& org, const ApiKeyId& id,
                                     std::optional<std::chrono::seconds> grace) {
  const std::chrono::seconds g = grace.value_or(options_.rotation_grace);
  if (g.count() < 0)
    return Error{Errc::validation_failed, "grace must not be negative", {{"grace", ">= 0"}}};
  auto old = store_.get(org, id);
  if (!old) return old.error();
  const Timestamp now = clock_.now();
  if (!old->is_usable(now) || old->rotated_to)
    return Error{Errc::gone, "API key is revoked, expired or already rotated"};

  const Timestamp end_of_grace = now + g;
  const Timestamp old_expires =
      old->expires_at ? std::min(*old->expires_at, end_of_grace) : end_of_grace;
  for (int attempt = 1;; ++attempt) {
    auto issued = mint(*old, env_of_prefix(old->prefix));
    if (!issued) return issued.error();
    auto stored = store_.rotate(org, id, issued->record, old_expires);
    if (stored) {
      // Cached entries of the old key carry its old expiry: make every cache reload it.
      if (auto p = feed_.publish(); !p) return p.error();
      return issued;
    }
    if (stored.error().code != Errc::conflict || attempt == kMintAttempts) return stored.error();
  }
}

}  // namespace tenantkit::apikey
