// SPDX-License-Identifier: Apache-2.0
// KeyStore: what the API-key logic needs from storage, and MemoryKeyStore, its in-memory
// implementation. TODO(#4): becomes an adapter over storage::ApiKeyStore once that interface
// lands on main. Implementations are safe for concurrent use; calls may block (SQL), so never call
// them on an I/O thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/apikey/record.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::apikey {

/// Persists API key records.
class KeyStore {
 public:
  virtual ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  /// Stores a new record. Errors: conflict (id or prefix taken), unavailable.
  virtual Result<void> create(const Record& record) = 0;
  /// Errors: not_found (absent, or another tenant's), unavailable.
  virtual Result<Record> get(const TenantId& tenant, const ApiKeyId& id) = 0;
  /// The only unscoped read: verification finds a key by its public prefix before the tenant is
  /// known. Absence is a value. Errors: unavailable.
  virtual Result<std::optional<Record>> find_by_prefix(std::string_view prefix) = 0;
  /// The tenant's keys, newest first. Errors: unavailable.
  virtual Result<std::vector<Record>> list(const TenantId& tenant) = 0;
  /// Replaces the mutable fields (expires_at, revoked_at, replaced_by, name) of an existing record.
  /// Errors: not_found, unavailable.
  virtual Result<void> update(const Record& record) = 0;
  /// Sets last_used_at where it moves forward; unknown ids are skipped. Errors: unavailable.
  virtual Result<void> record_last_used(std::span<const LastUsed> batch) = 0;

 protected:
  KeyStore() = default;
};

/// KeyStore in memory (tests, embedded use without a database).
class MemoryKeyStore final : public KeyStore {
 public:
  MemoryKeyStore() = default;
  Result<void> create(const Record& record) override;
  Result<Record> get(const TenantId& tenant, const ApiKeyId& id) override;
  Result<std::optional<Record>> find_by_prefix(std::string_view prefix) override;
  Result<std::vector<Record>> list(const TenantId& tenant) override;
  Result<void> update(const Record& record) override;
  Result<void> record_last_used(std::span<const LastUsed> batch) override;

 private:
  std::mutex mutex_;
  std::map<std::string, Record, std::less<>> by_prefix_;
  std::map<std::string, std::string, std::less<>> prefix_by_id_;
};

}  // namespace tenantkit::apikey
