// SPDX-License-Identifier: Apache-2.0
// The tamper-evident audit chain: h_n = SHA-256(h_{n-1} || canonical(event_n)), per org.
// Every AuditStore computes hashes with chain_hash(), and verify_chain() checks a stored range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::audit {

/// The canonical byte form of an entry: every field except prev_hash and hash, each as
/// "<length>:<bytes>\n" in a fixed order, so no two different entries serialise alike.
std::string canonical(const storage::AuditEvent& event);

/// Lower-case hex SHA-256 of `prev_hash` (hex, "" for the first entry) followed by
/// canonical(event).
std::string chain_hash(std::string_view prev_hash, const storage::AuditEvent& event);

/// The result of checking a chain.
struct ChainReport {
  bool ok = true;
  std::int64_t checked = 0;     ///< Entries examined.
  std::string first_broken_id;  ///< Id of the first entry whose link or hash is wrong ("" if ok).
};

/// Checks entries ordered by seq: each hash recomputes, and each prev_hash equals the previous
/// entry's hash (the first one's prev_hash is trusted as the start of the kept range).
ChainReport verify_chain(const std::vector<storage::AuditEvent>& entries,
                         std::string_view expected_prev = {}, bool check_first_link = false);

}  // namespace tenantkit::audit
