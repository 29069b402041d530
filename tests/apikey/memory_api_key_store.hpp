// SPDX-License-Identifier: Apache-2.0
// A small in-memory storage::ApiKeyStore for the apikey tests and benchmark (the library's own
// in-memory Storage lives with the storage concern), plus a decorator that counts lookups and can
// fail with `unavailable`.
#pragma once

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include <tenantkit/storage/api_key_store.hpp>

namespace tenantkit::apikey::testing {

class MemoryApiKeyStore final : public storage::ApiKeyStore {
 public:
  Result<storage::ApiKey> create(const OrgId& org, const storage::ApiKey& key,
                                 std::optional<std::int64_t> max_keys) override {
    std::lock_guard lock(mutex_);
    if (max_keys) {
      std::int64_t n = 0;
      for (const auto& [id, k] : keys_)
        if (k.org == org && !k.revoked_at) ++n;
      if (n >= *max_keys) return Error{Errc::plan_limit_reached, "API key limit reached"};
    }
    if (keys_.contains(key.id.str())) return Error{Errc::conflict, "id taken"};
    if (by_prefix_.contains(key.prefix)) return Error{Errc::conflict, "prefix taken"};
    storage::ApiKey stored = key;
    stored.org = org;
    keys_.emplace(key.id.str(), stored);
    by_prefix_.emplace(key.prefix, key.id.str());
    return stored;
  }
  Result<storage::ApiKey> get(const OrgId& org, const ApiKeyId& id) override {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(id.str());
    if (it == keys_.end() || it->second.org != org) return Error{Errc::not_found, "no such key"};
    return it->second;
  }
  Result<std::optional<storage::ApiKey>> find_by_prefix(std::string_view prefix) override {
    std::lock_guard lock(mutex_);
    const auto it = by_prefix_.find(prefix);
    if (it == by_prefix_.end()) return std::optional<storage::ApiKey>();
    return std::optional<storage::ApiKey>(keys_.at(it->second));
  }
  Result<Page<storage::ApiKey>> list(const OrgId& org, const PageRequest&) override {
    std::lock_guard lock(mutex_);
    Page<storage::ApiKey> page;
    for (const auto& [id, k] : keys_)
      if (k.org == org) page.items.push_back(k);
    return page;
  }
  Result<storage::ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) override {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(id.str());
    if (it == keys_.end() || it->second.org != org) return Error{Errc::not_found, "no such key"};
    if (!it->second.revoked_at) it->second.revoked_at = now;
    return it->second;
  }
  Result<storage::ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id,
                                 const storage::ApiKey& successor,
                                 Timestamp old_expires_at) override {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(old_id.str());
    if (it == keys_.end() || it->second.org != org) return Error{Errc::not_found, "no such key"};
    if (it->second.revoked_at || it->second.rotated_to) return Error{Errc::gone, "not rotatable"};
    if (by_prefix_.contains(successor.prefix)) return Error{Errc::conflict, "prefix taken"};
    storage::ApiKey next = successor;
    next.org = org;
    keys_.emplace(next.id.str(), next);
    by_prefix_.emplace(next.prefix, next.id.str());
    it->second.rotated_to = next.id;
    it->second.expires_at =
        it->second.expires_at ? std::min(*it->second.expires_at, old_expires_at) : old_expires_at;
    return next;
  }
  Result<void> record_last_used(const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) override {
    std::lock_guard lock(mutex_);
    ++last_used_writes;
    for (const auto& [id, at] : uses) {
      auto it = keys_.find(id.str());
      if (it == keys_.end()) continue;
      if (!it->second.last_used_at || *it->second.last_used_at < at) it->second.last_used_at = at;
    }
    return ok();
  }

  int last_used_writes = 0;

 private:
  std::mutex mutex_;
  std::map<std::string, storage::ApiKey> keys_;                // by id
  std::map<std::string, std::string, std::less<>> by_prefix_;  // prefix -> id
};

/// Forwards to another store, counting prefix lookups; `fail` makes every call `unavailable`.
class CountingApiKeyStore final : public storage::ApiKeyStore {
 public:
  explicit CountingApiKeyStore(storage::ApiKeyStore& inner) : inner_(inner) {}
  Result<storage::ApiKey> create(const OrgId& org, const storage::ApiKey& key,
                                 std::optional<std::int64_t> max_keys) override {
    if (fail) return down();
    return inner_.create(org, key, max_keys);
  }
  Result<storage::ApiKey> get(const OrgId& org, const ApiKeyId& id) override {
    if (fail) return down();
    return inner_.get(org, id);
  }
  Result<std::optional<storage::ApiKey>> find_by_prefix(std::string_view prefix) override {
    ++lookups;
    if (fail) return down();
    return inner_.find_by_prefix(prefix);
  }
  Result<Page<storage::ApiKey>> list(const OrgId& org, const PageRequest& page) override {
    if (fail) return down();
    return inner_.list(org, page);
  }
  Result<storage::ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) override {
    if (fail) return down();
    return inner_.revoke(org, id, now);
  }
  Result<storage::ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id,
                                 const storage::ApiKey& successor, Timestamp old_expires) override {
    if (fail) return down();
    return inner_.rotate(org, old_id, successor, old_expires);
  }
  Result<void> record_last_used(const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) override {
    if (fail) return down();
    return inner_.record_last_used(uses);
  }

  std::atomic<int> lookups{0};
  bool fail = false;

 private:
  static Error down() { return Error{Errc::unavailable, "store down"}; }
  storage::ApiKeyStore& inner_;
};

}  // namespace tenantkit::apikey::testing
