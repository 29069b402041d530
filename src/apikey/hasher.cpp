// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>

#include <sodium.h>

#include <tenantkit/apikey/hasher.hpp>

namespace tenantkit::apikey {

bool hash_equal(const KeyHash& a, const KeyHash& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_to_hex(const KeyHash& h) {
  std::string out(h.size() * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, h.data(), h.size());
  return out;
}

bool hash_matches(const KeyHash& h, std::string_view stored_hex) noexcept {
  if (stored_hex.size() != h.size() * 2) return false;
  std::array<char, 65> mine{};
  sodium_bin2hex(mine.data(), mine.size(), h.data(), h.size());
  return constant_time_equal(std::string_view(mine.data(), 64), stored_hex);
}

Result<KeyHasher> KeyHasher::create(std::vector<Pepper> peppers) {
  if (sodium_init() < 0) return Error{Errc::internal, "libsodium failed to initialise"};
  if (peppers.empty())
    return Error{Errc::validation_failed, "no pepper configured", {{"pepper", "required"}}};
  std::vector<Entry> entries;
  std::set<std::uint32_t> seen;
  std::uint32_t current = 0;
  for (const Pepper& p : peppers) {
    if (p.version == 0 || !seen.insert(p.version).second)
      return Error{Errc::validation_failed,
                   "pepper versions must be unique and >= 1",
                   {{"pepper", "bad version"}}};
    const std::string& raw = p.key.reveal();  // to derive the BLAKE2b key
    if (raw.size() < 32)
      return Error{Errc::validation_failed,
                   "pepper shorter than 32 bytes",
                   {{"pepper", "must be at least 32 bytes"}}};
    Entry e{p.version, {}, 0};
    if (raw.size() <= crypto_generichash_KEYBYTES_MAX) {
      std::copy(raw.begin(), raw.end(), e.key.begin());
      e.key_len = raw.size();
    } else {
      // BLAKE2b keys stop at 64 bytes: longer peppers are compressed by an unkeyed hash first.
      crypto_generichash(e.key.data(), 64, reinterpret_cast<const unsigned char*>(raw.data()),
                         raw.size(), nullptr, 0);
      e.key_len = 64;
    }
    entries.push_back(e);
    current = std::max(current, p.version);
  }
  return KeyHasher(std::move(entries), current);
}

KeyHasher::~KeyHasher() {
  for (Entry& e : entries_) sodium_memzero(e.key.data(), e.key.size());
}

std::vector<std::uint32_t> KeyHasher::versions() const {
  std::vector<std::uint32_t> out;
  for (const Entry& e : entries_) out.push_back(e.version);
  std::sort(out.rbegin(), out.rend());
  return out;
}

KeyHash KeyHasher::hash(std::string_view secret) const noexcept {
  return *hash(secret, current_);
}

std::optional<KeyHash> KeyHasher::hash(std::string_view secret,
                                       std::uint32_t version) const noexcept {
  for (const Entry& e : entries_) {
    if (e.version != version) continue;
    KeyHash out{};
    crypto_generichash(out.data(), out.size(),
                       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                       e.key.data(), e.key_len);
    return out;
  }
  return std::nullopt;
}

}  // namespace tenantkit::apikey
