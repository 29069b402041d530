// SPDX-License-Identifier: Apache-2.0
// AuditStore: the append-only audit log, one tamper-evident hash chain per org. append() assigns
// seq, prev_hash and hash atomically (concurrent appends to one org serialise), using
// audit::chain_hash(). Safe for concurrent use; calls may block.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

/// Filters of an audit query; unset fields match everything.
struct AuditQuery {
  std::string action;
  std::string actor_id;
  std::string target_type;
  std::optional<Timestamp> from;  ///< Inclusive.
  std::optional<Timestamp> to;    ///< Exclusive.
};

class AuditStore {
 public:
  virtual ~AuditStore();
  AuditStore(const AuditStore&) = delete;
  AuditStore& operator=(const AuditStore&) = delete;

  /// Appends `event` (event.org == org) to the org's chain and returns it as stored.
  /// Errors: validation_failed (metadata_json not an object, empty action), unavailable.
  virtual Result<AuditEvent> append(const OrgId& org, const AuditEvent& event) = 0;
  /// Matching entries, newest first (seq descending); the cursor continues below the last seq.
  virtual Result<Page<AuditEvent>> list(const OrgId& org, const AuditQuery& query,
                                        const PageRequest& page) = 0;
  /// Streams every matching entry, oldest first, in chunks of at most `chunk` entries (clamped to
  /// 1..1000), without holding them all in memory; `sink` returning false stops early.
  virtual Result<void> scan(const OrgId& org, const AuditQuery& query, int chunk,
                            const std::function<bool(const AuditEvent&)>& sink) = 0;
  /// Entries with after_seq < seq, oldest first, at most `limit` clamped to 1..1000 (chain
  /// verification reads these; a longer chain is read in chunks, each after the last seq read).
  virtual Result<std::vector<AuditEvent>> read_chain(const OrgId& org, std::int64_t after_seq,
                                                     int limit) = 0;
  /// Deletes entries older than `before` (retention); returns how many. The chain stays
  /// verifiable from the oldest kept entry.
  virtual Result<std::int64_t> delete_before(const OrgId& org, Timestamp before) = 0;

 protected:
  AuditStore() = default;
};

}  // namespace tenantkit::storage
