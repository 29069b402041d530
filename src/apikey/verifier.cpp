// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>

#include <tenantkit/apikey/key_format.hpp>
#include <tenantkit/apikey/verifier.hpp>
#include <tenantkit/core/random.hpp>

namespace tenantkit::apikey {

Verifier::Verifier(storage::ApiKeyStore& store, const KeyHasher& hasher, RevocationFeed& feed,
                   const Clock& clock, LastUsedRecorder* recorder, CacheOptions cache)
    : store_(store),
      hasher_(hasher),
      feed_(feed),
      clock_(clock),
      recorder_(recorder),
      cache_(cache) {
  system_random().fill(std::as_writable_bytes(std::span(cache_key_)));
}

CacheDigest Verifier::digest(std::string_view presented) const noexcept {
  // SipHash-x-2-4 (128-bit output) instead of the pepper's BLAKE2b: several times faster on the
  // hot path, and as a keyed PRF with a secret per-process key it is still infeasible to forge a
  // secret whose digest matches a cached one.
  static_assert(crypto_shorthash_siphashx24_BYTES == sizeof(CacheDigest));
  static_assert(crypto_shorthash_siphashx24_KEYBYTES == 16);
  CacheDigest out{};
  crypto_shorthash_siphashx24(out.data(), reinterpret_cast<const unsigned char*>(presented.data()),
                              presented.size(), cache_key_.data());
  return out;
}

Result<std::shared_ptr<const VerifiedKey>> Verifier::verify(std::string_view presented) {
  auto parsed = parse_key(presented);
  if (!parsed) return parsed.error();

  const Timestamp now = clock_.now();
  const CacheDigest d = digest(presented);
  // Read before the lookup: a revocation published while we talk to storage must not be masked.
  const std::uint64_t generation = feed_.generation();
  bool refresh_due = false;
  if (auto hit = cache_.find(d, generation, now, refresh_hook_ ? &refresh_due : nullptr)) {
    if (hit->expires_at && now >= *hit->expires_at)
      return Error{Errc::unauthorized, "API key expired"};
    if (hit->last_used) hit->last_used->touch(now);
    if (refresh_due) refresh_hook_(presented);
    return hit;
  }
  return from_store(presented, parsed->prefix, now, d, generation, true);
}

Result<std::shared_ptr<const VerifiedKey>> Verifier::reload(std::string_view presented) {
  auto parsed = parse_key(presented);
  if (!parsed) return parsed.error();
  // As verify(): the generation is read before the storage lookup.
  const std::uint64_t generation = feed_.generation();
  return from_store(presented, parsed->prefix, clock_.now(), digest(presented), generation, false);
}

Result<std::shared_ptr<const VerifiedKey>> Verifier::from_store(std::string_view presented,
                                                                std::string_view prefix,
                                                                Timestamp now, const CacheDigest& d,
                                                                std::uint64_t generation,
                                                                bool touch) {
  auto found = store_.find_by_prefix(prefix);
  if (!found) return found.error();
  if (!*found) return Error{Errc::unauthorized, "unknown API key"};
  const storage::ApiKey& rec = **found;
  const auto expected =
      rec.pepper_version > 0
          ? hasher_.hash(presented, static_cast<std::uint32_t>(rec.pepper_version))
          : std::nullopt;
  // A record hashed under a pepper no longer configured cannot be checked: it is dead.
  if (!expected || !hash_matches(*expected, rec.hash))
    return Error{Errc::unauthorized, "unknown API key"};
  if (rec.revoked_at) return Error{Errc::unauthorized, "API key revoked"};
  if (rec.expires_at && now >= *rec.expires_at) return Error{Errc::unauthorized, "API key expired"};

  auto key = std::make_shared<VerifiedKey>();
  key->id = rec.id;
  key->tenant = rec.org;
  key->created_by = rec.created_by;
  key->prefix = rec.prefix;
  key->scopes = rec.scopes;
  key->expires_at = rec.expires_at;
  if (recorder_) {
    key->last_used = recorder_->slot(rec.id);
    if (touch) key->last_used->touch(now);
  }
  std::shared_ptr<const VerifiedKey> frozen = std::move(key);
  cache_.insert(d, frozen, generation, now);
  return frozen;
}

}  // namespace tenantkit::apikey
