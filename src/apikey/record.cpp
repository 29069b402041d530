// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/key_store.hpp>
#include <tenantkit/apikey/record.hpp>

namespace tenantkit::apikey {
namespace {

bool valid_part(std::string_view part) noexcept {
  if (part == "*") return true;
  return !part.empty() && part.size() <= 64 && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

bool valid_scope(std::string_view scope) noexcept {
  if (scope == "*") return true;
  const auto colon = scope.find(':');
  if (colon == std::string_view::npos) return false;
  return valid_part(scope.substr(0, colon)) && valid_part(scope.substr(colon + 1));
}

bool scope_covers(std::string_view pattern, std::string_view permission) noexcept {
  if (pattern == "*") return true;
  const auto pc = pattern.find(':');
  const auto qc = permission.find(':');
  if (pc == std::string_view::npos || qc == std::string_view::npos) return false;
  const auto part_covers = [](std::string_view p, std::string_view q) {
    return p == "*" || p == q;
  };
  return part_covers(pattern.substr(0, pc), permission.substr(0, qc)) &&
         part_covers(pattern.substr(pc + 1), permission.substr(qc + 1));
}

bool scopes_allow(const std::vector<std::string>& scopes, std::string_view permission) noexcept {
  return std::any_of(scopes.begin(), scopes.end(),
                     [&](const std::string& s) { return scope_covers(s, permission); });
}

KeyStore::~KeyStore() = default;

Result<void> MemoryKeyStore::create(const Record& record) {
  std::lock_guard lock(mutex_);
  if (by_prefix_.contains(record.prefix)) return Error{Errc::conflict, "API key prefix taken"};
  if (prefix_by_id_.contains(record.id.str())) return Error{Errc::conflict, "API key id taken"};
  by_prefix_.emplace(record.prefix, record);
  prefix_by_id_.emplace(record.id.str(), record.prefix);
  return ok();
}

Result<Record> MemoryKeyStore::get(const TenantId& tenant, const ApiKeyId& id) {
  std::lock_guard lock(mutex_);
  const auto p = prefix_by_id_.find(id.str());
  if (p == prefix_by_id_.end()) return Error{Errc::not_found, "API key not found"};
  const Record& r = by_prefix_.at(p->second);
  if (r.tenant != tenant) return Error{Errc::not_found, "API key not found"};
  return r;
}

Result<std::optional<Record>> MemoryKeyStore::find_by_prefix(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  const auto it = by_prefix_.find(prefix);
  if (it == by_prefix_.end()) return std::optional<Record>{};
  return std::optional<Record>(it->second);
}

Result<std::vector<Record>> MemoryKeyStore::list(const TenantId& tenant) {
  std::lock_guard lock(mutex_);
  std::vector<Record> out;
  for (const auto& [prefix, r] : by_prefix_)
    if (r.tenant == tenant) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return out;
}

Result<void> MemoryKeyStore::update(const Record& record) {
  std::lock_guard lock(mutex_);
  const auto p = prefix_by_id_.find(record.id.str());
  if (p == prefix_by_id_.end()) return Error{Errc::not_found, "API key not found"};
  Record& r = by_prefix_.at(p->second);
  if (r.tenant != record.tenant) return Error{Errc::not_found, "API key not found"};
  r.name = record.name;
  r.expires_at = record.expires_at;
  r.revoked_at = record.revoked_at;
  r.replaced_by = record.replaced_by;
  return ok();
}

Result<void> MemoryKeyStore::record_last_used(std::span<const LastUsed> batch) {
  std::lock_guard lock(mutex_);
  for (const LastUsed& u : batch) {
    const auto p = prefix_by_id_.find(u.id.str());
    if (p == prefix_by_id_.end()) continue;
    Record& r = by_prefix_.at(p->second);
    if (r.tenant != u.tenant) continue;
    if (!r.last_used_at || *r.last_used_at < u.at) r.last_used_at = u.at;
  }
  return ok();
}

}  // namespace tenantkit::apikey
